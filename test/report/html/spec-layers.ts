// Test helper: the leaf layers of a Vega-Lite spec (through layer and hconcat), each with its
// mark type and the data values it draws.

export interface Leaf {
  readonly mark: string;
  readonly values: Record<string, unknown>[];
  readonly node: Record<string, unknown>;
}

export function leafLayers(spec: unknown, inherited: Record<string, unknown>[] = []): Leaf[] {
  const node = spec as Record<string, unknown>;
  const data = node.data as { values?: Record<string, unknown>[] } | undefined;
  const values = data?.values ?? inherited;
  const children = [
    ...((node.layer as unknown[] | undefined) ?? []),
    ...((node.hconcat as unknown[] | undefined) ?? []),
    ...((node.vconcat as unknown[] | undefined) ?? []),
  ];
  if (children.length > 0) return children.flatMap((c) => leafLayers(c, values));
  const mark = node.mark;
  const type =
    typeof mark === 'string' ? mark : ((mark as { type?: string } | undefined)?.type ?? '');
  return [{ mark: type, values, node }];
}
