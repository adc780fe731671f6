// The Vega-Lite spec builders of the HTML report against a report measured on the fake engine:
// the right points, fitted curves and marked batches, and a sentence instead of a chart when a
// section is empty.

import { beforeAll, describe, expect, it } from 'vitest';
import { stepsToTarget } from '../../../src/analysis/time-to-target.js';
import type { FindReport } from '../../../src/report/find-report-schema.js';
import { formatNumber } from '../../../src/report/format.js';
import { logBatchX } from '../../../src/report/html/chart-marks.js';
import { memoryChart, powersOfTen } from '../../../src/report/html/memory-chart.js';
import { noiseChart, noisePoints } from '../../../src/report/html/noise-chart.js';
import { reportCharts } from '../../../src/report/html/report-charts.js';
import { logTicks } from '../../../src/report/html/sweep-curves-chart.js';
import {
  fittedExamplesPerSecond,
  throughputChart,
} from '../../../src/report/html/throughput-chart.js';
import {
  labelSide,
  targetCurves,
  timeToTargetChart,
} from '../../../src/report/html/time-to-target-chart.js';
import { fakeFindReport } from '../../support/fake-find-report.js';
import { leafLayers } from './spec-layers.js';

let report: FindReport;
beforeAll(async () => {
  report = await fakeFindReport();
});

const clone = (r: FindReport): FindReport => structuredClone(r);

describe('memory chart', () => {
  it('draws every ok trial, the fitted line, the budget and the ceiling', () => {
    const chart = memoryChart(report);
    expect(chart.kind).toBe('chart');
    if (chart.kind !== 'chart') return;
    const leaves = leafLayers(chart.spec);
    const points = leaves.find((l) => l.mark === 'point')!;
    const ok = report.memory.trials.filter((t) => t.outcome === 'ok');
    expect(points.values.map((v) => v.batchSize)).toEqual(ok.map((t) => t.batchSize));
    // MiB: the budget is below 4 GiB.
    expect(points.values[0]!.peak).toBeCloseTo(ok[0]!.peakBytes! / 2 ** 20, 9);
    const line = leaves.find((l) => l.mark === 'line')!;
    const fit = report.memory.fit!;
    for (const v of line.values) {
      const expected = (fit.fixedBytes! + fit.bytesPerExample! * (v.batchSize as number)) / 2 ** 20;
      expect(v.peak as number).toBeCloseTo(expected, 6);
    }
    const rules = leaves.filter((l) => l.mark === 'rule');
    expect(rules.map((r) => r.values[0])).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ value: report.settings.memoryBudgetBytes / 2 ** 20 }),
        expect.objectContaining({ value: report.memory.maxBatch }),
      ]),
    );
  });

  it('reads for a small model: a log memory axis from the smallest peak up past the budget', () => {
    // A model far below its budget (peaks of KiB to MiB against GiB): on a linear axis to the
    // budget every point would sit on 0.
    const r = clone(report);
    r.settings.memoryBudgetBytes = 2.5 * 2 ** 30;
    r.memory.fit = { kind: 'fitted', fixedBytes: 130_000, bytesPerExample: 8_000 };
    r.memory.trials = [1, 16, 8192].map((b) => ({
      batchSize: b,
      outcome: 'ok',
      peakBytes: 130_000 + 8_000 * b,
      reason: 'fit point',
    }));
    r.memory.maxBatch = 8192;
    const chart = memoryChart(r);
    if (chart.kind !== 'chart') throw new Error('no chart');
    const points = leafLayers(chart.spec).find((l) => l.mark === 'point')!;
    const y = (points.node.encoding as { y: Record<string, unknown> }).y as {
      scale: { type?: string };
      title: string;
      axis: { values: number[] };
    };
    expect(y.scale.type).toBe('log');
    expect(y.title).toMatch(/log scale/);
    // Ticks: powers of ten from below the smallest peak (0.13 MiB) to above the budget (2,560).
    expect(y.axis.values).toEqual([0.1, 1, 10, 100, 1000, 10000]);
    // Batches 1 and 16 are an order of magnitude apart on the axis, not both at 0.
    const peaks = points.values.map((v) => v.peak as number);
    expect(Math.log10(peaks[2]! / peaks[0]!)).toBeGreaterThan(2);
    expect(powersOfTen([{ peak: 0.05 }], 2560)).toEqual([0.01, 0.1, 1, 10, 100, 1000, 10000]);
  });

  it('falls back to a linear axis from 0 when a peak is not positive', () => {
    const r = clone(report);
    r.memory.trials[0]!.peakBytes = 0;
    const chart = memoryChart(r);
    if (chart.kind !== 'chart') throw new Error('no chart');
    const points = leafLayers(chart.spec).find((l) => l.mark === 'point')!;
    const y = (points.node.encoding as { y: { scale: Record<string, unknown> } }).y;
    expect(y.scale).toEqual({ zero: true });
  });

  it('marks out-of-memory and refused trials apart, at their predicted peak', () => {
    const r = clone(report);
    r.memory.trials.push(
      { batchSize: 9000, outcome: 'oom', reason: 'probe', predictedPeakBytes: 3 * 2 ** 30 },
      { batchSize: 20_000, outcome: 'limit', reason: 'probe' },
      { batchSize: 7000, outcome: 'error', reason: 'probe' },
    );
    const chart = memoryChart(r);
    if (chart.kind !== 'chart') throw new Error('no chart');
    const crosses = leafLayers(chart.spec).find(
      (l) => l.mark === 'point' && (l.node.mark as { shape?: string }).shape === 'cross',
    )!;
    expect(crosses.values.map((v) => [v.batchSize, v.outcome, v.peak])).toEqual([
      [9000, 'oom', 3 * 1024],
      [20_000, 'limit', r.settings.memoryBudgetBytes / 2 ** 20],
    ]);
  });

  it('says so when no trial ran', () => {
    const r = clone(report);
    r.memory.trials = [];
    expect(memoryChart(r)).toEqual({
      kind: 'empty',
      reason: expect.stringMatching(/no memory trial/i),
    });
  });
});

describe('throughput chart', () => {
  it('draws each point with its interquartile range and the fitted curve B/(t0 + B·s)', () => {
    const chart = throughputChart(report);
    if (chart.kind !== 'chart') throw new Error('no chart');
    const leaves = leafLayers(chart.spec);
    const bars = leaves.find((l) => l.mark === 'rule' && l.values.some((v) => 'low' in v))!;
    expect(bars.values).toHaveLength(report.throughput.points.length);
    for (const [i, p] of report.throughput.points.entries()) {
      expect(bars.values[i]).toMatchObject({
        batchSize: p.batchSize,
        examplesPerSecond: p.examplesPerSecond,
        low: p.examplesPerSecondRange[0],
        high: p.examplesPerSecondRange[1],
      });
    }
    const fit = report.throughput.fit;
    const curve = leaves.find((l) => l.mark === 'line')!;
    const t0 = fit.fixedSeconds!.value!;
    const s = fit.secondsPerExample!.value!;
    for (const v of curve.values) {
      const b = v.batchSize as number;
      expect(v.examplesPerSecond as number).toBeCloseTo(b / (t0 + b * s), 6);
    }
    const saturation = leaves.find((l) =>
      l.values.some((v) => 'label' in v && String(v.label).includes('of peak')),
    )!;
    expect(saturation.values[0]!.batchSize).toBe(fit.saturation!.batchSize);
    // 90% of the peak at the saturation batch, by the fitted curve itself.
    expect(fittedExamplesPerSecond(fit.saturation!.batchSize!, t0, s)).toBeCloseTo(
      0.9 * fit.peakExamplesPerSecond!,
      3,
    );
    const encoding = (curve.node.encoding as { x: { scale: { type: string } } }).x;
    expect(encoding.scale.type).toBe('log');
  });

  it('says so when nothing was measured', () => {
    const r = clone(report);
    r.throughput.points = [];
    expect(throughputChart(r).kind).toBe('empty');
  });
});

describe('noise chart', () => {
  it('draws B_simple with its 95% band against the step and against the loss', () => {
    const chart = noiseChart(report);
    if (chart.kind !== 'chart') throw new Error('no chart');
    const measured = report.noise.trajectory.filter((p) => p.kind === 'measured');
    expect(noisePoints(report).map((p) => [p.step, p.value, p.low, p.high])).toEqual(
      measured.map((p) => [p.step, p.value, p.ci95![0], p.ci95![1]]),
    );
    const views = (chart.spec as { hconcat: unknown[] }).hconcat;
    expect(views).toHaveLength(2);
    const leaves = leafLayers(chart.spec);
    expect(leaves.some((l) => l.mark === 'area')).toBe(true);
    const xFields = leaves
      .filter((l) => l.mark === 'point')
      .map((l) => (l.node.encoding as { x: { field: string } }).x.field);
    expect(xFields).toEqual(['step', 'loss']);
  });

  it('labels the dashed final-estimate line with its value, in both views', () => {
    const chart = noiseChart(report);
    if (chart.kind !== 'chart') throw new Error('no chart');
    const leaves = leafLayers(chart.spec);
    const rules = leaves.filter((l) => l.mark === 'rule' && 'overall' in (l.values[0] ?? {}));
    const texts = leaves.filter((l) => l.mark === 'text');
    expect(rules).toHaveLength(2);
    expect(texts).toHaveLength(2);
    const b = report.noise.bSimple;
    for (const t of texts) {
      expect(t.values[0]).toEqual({
        overall: b.value,
        label: `dashed: final B_simple ${formatNumber(b.value)}`,
      });
      // At the top left of the plot, clear of the data that ends at the line.
      expect(t.node.mark).toMatchObject({ x: 4, y: 3, align: 'left', baseline: 'top' });
    }
  });

  it('says why when B_simple was never measured', () => {
    const r = clone(report);
    r.noise.trajectory = r.noise.trajectory.map((p) => ({
      ...p,
      kind: 'not-measurable',
      value: null,
      ci95: null,
    }));
    r.noise.bSimple = { ...r.noise.bSimple, kind: 'not-measurable', reason: 'too noisy' };
    expect(noiseChart(r)).toEqual({ kind: 'empty', reason: expect.stringContaining('too noisy') });
  });
});

describe('time-to-target chart', () => {
  it('follows S(B) and E(B) relative to the recommendation, with time from the step-time fit', () => {
    const r = report.recommendation!;
    const model = { bNoise: r.bNoise!, minSteps: 1, datasetSize: report.workload.datasetSize };
    const curves = targetCurves(report);
    const at = (b: number, q: string) => curves.find((p) => p.batchSize === b && p.quantity === q)!;
    expect(at(r.batchSize, 'steps').relative).toBeCloseTo(1, 12);
    expect(at(r.batchSize, 'time').relative).toBeCloseTo(1, 12);
    const reference = stepsToTarget(model, r.batchSize);
    const grid = curves.filter((p) => p.quantity === 'steps').map((p) => p.batchSize);
    expect(grid[0]).toBe(1);
    expect(grid.at(-1)).toBe(report.workload.datasetSize);
    for (const b of grid) {
      expect(at(b, 'steps').relative).toBeCloseTo(stepsToTarget(model, b) / reference, 9);
      expect(at(b, 'examples').relative).toBeCloseTo(
        (b * stepsToTarget(model, b)) / (r.batchSize * reference),
        9,
      );
    }
    // The planner's own candidates lie on the curves.
    for (const c of r.candidates) {
      expect(at(c.batchSize, 'time').relative).toBeCloseTo(c.relativeTime!, 6);
      expect(at(c.batchSize, 'steps').relative).toBeCloseTo(c.relativeSteps!, 6);
    }
  });

  it('marks the recommended, compute-optimal and memory-max batches', () => {
    const chart = timeToTargetChart(report);
    if (chart.kind !== 'chart') throw new Error('no chart');
    const rules = leafLayers(chart.spec).find((l) => l.mark === 'rule')!;
    const labels = rules.values.map((v) => String(v.label)).join(' | ');
    expect(labels).toContain('recommended');
    expect(labels).toContain('compute-optimal');
    expect(labels).toContain('memory max');
    const batches = rules.values.map((v) => v.batchSize);
    expect(batches).toContain(report.recommendation!.batchSize);
    expect(batches).toContain(report.memory.maxBatch);
  });

  it('puts the labels of close markers on opposite sides of their rules', () => {
    // Batches 64 and 74: the first label goes left of its rule, so it does not run across 74's.
    expect(labelSide(64, 74, 8192)).toBe('left');
    expect(labelSide(74, 8192, 8192)).toBe('right');
    // Near the right end of the axis a label goes left, inside the plot.
    expect(labelSide(8192, undefined, 8192)).toBe('left');
    expect(labelSide(32, undefined, 8192)).toBe('right');
    const r = clone(report);
    const rec = r.recommendation!;
    const computeOptimal = rec.candidates.find((c) => c.name === 'compute-optimal')!;
    computeOptimal.batchSize = Math.round(rec.batchSize * 1.15) + 1;
    const chart = timeToTargetChart(r);
    if (chart.kind !== 'chart') throw new Error('no chart');
    const text = leafLayers(chart.spec).find((l) => l.mark === 'text')!;
    const side = (b: number) => text.values.find((v) => v.batchSize === b)?.side;
    expect(side(rec.batchSize)).toBe('left');
    expect(side(computeOptimal.batchSize)).toBe('right');
    expect((text.node.mark as { align: { expr: string } }).align.expr).toContain('datum.side');
  });

  it('says so without B_noise or without a recommendation', () => {
    const r = clone(report);
    r.recommendation!.bNoise = null;
    expect(timeToTargetChart(r)).toEqual({
      kind: 'empty',
      reason: expect.stringMatching(/B_noise/),
    });
    r.recommendation = null;
    expect(timeToTargetChart(r).kind).toBe('empty');
  });
});

describe('report charts', () => {
  it('lists the four charts in order, each with a title and caption', () => {
    const charts = reportCharts(report);
    expect(charts.map((c) => c.id)).toEqual(['memory', 'throughput', 'noise', 'time-to-target']);
    for (const c of charts) {
      expect(c.result.kind).toBe('chart');
      expect(c.title.length).toBeGreaterThan(5);
    }
  });

  it('carry their titles in the spec for standalone plots (--plots), not on a page', () => {
    for (const c of reportCharts(report)) {
      if (c.result.kind !== 'chart') throw new Error(`no ${c.id} chart`);
      expect((c.result.spec as { title?: { text: string } }).title?.text).toBe(c.title);
    }
    for (const c of reportCharts(report, { titles: false })) {
      if (c.result.kind !== 'chart') throw new Error(`no ${c.id} chart`);
      expect((c.result.spec as { title?: unknown }).title).toBeUndefined();
    }
  });
});

describe('sweep chart axes', () => {
  it('zoom the batch axis to the batches swept, a tick at each', () => {
    expect(logBatchX(undefined, [32, 8, 512, 128, 32])).toEqual({
      field: 'batchSize',
      type: 'quantitative',
      scale: { type: 'log', domain: [8 / 1.5, 512 * 1.5], nice: false },
      axis: { values: [8, 32, 128, 512], format: ',d' },
      title: 'batch size (examples, log scale)',
    });
    // Without batches (the find report's charts): a log axis with vega's own ticks.
    expect(logBatchX().scale).toEqual({ type: 'log' });
  });

  it('tick the examples axis of the curves at 0 and the powers of ten', () => {
    expect(logTicks(1_024, 960_000)).toEqual([0, 1_000, 10_000, 100_000, 1_000_000]);
  });
});
