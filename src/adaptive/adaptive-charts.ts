// The charts of an adaptive run, over the optimizer steps: the batch size (and the time-optimal
// batch B* at each change), the learning rate, and B_noise (log scale; McCandlish et al. 2018).
// Vega-Lite specs through the report's chart helpers (src/report/html/chart-spec.ts).

import { type ChartResult, COLORS, finite, layeredChart } from '../report/html/chart-spec.js';
import type { AdaptiveHistory } from './adaptive-history.js';

export type AdaptiveChartId = 'batch' | 'lr' | 'noise';

export interface AdaptiveChart {
  readonly id: AdaptiveChartId;
  readonly title: string;
  readonly caption: string;
  readonly result: ChartResult;
}

const STEP_X = { field: 'step', type: 'quantitative' as const, title: 'optimizer step' };

function stepLine(
  values: readonly { step: number; value: number }[],
  title: string,
  color: string,
  log: boolean,
) {
  return {
    data: { values },
    mark: { type: 'line' as const, interpolate: 'step-after' as const, color, strokeWidth: 2 },
    encoding: {
      x: STEP_X,
      y: {
        field: 'value',
        type: 'quantitative' as const,
        title,
        scale: log ? { type: 'log' as const } : { zero: false },
      },
      tooltip: [
        { field: 'step', type: 'quantitative' as const },
        { field: 'value', type: 'quantitative' as const, title, format: '.4~r' },
      ],
    },
  };
}

function changeRules(history: AdaptiveHistory) {
  return {
    data: {
      values: history.changes.map((c) => ({
        step: c.step,
        label: `${c.fromBatch} -> ${c.toBatch}`,
        reason: c.reason,
      })),
    },
    mark: { type: 'rule' as const, strokeDash: [4, 3], color: COLORS.marker },
    encoding: {
      x: { field: 'step', type: 'quantitative' as const },
      tooltip: [{ field: 'reason', type: 'nominal' as const }],
    },
  };
}

export function adaptiveCharts(history: AdaptiveHistory): AdaptiveChart[] {
  const steps = history.steps;
  const none = (what: string): ChartResult => ({
    kind: 'empty',
    reason: `No ${what} to draw: the run took no step.`,
  });
  const batch = steps.map((s) => ({ step: s.step, value: s.batch }));
  const lr = steps.map((s) => ({ step: s.step, value: s.lr }));
  const noise = steps.flatMap((s) => {
    const value = finite(s.bNoise);
    return value !== undefined && value > 0 ? [{ step: s.step, value }] : [];
  });
  const targets = history.changes.map((c) => ({ step: c.step, value: c.targetBatch }));
  return [
    {
      id: 'batch',
      title: 'Batch size',
      caption:
        'Examples per optimizer step; dashed rules mark each growth, points the time-optimal batch B* it aimed at.',
      result:
        steps.length === 0
          ? none('batch')
          : layeredChart([
              stepLine(batch, 'batch size (examples)', COLORS.measured, true),
              {
                data: { values: targets },
                mark: { type: 'point' as const, filled: true, size: 60, color: COLORS.recommended },
                encoding: {
                  x: STEP_X,
                  y: { field: 'value', type: 'quantitative' as const },
                  tooltip: [
                    { field: 'value', type: 'quantitative' as const, title: 'B*', format: '.4~r' },
                  ],
                },
              },
              changeRules(history),
            ]),
    },
    {
      id: 'lr',
      title: 'Learning rate',
      caption: `Scaled at each growth by the ${history.settings.lrRule} rule.`,
      result:
        steps.length === 0
          ? none('learning rate')
          : layeredChart([stepLine(lr, 'learning rate', COLORS.time, false), changeRules(history)]),
    },
    {
      id: 'noise',
      title: 'Gradient noise scale B_noise',
      caption:
        'EMA(tr Σ) / EMA(|G|²) from the micro-batch norms of each step (McCandlish et al. 2018, App. A.1), log scale.',
      result:
        noise.length === 0
          ? { kind: 'empty', reason: 'B_noise was not measurable at any step (|G|² not above 0).' }
          : layeredChart([
              stepLine(noise, 'B_noise (examples)', COLORS.examples, true),
              changeRules(history),
            ]),
    },
  ];
}
