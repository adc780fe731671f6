// Steps against examples to the target, log-log, as in McCandlish et al. 2018 Fig. 1: one point
// per trial that reached the target, the median per batch (labelled with its batch size, the
// Pareto-optimal batches highlighted), and the fitted S = S_min (1 + B_crit/B), E = S·B drawn as a
// curve over the batches, with its asymptotes S_min and E_min.

import type { SweepReport } from '../../sweep/sweep-report.js';
import { labelledRule } from './chart-marks.js';
import { type ChartResult, COLORS, finite, geometricGrid, layeredChart } from './chart-spec.js';

export interface StepsExamplesPoint {
  readonly batchSize: number;
  readonly steps: number;
  readonly examples: number;
}

const SERIES = [
  'trial',
  'median per batch',
  'median, Pareto-optimal',
  'fit S = S_min(1 + B_crit/B)',
];
const RANGE = [COLORS.band, COLORS.measured, COLORS.recommended, COLORS.fit];

/** Each reached trial's steps and examples to the target. */
export function reachedTrialPoints(report: SweepReport): StepsExamplesPoint[] {
  return report.trials.flatMap((t) => {
    const steps = finite(t.stepsToTarget);
    const examples = finite(t.examplesToTarget);
    if (t.outcome !== 'reached' || steps === undefined || examples === undefined) return [];
    if (steps <= 0 || examples <= 0) return [];
    return [{ batchSize: t.batchSize, steps, examples }];
  });
}

/** The fitted curve over the batches trained (half as far again beyond each end). */
export function fittedStepsExamples(report: SweepReport): StepsExamplesPoint[] {
  const fit = report.analysis.fit;
  if (fit.kind !== 'fitted') return [];
  const minSteps = finite(fit.minSteps.value);
  const bCrit = finite(fit.bCrit.value);
  const batches = report.analysis.batches.map((b) => b.batchSize).filter((b) => b > 0);
  if (minSteps === undefined || bCrit === undefined || minSteps <= 0 || bCrit <= 0) return [];
  if (batches.length === 0) return [];
  const low = Math.min(...batches) / 1.5;
  const high = Math.max(...batches) * 1.5;
  return geometricGrid(low, high, 80).map((batchSize) => {
    const steps = minSteps * (1 + bCrit / batchSize);
    return { batchSize, steps, examples: steps * batchSize };
  });
}

export function sweepParetoChart(report: SweepReport): ChartResult {
  const trials = reachedTrialPoints(report);
  if (trials.length === 0) {
    return {
      kind: 'empty',
      reason:
        'No trial reached the target, so there are no steps or examples to the target to draw.',
    };
  }
  const medians = report.analysis.batches.flatMap((b) => {
    const steps = finite(b.stepsToTarget?.median);
    const examples = finite(b.examplesToTarget?.median);
    if (steps === undefined || examples === undefined || steps <= 0 || examples <= 0) return [];
    return [
      {
        batchSize: b.batchSize,
        steps,
        examples,
        series: b.pareto ? 'median, Pareto-optimal' : 'median per batch',
        label: `B = ${b.batchSize.toLocaleString('en-US')}`,
      },
    ];
  });
  const curve = fittedStepsExamples(report);
  const fit = report.analysis.fit;
  const x = {
    field: 'examples',
    type: 'quantitative' as const,
    scale: { type: 'log' as const },
    title: 'examples to the target (log)',
  };
  const y = {
    field: 'steps',
    type: 'quantitative' as const,
    scale: { type: 'log' as const },
    title: 'steps to the target (log)',
  };
  const present = new Set([
    'trial',
    ...medians.map((m) => m.series),
    ...(curve.length > 0 ? ['fit S = S_min(1 + B_crit/B)'] : []),
  ]);
  const shown = SERIES.map((s, i) => [s, RANGE[i] as string] as const).filter(([s]) =>
    present.has(s),
  );
  const color = {
    field: 'series',
    type: 'nominal' as const,
    scale: { domain: shown.map(([s]) => s), range: shown.map(([, c]) => c) },
    legend: { title: null, labelLimit: 320 },
  };
  const tooltip = [
    { field: 'batchSize', type: 'quantitative' as const, title: 'batch', format: ',.0f' },
    { field: 'steps', type: 'quantitative' as const, format: ',.4~r' },
    { field: 'examples', type: 'quantitative' as const, format: ',.4~r' },
  ];
  const asymptotes =
    fit.kind === 'fitted' && curve.length > 0
      ? [
          labelledRule({
            channel: 'y',
            value: fit.minSteps.value,
            label: `S_min ≈ ${fit.minSteps.value.toPrecision(3)}`,
            color: COLORS.fit,
            strokeDash: [2, 3],
          }),
          labelledRule({
            channel: 'x',
            value: fit.minExamples.value,
            label: `E_min ≈ ${Math.round(fit.minExamples.value).toLocaleString('en-US')}`,
            color: COLORS.fit,
            strokeDash: [2, 3],
          }),
        ]
      : [];
  return layeredChart([
    ...(curve.length > 0
      ? [
          {
            data: {
              values: curve.map((p) => ({ ...p, series: 'fit S = S_min(1 + B_crit/B)' })),
            },
            mark: { type: 'line' as const, strokeWidth: 2, strokeDash: [6, 3], clip: true },
            encoding: {
              x,
              y,
              color,
              order: { field: 'batchSize', type: 'quantitative' as const },
            },
          },
        ]
      : []),
    ...asymptotes.map((a) => ({
      ...a,
      layer: a.layer.map((l) => ({ ...l, mark: { ...l.mark, clip: true } })),
    })),
    {
      data: { values: trials.map((p) => ({ ...p, series: 'trial' })) },
      mark: { type: 'point' as const, filled: true, size: 40, opacity: 0.8 },
      encoding: { x, y, color, tooltip },
    },
    {
      data: { values: medians },
      layer: [
        {
          mark: { type: 'point' as const, filled: true, size: 110 },
          encoding: { x, y, color, tooltip },
        },
        {
          mark: {
            type: 'text' as const,
            align: 'left' as const,
            baseline: 'bottom' as const,
            dx: 7,
            dy: -5,
            fontSize: 11,
          },
          encoding: {
            x,
            y,
            text: { field: 'label', type: 'nominal' as const },
            color: {
              condition: {
                test: "datum.series === 'median, Pareto-optimal'",
                value: COLORS.recommended,
              },
              value: '#334155',
            },
          },
        },
      ],
    },
  ]);
}
