// The four charts of the HTML report and of --plots, in order: an id (the container and file
// name), a title, a caption and what the builder returned (a spec or the reason there is none).
// A standalone chart (--plots writes each spec as an SVG and PNG file on its own) carries its
// title in the spec; on a page, where a heading above it says the same, it does not.

import type { FindReport } from '../find-report-schema.js';
import { type ChartResult, titledChart } from './chart-spec.js';
import { memoryChart } from './memory-chart.js';
import { noiseChart } from './noise-chart.js';
import { throughputChart } from './throughput-chart.js';
import { timeToTargetChart } from './time-to-target-chart.js';

export type ChartId = 'memory' | 'throughput' | 'noise' | 'time-to-target';

export interface ReportChart {
  readonly id: ChartId;
  readonly title: string;
  readonly caption: string;
  readonly result: ChartResult;
}

export type ReportChartInfo = Omit<ReportChart, 'result'>;

const BUILDERS: Record<ChartId, (report: FindReport) => ChartResult> = {
  memory: memoryChart,
  throughput: throughputChart,
  noise: noiseChart,
  'time-to-target': timeToTargetChart,
};

/** The four charts' ids, titles and captions, in order. */
export const REPORT_CHART_INFO: readonly ReportChartInfo[] = [
  {
    id: 'memory',
    title: 'Memory vs batch size',
    caption:
      'Measured peak memory of each trial that fit, the fitted line peak(B) = fixed + B × per-example, the budget and the largest batch that fits it. Crosses: trials that ran out of memory or that the engine refused (at their predicted peak).',
  },
  {
    id: 'throughput',
    title: 'Throughput vs batch size',
    caption:
      'Median examples per second with the interquartile range of the measured steps, the fitted curve B / (t0 + B·s) of the step time t(B) = t0 + B·s, its peak R = 1/s, and the batch where throughput reaches 90% of R.',
  },
  {
    id: 'noise',
    title: 'Gradient noise scale along training',
    caption:
      'B_simple = tr(Σ)/|G|² (McCandlish et al. 2018) with its 95% confidence band, against the training step and against the training loss; the dashed line is the final estimate. The critical batch size is about B_simple.',
  },
  {
    id: 'time-to-target',
    title: 'Steps, examples and time to the target',
    caption:
      'Predicted from S(B) = S_min (1 + B_noise (N − B) / ((N − 1) B)) and the fitted step time (gradient accumulation past the memory ceiling), relative to the recommended batch: larger batches need fewer steps but more examples; the recommendation balances the two.',
  },
];
/** Builds one chart of the report by id. */
export function reportChart(report: FindReport, id: ChartId): ChartResult {
  return BUILDERS[id](report);
}

/**
 * The four charts; `titles` (default true, for standalone files) puts each chart's title in its
 * spec, false leaves it to the page's heading.
 */
export function reportCharts(report: FindReport, { titles = true } = {}): ReportChart[] {
  return REPORT_CHART_INFO.map((info) => {
    const result = BUILDERS[info.id](report);
    return { ...info, result: titles ? titledChart(result, info.title) : result };
  });
}
