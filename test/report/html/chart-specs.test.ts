// The Vega-Lite spec builders of the HTML report against a report measured on the fake engine:
// the right points, fitted curves and marked batches, and a sentence instead of a chart when a
// section is empty.

import { beforeAll, describe, expect, it } from 'vitest';
import { stepsToTarget } from '../../../src/analysis/time-to-target.js';
import type { FindReport } from '../../../src/report/find-report-schema.js';
import { memoryChart } from '../../../src/report/html/memory-chart.js';
import { noiseChart, noisePoints } from '../../../src/report/html/noise-chart.js';
import { reportCharts } from '../../../src/report/html/report-charts.js';
import {
  fittedExamplesPerSecond,
  throughputChart,
} from '../../../src/report/html/throughput-chart.js';
import { targetCurves, timeToTargetChart } from '../../../src/report/html/time-to-target-chart.js';
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
});
