// Generalisation across batch sizes (log x): the final validation accuracy (or, without one, the
// final validation loss) of each trial and its median per batch, and beside it the
// generalisation gap (validation loss − training loss at the end) the same way.

import type { SweepReport } from '../../sweep/sweep-report.js';
import { logBatchX } from './chart-marks.js';
import {
  CHART_CONFIG,
  CHART_HEIGHT_PX,
  CHART_WIDTH_PX,
  type ChartResult,
  type ChartSpec,
  COLORS,
  finite,
  VEGA_LITE_SCHEMA,
} from './chart-spec.js';

interface Point {
  readonly batchSize: number;
  readonly value: number;
  readonly trial?: string;
}

function panel(
  title: string,
  trials: readonly Point[],
  medians: readonly Point[],
  width: number,
  color: string,
  percent: boolean,
) {
  const x = logBatchX(
    undefined,
    [...trials, ...medians].map((p) => p.batchSize),
  );
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    scale: { zero: false },
    title,
    ...(percent ? { axis: { format: '.0%' } } : {}),
  };
  const format = percent ? '.1%' : '.4~r';
  return {
    width,
    height: CHART_HEIGHT_PX,
    layer: [
      {
        data: { values: trials },
        mark: { type: 'point' as const, filled: true, size: 30, color, opacity: 0.45 },
        encoding: {
          x,
          y,
          tooltip: [
            { field: 'trial', type: 'nominal' as const },
            { field: 'value', type: 'quantitative' as const, title, format },
          ],
        },
      },
      {
        data: { values: medians },
        layer: [
          { mark: { type: 'line' as const, color, strokeWidth: 2 }, encoding: { x, y } },
          {
            mark: { type: 'point' as const, filled: true, size: 80, color },
            encoding: {
              x,
              y,
              tooltip: [
                { field: 'batchSize', type: 'quantitative' as const, title: 'batch' },
                { field: 'value', type: 'quantitative' as const, title: `median ${title}`, format },
              ],
            },
          },
        ],
      },
    ],
  };
}

export function sweepGeneralisationChart(report: SweepReport): ChartResult {
  const g = report.analysis.generalisation;
  const trials = report.trials.filter((t) => t.outcome !== 'aborted');
  const hasAccuracy =
    g.batches.some((b) => finite(b.validationAccuracy) !== undefined) ||
    trials.some((t) => finite(t.validationAccuracy) !== undefined);
  const hasLoss =
    g.batches.some((b) => finite(b.validationLoss) !== undefined) ||
    trials.some((t) => finite(t.validationLoss) !== undefined);
  if (!hasAccuracy && !hasLoss) {
    return {
      kind: 'empty',
      reason:
        'No trial reported a validation metric (validation accuracy or loss), so generalisation across batch sizes cannot be drawn.',
    };
  }
  const field = hasAccuracy ? 'validationAccuracy' : 'validationLoss';
  const metricTrials = trials.flatMap((t) => {
    const value = finite(t[field]);
    return value === undefined ? [] : [{ batchSize: t.batchSize, value, trial: t.id }];
  });
  const metricMedians = g.batches.flatMap((b) => {
    const value = finite(b[field]);
    return value === undefined ? [] : [{ batchSize: b.batchSize, value }];
  });
  const gapTrials = trials.flatMap((t) => {
    const value = finite(t.generalisationGap);
    return value === undefined ? [] : [{ batchSize: t.batchSize, value, trial: t.id }];
  });
  const gapMedians = g.batches.flatMap((b) => {
    const value = finite(b.generalisationGap);
    return value === undefined ? [] : [{ batchSize: b.batchSize, value }];
  });
  const withGap = gapTrials.length > 0 || gapMedians.length > 0;
  const half = Math.round((CHART_WIDTH_PX - 40) / 2);
  const metricTitle = hasAccuracy ? 'final validation accuracy' : 'final validation loss';
  const panels = [
    panel(
      metricTitle,
      metricTrials,
      metricMedians,
      withGap ? half : CHART_WIDTH_PX,
      COLORS.measured,
      hasAccuracy,
    ),
    ...(withGap
      ? [
          panel(
            'gap: validation − training loss',
            gapTrials,
            gapMedians,
            half,
            COLORS.examples,
            false,
          ),
        ]
      : []),
  ];
  return {
    kind: 'chart',
    spec: { $schema: VEGA_LITE_SCHEMA, config: CHART_CONFIG, hconcat: panels } as ChartSpec,
  };
}
