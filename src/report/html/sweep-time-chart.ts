// Measured time to the target against the batch size (log x): per batch, the median over its
// repeats (each at its best learning rate) with a min–max whisker, every reached trial as a faint
// point, the fastest batch and find's recommended batch marked.

import type { SweepReport } from '../../sweep/sweep-report.js';
import { logBatchX } from './chart-marks.js';
import { type ChartResult, COLORS, finite, layeredChart } from './chart-spec.js';

export function sweepTimeChart(report: SweepReport): ChartResult {
  const a = report.analysis;
  const batches = a.batches.flatMap((b) => {
    const s = b.secondsToTarget;
    const median = finite(s?.median);
    if (!s || median === undefined) return [];
    return [
      {
        batchSize: b.batchSize,
        median,
        min: finite(s.min) ?? median,
        max: finite(s.max) ?? median,
        reached: `${b.reachedCount}/${b.repeatCount}`,
        regret: b.regret ?? null,
      },
    ];
  });
  if (batches.length === 0) {
    return {
      kind: 'empty',
      reason:
        'No batch reached the target in most of its repeats, so there is no time to the target to compare.',
    };
  }
  const trials = report.trials.flatMap((t) => {
    const seconds = finite(t.secondsToTarget);
    return t.outcome === 'reached' && seconds !== undefined
      ? [{ batchSize: t.batchSize, seconds, id: t.id }]
      : [];
  });

  // One marker per batch: the fastest and the recommendation share a label when they coincide.
  const marks = new Map<number, string[]>();
  const add = (batchSize: number | undefined, label: string) => {
    if (batchSize === undefined) return;
    marks.set(batchSize, [...(marks.get(batchSize) ?? []), label]);
  };
  add(a.best?.batchSize, 'fastest');
  add(a.prediction?.recommendedBatch, "find's recommendation");
  const markers = [...marks.entries()]
    .sort((p, q) => p[0] - q[0])
    .map(([batchSize, labels], i) => ({
      batchSize,
      label: `${labels.join(' = ')} ${batchSize.toLocaleString('en-US')}`,
      recommended: labels.includes("find's recommendation"),
      row: i,
    }));

  // A log axis when the times span more than a factor 10 (one slow trial, at a poor learning
  // rate, would otherwise flatten every median against the bottom of a linear axis).
  const seconds = [...trials.map((t) => t.seconds), ...batches.map((b) => b.median)].filter(
    (v) => v > 0,
  );
  const logY =
    seconds.length === trials.length + batches.length &&
    Math.max(...seconds) / Math.min(...seconds) > 10;
  const x = logBatchX(undefined, [
    ...batches.map((b) => b.batchSize),
    ...markers.map((m) => m.batchSize),
  ]);
  const y = {
    field: 'median',
    type: 'quantitative' as const,
    scale: logY ? { type: 'log' as const } : { zero: false },
    title: `training seconds to the target${logY ? ' (log scale)' : ''}`,
  };
  return layeredChart([
    {
      data: { values: trials },
      mark: { type: 'point' as const, filled: true, size: 30, color: COLORS.band, opacity: 0.9 },
      encoding: {
        x,
        y: { ...y, field: 'seconds' },
        tooltip: [
          { field: 'id', type: 'nominal' as const, title: 'trial' },
          { field: 'seconds', type: 'quantitative' as const, format: '.3~r' },
        ],
      },
    },
    {
      data: { values: batches },
      layer: [
        {
          mark: { type: 'rule' as const, color: COLORS.time, strokeWidth: 2 },
          encoding: { x, y: { ...y, field: 'min' }, y2: { field: 'max' } },
        },
        {
          mark: { type: 'line' as const, color: COLORS.time, strokeWidth: 1.5, opacity: 0.6 },
          encoding: { x, y },
        },
        {
          mark: { type: 'point' as const, filled: true, size: 80, color: COLORS.time },
          encoding: {
            x,
            y,
            tooltip: [
              { field: 'batchSize', type: 'quantitative' as const, title: 'batch' },
              { field: 'median', type: 'quantitative' as const, title: 'median s', format: '.3~r' },
              { field: 'min', type: 'quantitative' as const, title: 'min s', format: '.3~r' },
              { field: 'max', type: 'quantitative' as const, title: 'max s', format: '.3~r' },
              { field: 'reached', type: 'nominal' as const },
              {
                field: 'regret',
                type: 'quantitative' as const,
                title: '× fastest',
                format: '.3~r',
              },
            ],
          },
        },
      ],
    },
    ...(markers.length > 0
      ? [
          {
            data: { values: markers },
            layer: [
              {
                mark: { type: 'rule' as const, strokeDash: [4, 3] },
                encoding: {
                  x: { field: 'batchSize', type: 'quantitative' as const },
                  color: {
                    condition: { test: 'datum.recommended', value: COLORS.recommended },
                    value: COLORS.marker,
                  },
                  size: { condition: { test: 'datum.recommended', value: 2 }, value: 1.5 },
                },
              },
              {
                mark: {
                  type: 'text' as const,
                  align: 'left' as const,
                  baseline: 'top' as const,
                  dx: 4,
                  y: { expr: '4 + 14 * datum.row' },
                },
                encoding: {
                  x: { field: 'batchSize', type: 'quantitative' as const },
                  text: { field: 'label', type: 'nominal' as const },
                  color: {
                    condition: { test: 'datum.recommended', value: COLORS.recommended },
                    value: COLORS.marker,
                  },
                },
              },
            ],
          },
        ]
      : []),
  ]);
}
