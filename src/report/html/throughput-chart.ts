// Throughput vs batch size: the measured examples per second with their interquartile spread
// as error bars, the fitted curve B / (t0 + B·s) from t(B) = t0 + B·s, its asymptote R = 1/s,
// and the batch where throughput reaches 90% of R (the saturation point). Log batch axis.

import type { FindReport } from '../find-report-schema.js';
import { labelledRule, logBatchX, seriesColor } from './chart-marks.js';
import { type ChartResult, COLORS, finite, geometricGrid, layeredChart } from './chart-spec.js';

/** Examples per second of t(B) = t0 + B·s: B / (t0 + B·s). */
export function fittedExamplesPerSecond(
  batchSize: number,
  fixedSeconds: number,
  secondsPerExample: number,
): number {
  return batchSize / (fixedSeconds + batchSize * secondsPerExample);
}

export function throughputChart(report: FindReport): ChartResult {
  const points = report.throughput.points.flatMap((p) => {
    const rate = finite(p.examplesPerSecond);
    if (rate === undefined || p.batchSize <= 0) return [];
    const low = finite(p.examplesPerSecondRange[0]) ?? rate;
    const high = finite(p.examplesPerSecondRange[1]) ?? rate;
    return [
      {
        batchSize: p.batchSize,
        examplesPerSecond: rate,
        low: Math.min(low, high),
        high: Math.max(low, high),
        medianMs: (p.medianSeconds ?? Number.NaN) * 1e3,
        steps: p.stepSeconds.length,
      },
    ];
  });
  if (points.length === 0) {
    return { kind: 'empty', reason: 'No throughput point was measured, so there is no curve.' };
  }
  const fit = report.throughput.fit;
  const t0 = finite(fit.fixedSeconds?.value);
  const perExample = finite(fit.secondsPerExample?.value);
  const lowest = Math.min(...points.map((p) => p.batchSize));
  const highest = Math.max(...points.map((p) => p.batchSize));
  const fitted =
    fit.kind === 'fitted' && t0 !== undefined && perExample !== undefined && t0 + perExample > 0
      ? geometricGrid(Math.max(1, lowest / 2), highest * 2, 80).map((b) => ({
          batchSize: b,
          examplesPerSecond: fittedExamplesPerSecond(b, Math.max(0, t0), Math.max(0, perExample)),
        }))
      : [];
  const peak = fit.kind === 'fitted' ? finite(fit.peakExamplesPerSecond) : undefined;
  const saturation = fit.kind === 'fitted' ? finite(fit.saturation?.batchSize) : undefined;
  const fraction = fit.saturation?.fraction ?? 0.9;

  const x = logBatchX();
  const y = {
    field: 'examplesPerSecond',
    type: 'quantitative' as const,
    title: 'throughput (examples/s)',
    scale: { zero: true },
  };
  // Only the series drawn appear in the legend (no fit yet while a run is still measuring).
  const drawn = [
    { name: 'measured (median, IQR)', color: COLORS.measured, drawn: true },
    { name: 'fit B / (t0 + B·s)', color: COLORS.fit, drawn: fitted.length > 0 },
  ].filter((s) => s.drawn);
  const color = (name: string) =>
    seriesColor(
      name,
      drawn.map((s) => s.name),
      drawn.map((s) => s.color),
    );

  return layeredChart([
    ...(peak !== undefined
      ? [
          labelledRule({
            channel: 'y',
            value: peak,
            label: `peak R ${Math.round(peak).toLocaleString('en-US')}/s`,
            color: COLORS.fit,
            strokeDash: [2, 3],
          }),
        ]
      : []),
    ...(fitted.length > 0
      ? [
          {
            data: { values: fitted },
            mark: { type: 'line' as const, strokeDash: [6, 4], strokeWidth: 1.5 },
            encoding: { x, y, color: color('fit B / (t0 + B·s)') },
          },
        ]
      : []),
    {
      data: { values: points },
      layer: [
        {
          mark: { type: 'rule' as const, color: COLORS.measured, strokeWidth: 1.5 },
          encoding: {
            x,
            y: { field: 'low', type: 'quantitative' as const },
            y2: { field: 'high' },
          },
        },
        {
          mark: { type: 'point' as const, filled: true, size: 70 },
          encoding: {
            x,
            y,
            color: color('measured (median, IQR)'),
            tooltip: [
              { field: 'batchSize', type: 'quantitative' as const, title: 'batch' },
              {
                field: 'examplesPerSecond',
                type: 'quantitative' as const,
                title: 'examples/s',
                format: ',.0f',
              },
              { field: 'low', type: 'quantitative' as const, title: 'IQR low', format: ',.0f' },
              {
                field: 'high',
                type: 'quantitative' as const,
                title: 'IQR high',
                format: ',.0f',
              },
              {
                field: 'medianMs',
                type: 'quantitative' as const,
                title: 'median step (ms)',
                format: '.3~r',
              },
            ],
          },
        },
      ],
    },
    ...(saturation !== undefined && peak !== undefined
      ? [
          {
            data: {
              values: [
                {
                  batchSize: saturation,
                  examplesPerSecond: fraction * peak,
                  label: `${Math.round(fraction * 100)}% of peak at ${Math.round(saturation)}`,
                },
              ],
            },
            layer: [
              {
                mark: { type: 'rule' as const, color: COLORS.marker, strokeDash: [4, 3] },
                encoding: { x: { field: 'batchSize', type: 'quantitative' as const } },
              },
              {
                mark: {
                  type: 'point' as const,
                  shape: 'diamond',
                  filled: true,
                  size: 120,
                  color: COLORS.marker,
                },
                encoding: { x, y },
              },
              {
                mark: {
                  type: 'text' as const,
                  color: COLORS.marker,
                  align: 'left' as const,
                  baseline: 'top' as const,
                  dx: 6,
                  dy: 6,
                },
                encoding: { x, y, text: { field: 'label', type: 'nominal' as const } },
              },
            ],
          },
        ]
      : []),
  ]);
}
