// Mark pieces the chart builders share: the log batch axis, a legend colour for a named series,
// and a rule across the plot at one value with a label beside it (a budget, a ceiling, a peak).

export function logBatchX(
  title = 'batch size (examples, log scale)',
  batches: readonly number[] = [],
) {
  return { field: 'batchSize', type: 'quantitative' as const, ...batchScale(batches), title };
}

/**
 * A log batch scale; given the batches drawn, zoomed to them (a factor 1.5 of room on each side)
 * rather than from 1, with a tick at each batch when there are at most 12 (a sweep of 8, 32, 128
 * and 512 reads as those four, not as crowded log ticks).
 */
function batchScale(batches: readonly number[]) {
  const positive = [...new Set(batches.filter((b) => b > 0 && Number.isFinite(b)))].sort(
    (a, b) => a - b,
  );
  const first = positive[0];
  const last = positive.at(-1);
  if (first === undefined || last === undefined) return { scale: { type: 'log' as const } };
  return {
    scale: { type: 'log' as const, domain: [first / 1.5, last * 1.5], nice: false },
    ...(positive.length <= 12 ? { axis: { values: positive, format: ',d' } } : {}),
  };
}

/** Colour a layer as one named series of a legend whose entries are `domain`. */
export function seriesColor(series: string, domain: readonly string[], range: readonly string[]) {
  return {
    datum: series,
    type: 'nominal' as const,
    scale: { domain: [...domain], range: [...range] },
    legend: { title: null, labelLimit: 320 },
  };
}

export interface LabelledRule {
  /** 'y': a horizontal rule at a y value, labelled at the left; 'x': a vertical one, labelled at the top. */
  readonly channel: 'x' | 'y';
  readonly value: number;
  readonly label: string;
  readonly color: string;
  readonly strokeDash?: readonly number[];
  /** Side of a vertical rule its label goes on; default right. */
  readonly side?: 'left' | 'right';
}

/** A layer of one rule and its label; its datum is { value, label }. */
export function labelledRule(rule: LabelledRule) {
  const position = { field: 'value', type: 'quantitative' as const };
  const text =
    rule.channel === 'y'
      ? { align: 'left' as const, baseline: 'bottom' as const, x: 0, dx: 4, dy: -3 }
      : rule.side === 'left'
        ? { align: 'right' as const, baseline: 'top' as const, y: 4, dx: -4 }
        : { align: 'left' as const, baseline: 'top' as const, y: 4, dx: 4 };
  return {
    data: { values: [{ value: rule.value, label: rule.label }] },
    layer: [
      {
        mark: {
          type: 'rule' as const,
          color: rule.color,
          size: 1.5,
          ...(rule.strokeDash ? { strokeDash: [...rule.strokeDash] } : {}),
        },
        encoding: { [rule.channel]: position },
      },
      {
        mark: { type: 'text' as const, color: rule.color, ...text },
        encoding: { [rule.channel]: position, text: { field: 'label', type: 'nominal' as const } },
      },
    ],
  };
}
