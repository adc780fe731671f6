// What a chart builder returns: a Vega-Lite spec drawn from the report, or the sentence that
// says why there is nothing to draw. Shared helpers for the builders (grids, colours, sizes).

import type { TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

export type ChartResult =
  | { readonly kind: 'chart'; readonly spec: ChartSpec }
  | { readonly kind: 'empty'; readonly reason: string };

export const CHART_WIDTH_PX = 680;
export const CHART_HEIGHT_PX = 300;
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The palette of every chart: one colour per role, the same in all four. */
export const COLORS = {
  measured: '#2563eb',
  fit: '#64748b',
  failed: '#dc2626',
  limit: '#d97706',
  marker: '#059669',
  band: '#93c5fd',
  steps: '#2563eb',
  examples: '#d97706',
  time: '#059669',
  recommended: '#7c3aed',
} as const;

/** Shared look: font, no frame, light grid. */
export const CHART_CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  view: { stroke: null },
  axis: {
    gridColor: '#e5e7eb',
    domainColor: '#94a3b8',
    tickColor: '#94a3b8',
    labelFontSize: 11,
    titleFontSize: 12,
  },
  legend: { orient: 'bottom', labelFontSize: 11, titleFontSize: 11 },
} as const;

/** `count` values spread geometrically over [low, high] (both > 0), ends included. */
export function geometricGrid(low: number, high: number, count: number): number[] {
  if (!(low > 0 && high > 0) || count < 2) return [low];
  if (high <= low) return [low];
  const ratio = Math.log(high / low);
  return Array.from({ length: count }, (_, i) => low * Math.exp((ratio * i) / (count - 1)));
}

/** A number that can be drawn: finite, else undefined. */
export function finite(value: number | null | undefined): number | undefined {
  return value !== null && value !== undefined && Number.isFinite(value) ? value : undefined;
}

export const MIB_BYTES = 1024 * 1024;

/** A layered chart at the standard size, colours and schema. */
export function layeredChart(layer: readonly unknown[]): ChartResult {
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    width: CHART_WIDTH_PX,
    height: CHART_HEIGHT_PX,
    config: CHART_CONFIG,
    layer,
  };
  return { kind: 'chart', spec: spec as ChartSpec };
}

/** A chart with its title drawn above it (for a chart shown on its own); an empty one as is. */
export function titledChart(result: ChartResult, title: string): ChartResult {
  if (result.kind !== 'chart') return result;
  const spec = {
    ...result.spec,
    title: { text: title, anchor: 'start', fontSize: 15, fontWeight: 600, offset: 12 },
  };
  return { kind: 'chart', spec: spec as ChartSpec };
}
