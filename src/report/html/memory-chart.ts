// Memory vs batch size: the measured peaks of the trials that fit, the fitted line
// peak(B) = fixed + B·perExample, the budget and the ceiling as rules, and the trials that ran
// out of memory or were refused by the engine's limit marked apart. The memory axis is
// logarithmic whenever every peak drawn is positive: a small model's peaks are orders of
// magnitude below the budget, and on a linear axis up to the budget they would all sit on 0.

import type { FindReport } from '../find-report-schema.js';
import { formatNumber } from '../format.js';
import { labelledRule, logBatchX, seriesColor } from './chart-marks.js';
import {
  type ChartResult,
  COLORS,
  finite,
  geometricGrid,
  layeredChart,
  MIB_BYTES,
} from './chart-spec.js';

const FAILED_OUTCOMES = new Set(['oom', 'limit']);

/** MiB below 4 GiB of budget, GiB above: the axis unit. */
function memoryUnit(budgetBytes: number): { name: 'MiB' | 'GiB'; bytes: number } {
  return budgetBytes >= 4 * 1024 * MIB_BYTES
    ? { name: 'GiB', bytes: 1024 * MIB_BYTES }
    : { name: 'MiB', bytes: MIB_BYTES };
}

/** Tick values of a log memory axis: the powers of ten spanning the points and the budget. */
export function powersOfTen(points: readonly { peak: number }[], budget: number): number[] {
  const values = [...points.map((p) => p.peak), budget].filter((v) => v > 0);
  const low = Math.floor(Math.log10(Math.min(...values)));
  const high = Math.ceil(Math.log10(Math.max(...values)));
  return Array.from({ length: high - low + 1 }, (_, i) => Number((10 ** (low + i)).toPrecision(1)));
}

export function memoryChart(report: FindReport): ChartResult {
  const { memory, settings } = report;
  const unit = memoryUnit(settings.memoryBudgetBytes);
  const toUnit = (bytes: number) => bytes / unit.bytes;
  const budget = toUnit(settings.memoryBudgetBytes);
  const measured = memory.trials.flatMap((t) => {
    const peak = finite(t.peakBytes);
    return t.outcome === 'ok' && peak !== undefined && t.batchSize > 0
      ? [{ batchSize: t.batchSize, peak: toUnit(peak), reason: t.reason, series: 'measured peak' }]
      : [];
  });
  const failed = memory.trials.flatMap((t) => {
    if (!FAILED_OUTCOMES.has(t.outcome) || t.batchSize <= 0) return [];
    const peak = finite(t.predictedPeakBytes) ?? finite(t.peakBytes) ?? settings.memoryBudgetBytes;
    return [
      {
        batchSize: t.batchSize,
        peak: toUnit(peak),
        outcome: t.outcome,
        reason: t.reason,
        series: 'out of memory / over the limit',
      },
    ];
  });
  if (measured.length === 0 && failed.length === 0) {
    return { kind: 'empty', reason: 'No memory trial was run, so there is no memory curve.' };
  }

  const batches = [...measured, ...failed].map((p) => p.batchSize);
  const ceiling = finite(memory.maxBatch);
  const highest = Math.max(...batches, ceiling ?? 1);
  const fit = memory.fit;
  const fixed = finite(fit?.fixedBytes);
  const perExample = finite(fit?.bytesPerExample);
  // Log when every point is above 0 (a fitted line below 0 at small batches is cut off there).
  const logScale = [...measured, ...failed].every((p) => p.peak > 0);
  const fitted =
    fit?.kind === 'fitted' && fixed !== undefined && perExample !== undefined
      ? geometricGrid(1, highest * 1.15, 60)
          .map((b) => ({
            batchSize: b,
            peak: toUnit(fixed + perExample * b),
            series: 'fitted line',
          }))
          .filter((p) => !logScale || p.peak > 0)
      : [];

  // Only the series drawn appear in the legend.
  const series = [
    { name: 'measured peak', color: COLORS.measured, drawn: measured.length > 0 },
    { name: 'out of memory / over the limit', color: COLORS.failed, drawn: failed.length > 0 },
    { name: 'fitted line', color: COLORS.fit, drawn: fitted.length > 0 },
  ].filter((s) => s.drawn);
  const domain = series.map((s) => s.name);
  const range = series.map((s) => s.color);
  const color = (name: string) => seriesColor(name, domain, range);
  const x = logBatchX();
  const y = {
    field: 'peak',
    type: 'quantitative' as const,
    title: `peak memory (${unit.name}${logScale ? ', log scale' : ''})`,
    scale: logScale ? { type: 'log' as const } : { zero: true },
    ...(logScale
      ? {
          axis: { values: powersOfTen([...measured, ...failed, ...fitted], budget), format: ',~g' },
        }
      : {}),
  };

  return layeredChart([
    ...(fitted.length > 0
      ? [
          {
            data: { values: fitted },
            mark: { type: 'line' as const, strokeDash: [6, 4], strokeWidth: 1.5 },
            encoding: { x, y, color: color('fitted line') },
          },
        ]
      : []),
    labelledRule({
      channel: 'y',
      value: budget,
      label: `budget ${formatNumber(budget)} ${unit.name}`,
      color: COLORS.limit,
      strokeDash: [2, 3],
    }),
    ...(ceiling !== undefined
      ? [
          labelledRule({
            channel: 'x',
            value: ceiling,
            label: `ceiling ${ceiling.toLocaleString('en-US')}`,
            color: COLORS.marker,
            side: 'left',
          }),
        ]
      : []),
    ...(measured.length > 0
      ? [
          {
            data: { values: measured },
            mark: { type: 'point' as const, filled: true, size: 70, opacity: 0.9 },
            encoding: {
              x,
              y,
              color: color('measured peak'),
              tooltip: [
                { field: 'batchSize', type: 'quantitative' as const, title: 'batch' },
                {
                  field: 'peak',
                  type: 'quantitative' as const,
                  title: unit.name,
                  format: '.4~r',
                },
                { field: 'reason', type: 'nominal' as const, title: 'why tried' },
              ],
            },
          },
        ]
      : []),
    ...(failed.length > 0
      ? [
          {
            data: { values: failed },
            mark: { type: 'point' as const, shape: 'cross', filled: true, size: 110 },
            encoding: {
              x,
              y,
              color: color('out of memory / over the limit'),
              tooltip: [
                { field: 'batchSize', type: 'quantitative' as const, title: 'batch' },
                { field: 'outcome', type: 'nominal' as const },
                { field: 'reason', type: 'nominal' as const, title: 'why tried' },
              ],
            },
          },
        ]
      : []),
  ]);
}
