// The curves of every trial against the examples trained, one line per trial coloured by its
// batch: validation accuracy when the engine reports it, else validation loss, else training
// loss (an engine without validation data). The target is drawn when it is on that metric. The
// examples axis is logarithmic when the trials' lengths span more than a factor 20.

import type { SweepReport } from '../../sweep/sweep-report.js';
import { labelledRule } from './chart-marks.js';
import { type ChartResult, COLORS, finite, layeredChart } from './chart-spec.js';

export type CurveMetric = 'validationAccuracy' | 'validationLoss' | 'trainLoss';

const METRIC_TITLES: Readonly<Record<CurveMetric, string>> = {
  validationAccuracy: 'validation accuracy',
  validationLoss: 'validation loss',
  trainLoss: 'training loss (no validation metric reported)',
};

/** The metric the curves show: the first of accuracy, validation loss, training loss present. */
export function curveMetric(report: SweepReport): CurveMetric | undefined {
  const points = report.trials.flatMap((t) => t.curve);
  const order: CurveMetric[] = ['validationAccuracy', 'validationLoss', 'trainLoss'];
  return order.find((m) => points.some((p) => finite(p[m]) !== undefined));
}

/** 0 and the powers of ten from below `first` to above `last`. */
export function logTicks(first: number, last: number): number[] {
  const low = Math.floor(Math.log10(first));
  const high = Math.ceil(Math.log10(last));
  return [0, ...Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i))];
}

export function sweepCurvesChart(report: SweepReport): ChartResult {
  const metric = curveMetric(report);
  if (metric === undefined) {
    return {
      kind: 'empty',
      reason:
        report.trials.length === 0
          ? 'No trial finished, so there are no curves to draw.'
          : 'No trial reported an evaluation (training or validation), so there are no curves to draw.',
    };
  }
  const values = report.trials.flatMap((t) =>
    t.curve.flatMap((p) => {
      const value = finite(p[metric]);
      return value === undefined
        ? []
        : [{ trial: t.id, batchSize: t.batchSize, examples: p.examples, step: p.step, value }];
    }),
  );
  const target = report.target;
  const targetValue =
    (target.kind === 'loss' && metric === 'trainLoss') ||
    (target.kind === 'metric' &&
      ((target.metric === 'accuracy' && metric === 'validationAccuracy') ||
        (target.metric === 'loss' && metric === 'validationLoss')))
      ? target.value
      : undefined;
  // A logarithmic axis when the trials' lengths differ a lot (a trial that never reached the
  // target runs to its whole budget, and on a linear axis squeezes every other curve against the
  // left edge): symlog, which is linear near 0 (the evaluation before training) and logarithmic
  // above the first evaluation, with ticks at 0 and the powers of ten.
  const positive = values.map((v) => v.examples).filter((e) => e > 0);
  const first = Math.min(...positive);
  const last = Math.max(...positive);
  const logX = positive.length > 0 && last / first > 20;
  const x = {
    field: 'examples',
    type: 'quantitative' as const,
    title: logX ? 'examples trained (log scale)' : 'examples trained',
    ...(logX
      ? {
          scale: { type: 'symlog' as const, constant: first },
          axis: { values: logTicks(first, last), format: ',~r' },
        }
      : {}),
  };
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    scale: { zero: false },
    title: METRIC_TITLES[metric],
    ...(metric === 'validationAccuracy' ? { axis: { format: '.0%' } } : {}),
  };
  const color = {
    field: 'batchSize',
    type: 'ordinal' as const,
    scale: { scheme: 'viridis' },
    legend: { title: 'batch size' },
  };
  const tooltip = [
    { field: 'trial', type: 'nominal' as const },
    { field: 'batchSize', type: 'quantitative' as const, title: 'batch' },
    { field: 'step', type: 'quantitative' as const },
    { field: 'examples', type: 'quantitative' as const, format: ',.0f' },
    { field: 'value', type: 'quantitative' as const, title: METRIC_TITLES[metric], format: '.4~r' },
  ];
  return layeredChart([
    {
      data: { values },
      layer: [
        {
          mark: { type: 'line' as const, strokeWidth: 1.6, opacity: 0.85 },
          encoding: {
            x,
            y,
            color,
            detail: { field: 'trial', type: 'nominal' as const },
            order: { field: 'step', type: 'quantitative' as const },
          },
        },
        {
          mark: { type: 'point' as const, filled: true, size: 22 },
          encoding: { x, y, color, tooltip },
        },
      ],
    },
    ...(targetValue !== undefined
      ? [
          labelledRule({
            channel: 'y',
            value: targetValue,
            label: `target ${targetValue}`,
            color: COLORS.limit,
            strokeDash: [4, 3],
          }),
        ]
      : []),
  ]);
}
