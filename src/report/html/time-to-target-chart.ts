// Predicted steps, examples and time to the target vs batch size, relative to the recommended
// batch: S(B) = S_min (1 + B_noise·(N − B)/((N − 1)·B)) (McCandlish et al. 2018 §2.3 with the
// finite-population factor, src/analysis/time-to-target.ts), E(B) = B·S(B), and time S(B)·t(B)
// with t(B) = t0 + B·s from the throughput fit; past the memory ceiling the batch is reached by
// gradient accumulation (k·t(m)), as the planner does. S_min cancels in every ratio. The
// recommended, compute-optimal and memory-max batches are marked.

import { affineStepTime, type BatchPlan, evaluatePlan } from '../../analysis/batch-choice.js';
import type { FindReport } from '../find-report-schema.js';
import { logBatchX } from './chart-marks.js';
import { type ChartResult, COLORS, finite, geometricGrid, layeredChart } from './chart-spec.js';

export type TargetQuantity = 'steps' | 'examples' | 'time';

export interface TargetCurvePoint {
  readonly batchSize: number;
  readonly quantity: TargetQuantity;
  /** Relative to the recommended batch (1 there). */
  readonly relative: number;
}

const QUANTITY_LABELS: Readonly<Record<TargetQuantity, string>> = {
  steps: 'steps S(B)',
  examples: 'examples E(B)',
  time: 'time S(B)·t(B)',
};

const MARKED: readonly { name: string; label: string }[] = [
  { name: 'recommended', label: 'recommended' },
  { name: 'compute-optimal', label: 'compute-optimal' },
  { name: 'memory-max', label: 'memory max' },
];

/** The relative steps, examples and (with a step-time fit) time over a batch grid. */
export function targetCurves(report: FindReport): TargetCurvePoint[] {
  const r = report.recommendation;
  const bNoise = finite(r?.bNoise);
  if (!r || bNoise === undefined) return [];
  const datasetSize = report.workload.datasetSize;
  const fit = report.throughput.fit;
  const t0 = finite(fit.fixedSeconds?.value);
  const perExample = finite(fit.secondsPerExample?.value);
  const peak = finite(fit.peakExamplesPerSecond);
  const stepTime =
    fit.kind === 'fitted' && t0 !== undefined && perExample !== undefined
      ? affineStepTime(Math.max(0, t0), peak !== undefined ? Math.max(0, perExample) : 0)
      : undefined;
  const maxMicro = Math.max(1, Math.floor(finite(report.memory.maxBatch) ?? datasetSize));
  const planAt = (batchSize: number): BatchPlan => {
    const micro = Math.min(batchSize, maxMicro);
    const accumulationSteps = Math.ceil(batchSize / micro);
    return evaluatePlan(
      {
        noise: { bNoise, minSteps: 1, datasetSize },
        stepTime: stepTime ?? affineStepTime(1, 0),
      },
      { microBatch: Math.floor(batchSize / accumulationSteps), accumulationSteps, devices: 1 },
    );
  };
  const reference = planAt(Math.min(r.batchSize, datasetSize));
  const grid = new Set(geometricGrid(1, datasetSize, 120).map((b) => Math.round(b)));
  for (const c of r.candidates)
    if (c.batchSize >= 1 && c.batchSize <= datasetSize) grid.add(c.batchSize);
  const out: TargetCurvePoint[] = [];
  const seen = new Set<number>();
  for (const requested of [...grid].sort((a, b) => a - b)) {
    const plan = planAt(requested);
    // Past the ceiling, m × k may fall a little short of the requested batch: plot what runs.
    const batchSize = plan.globalBatch;
    if (seen.has(batchSize)) continue;
    seen.add(batchSize);
    out.push({ batchSize, quantity: 'steps', relative: plan.steps / reference.steps });
    out.push({ batchSize, quantity: 'examples', relative: plan.examples / reference.examples });
    if (stepTime)
      out.push({ batchSize, quantity: 'time', relative: plan.seconds / reference.seconds });
  }
  return out.filter((p) => Number.isFinite(p.relative) && p.relative > 0);
}

/**
 * Which side of its rule a marker's label goes on: the left when the next marked batch is close
 * enough on the log axis for the label to run across its rule (less than a factor 4 apart), or
 * when the rule is in the last quarter of the axis (the label would run off the plot); else the
 * right. Rows still stagger the labels, so two labels on one side do not overlap either.
 */
export function labelSide(
  batchSize: number,
  next: number | undefined,
  xMax: number,
): 'left' | 'right' {
  if (next !== undefined && next / batchSize < 4) return 'left';
  return Math.log(batchSize) / Math.log(xMax) > 0.75 ? 'left' : 'right';
}

export function timeToTargetChart(report: FindReport): ChartResult {
  const r = report.recommendation;
  if (!r)
    return {
      kind: 'empty',
      reason: 'No recommendation was made, so there is nothing to compare against.',
    };
  if (finite(r.bNoise) === undefined) {
    return {
      kind: 'empty',
      reason:
        'The gradient noise scale B_noise was not measured, so steps, examples and time to the target cannot be predicted.',
    };
  }
  const curves = targetCurves(report).map((p) => ({ ...p, series: QUANTITY_LABELS[p.quantity] }));
  if (curves.length === 0) return { kind: 'empty', reason: 'No batch size could be evaluated.' };

  // One rule per marked batch; names sharing a batch share a label.
  const byBatch = new Map<number, string[]>();
  for (const { name, label } of MARKED) {
    const c = r.candidates.find((x) => x.name === name);
    const batchSize = c?.batchSize ?? (name === 'recommended' ? r.batchSize : undefined);
    if (batchSize === undefined) continue;
    byBatch.set(batchSize, [...(byBatch.get(batchSize) ?? []), label]);
  }
  const sorted = [...byBatch.entries()].sort((a, b) => a[0] - b[0]);
  const xMax = Math.max(2, ...curves.map((p) => p.batchSize));
  const markers = sorted.map(([batchSize, labels], i) => {
    const next = sorted[i + 1]?.[0];
    return {
      batchSize,
      label: `${labels.join(' = ')} ${batchSize.toLocaleString('en-US')}`,
      recommended: labels.includes('recommended'),
      /** Label row: rows are 14 px apart from the top, so close batches do not overlap. */
      row: i,
      side: labelSide(batchSize, next, xMax),
    };
  });

  const hasTime = curves.some((p) => p.quantity === 'time');
  const domain = (['steps', 'examples', 'time'] as const)
    .filter((q) => q !== 'time' || hasTime)
    .map((q) => QUANTITY_LABELS[q]);
  const range = [COLORS.steps, COLORS.examples, COLORS.time].slice(0, domain.length);
  const x = logBatchX('global batch size (examples, log scale)');

  return layeredChart([
    {
      data: { values: curves },
      mark: { type: 'line' as const, strokeWidth: 2 },
      encoding: {
        x,
        y: {
          field: 'relative',
          type: 'quantitative' as const,
          scale: { type: 'log' as const },
          title: '× the recommended batch (log)',
        },
        color: {
          field: 'series',
          type: 'nominal' as const,
          scale: { domain, range },
          legend: { title: null },
        },
        tooltip: [
          { field: 'batchSize', type: 'quantitative' as const, title: 'batch' },
          { field: 'series', type: 'nominal' as const, title: 'quantity' },
          {
            field: 'relative',
            type: 'quantitative' as const,
            title: '× recommended',
            format: '.3~r',
          },
        ],
      },
    },
    {
      data: { values: markers },
      layer: [
        {
          mark: { type: 'rule' as const, strokeDash: [4, 3] },
          encoding: {
            x: { field: 'batchSize', type: 'quantitative' as const },
            color: {
              condition: { test: 'datum.recommended', value: COLORS.recommended },
              value: COLORS.fit,
            },
            size: { condition: { test: 'datum.recommended', value: 2 }, value: 1 },
          },
        },
        {
          mark: {
            type: 'text' as const,
            align: { expr: "datum.side === 'left' ? 'right' : 'left'" },
            baseline: 'top' as const,
            dx: { expr: "datum.side === 'left' ? -4 : 4" },
            y: { expr: '4 + 14 * datum.row' },
          },
          encoding: {
            x: { field: 'batchSize', type: 'quantitative' as const },
            text: { field: 'label', type: 'nominal' as const },
            color: {
              condition: { test: 'datum.recommended', value: COLORS.recommended },
              value: '#334155',
            },
          },
        },
      ],
    },
  ]);
}
