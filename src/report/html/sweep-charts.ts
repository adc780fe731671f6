// The four charts of the sweep's HTML report and of its dashboard page, in order: an id (the
// container), a title, a caption and what the builder returned (a spec or why there is none).

import type { SweepReport } from '../../sweep/sweep-report.js';
import type { ChartResult } from './chart-spec.js';
import { sweepCurvesChart } from './sweep-curves-chart.js';
import { sweepGeneralisationChart } from './sweep-generalisation-chart.js';
import { sweepParetoChart } from './sweep-pareto-chart.js';
import { sweepTimeChart } from './sweep-time-chart.js';

export type SweepChartId =
  | 'sweep-steps-examples'
  | 'sweep-time-to-target'
  | 'sweep-curves'
  | 'sweep-generalisation';

export interface SweepChart {
  readonly id: SweepChartId;
  readonly title: string;
  readonly caption: string;
  readonly result: ChartResult;
}

export type SweepChartInfo = Omit<SweepChart, 'result'>;

const BUILDERS: Record<SweepChartId, (report: SweepReport) => ChartResult> = {
  'sweep-steps-examples': sweepParetoChart,
  'sweep-time-to-target': sweepTimeChart,
  'sweep-curves': sweepCurvesChart,
  'sweep-generalisation': sweepGeneralisationChart,
};

export const SWEEP_CHART_INFO: readonly SweepChartInfo[] = [
  {
    id: 'sweep-steps-examples',
    title: 'Steps vs examples to the target',
    caption:
      'Each trial that reached the target, the median per batch (labelled; purple: Pareto-optimal, no other batch needs both fewer steps and fewer examples), and the fit S = S_min (1 + B_crit/B), E = S·B (McCandlish et al. 2018, Fig. 1) with its asymptotes S_min and E_min. Below B_crit a larger batch saves steps almost for free; above it, it mostly costs examples.',
  },
  {
    id: 'sweep-time-to-target',
    title: 'Time to the target vs batch size',
    caption:
      'Measured training seconds to the target: the median over repeats (each at its best learning rate) with a min–max whisker, and every reached trial as a faint point. The fastest batch and the batch find recommended are marked.',
  },
  {
    id: 'sweep-curves',
    title: 'Validation curves per batch size',
    caption:
      'Every trial against the examples trained, coloured by batch size: validation accuracy, or validation loss when the engine reports no accuracy, or training loss when it reports no validation metric (the axis says which).',
  },
  {
    id: 'sweep-generalisation',
    title: 'Generalisation vs batch size',
    caption:
      'The final validation accuracy (or loss) of each trial and its median per batch; beside it the generalisation gap, validation loss − training loss at the end. Large batches that generalise worse show as falling accuracy or a growing gap.',
  },
];

export function sweepChart(report: SweepReport, id: SweepChartId): ChartResult {
  return BUILDERS[id](report);
}

export function sweepCharts(report: SweepReport): SweepChart[] {
  return SWEEP_CHART_INFO.map((info) => ({ ...info, result: BUILDERS[info.id](report) }));
}
