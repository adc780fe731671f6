// The gradient noise scale B_simple along training (McCandlish et al. 2018, §2.2): the measured
// value with its 95% confidence band, against the optimizer step and against the training loss
// (loss axis reversed so that training still runs left to right). Points where B_simple was not
// measurable yet are left out.

import type { FindReport } from '../find-report-schema.js';
import { formatNumber } from '../format.js';
import {
  CHART_CONFIG,
  CHART_HEIGHT_PX,
  CHART_WIDTH_PX,
  type ChartResult,
  COLORS,
  finite,
  VEGA_LITE_SCHEMA,
} from './chart-spec.js';

export interface NoisePoint {
  readonly step: number;
  readonly loss: number | null;
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

/** The measured trajectory points, with the band clamped to the value when an end is missing. */
export function noisePoints(report: FindReport): NoisePoint[] {
  return report.noise.trajectory.flatMap((p) => {
    const value = finite(p.value);
    if (p.kind !== 'measured' || value === undefined) return [];
    const low = finite(p.ci95?.[0]) ?? value;
    const high = finite(p.ci95?.[1]) ?? value;
    return [{ step: p.step, loss: finite(p.loss) ?? null, value, low, high }];
  });
}

export function noiseChart(report: FindReport): ChartResult {
  const points = noisePoints(report);
  if (points.length === 0) {
    const b = report.noise.bSimple;
    return {
      kind: 'empty',
      reason: `The gradient noise scale was not measured along the run${b.reason ? `: ${b.reason}` : ''}.`,
    };
  }
  // A log axis when everything drawn is positive (B_simple spans orders of magnitude).
  const logScale = points.every((p) => p.low > 0);
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    title: 'B_simple (examples)',
    scale: logScale ? { type: 'log' as const } : { zero: false },
  };
  const overall =
    report.noise.bSimple.kind === 'measured' ? finite(report.noise.bSimple.value) : undefined;
  const view = (xField: 'step' | 'loss', title: string, width: number) => {
    const x = {
      field: xField,
      type: 'quantitative' as const,
      title,
      scale: xField === 'loss' ? { zero: false, reverse: true } : { zero: false },
    };
    const values = xField === 'loss' ? points.filter((p) => p.loss !== null) : points;
    return {
      width,
      height: CHART_HEIGHT_PX,
      data: { values },
      layer: [
        // Against the step: a band and a line; against the (noisy) loss: error bars only.
        ...(xField === 'step'
          ? [
              {
                mark: { type: 'area' as const, color: COLORS.band, opacity: 0.45 },
                encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' } },
              },
              {
                mark: { type: 'line' as const, color: COLORS.measured, strokeWidth: 2 },
                encoding: { x, y },
              },
            ]
          : [
              {
                mark: { type: 'rule' as const, color: COLORS.band, strokeWidth: 2 },
                encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' } },
              },
            ]),
        {
          mark: { type: 'point' as const, filled: true, color: COLORS.measured, size: 28 },
          encoding: {
            x,
            y,
            tooltip: [
              { field: 'step', type: 'quantitative' as const },
              { field: 'loss', type: 'quantitative' as const, format: '.4~r' },
              { field: 'value', type: 'quantitative' as const, title: 'B_simple', format: ',.0f' },
              { field: 'low', type: 'quantitative' as const, title: '95% CI low', format: ',.0f' },
              {
                field: 'high',
                type: 'quantitative' as const,
                title: '95% CI high',
                format: ',.0f',
              },
            ],
          },
        },
        ...(overall !== undefined
          ? [
              {
                // The final estimate: a dashed rule, named at the top left of the plot (a label
                // on the rule itself would sit on the data, which ends at that value).
                data: {
                  values: [{ overall, label: `dashed: final B_simple ${formatNumber(overall)}` }],
                },
                layer: [
                  {
                    mark: { type: 'rule' as const, color: COLORS.recommended, strokeDash: [4, 3] },
                    encoding: { y: { field: 'overall', type: 'quantitative' as const } },
                  },
                  {
                    mark: {
                      type: 'text' as const,
                      color: COLORS.recommended,
                      align: 'left' as const,
                      baseline: 'top' as const,
                      x: 4,
                      y: 3,
                    },
                    encoding: { text: { field: 'label', type: 'nominal' as const } },
                  },
                ],
              },
            ]
          : []),
      ],
    };
  };
  const withLoss = points.some((p) => p.loss !== null);
  const half = Math.round((CHART_WIDTH_PX - 40) / 2);
  return {
    kind: 'chart',
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      config: CHART_CONFIG,
      hconcat: withLoss
        ? [view('step', 'training step', half), view('loss', 'training loss (decreasing →)', half)]
        : [view('step', 'training step', CHART_WIDTH_PX)],
    },
  };
}
