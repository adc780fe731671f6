// The analysis of logs against known answers: the exact noise scale of linear regression, the
// step time t0 + B/R the fixture was timed with, the memory model from logged peaks, and the
// same answer from the same log in all three formats.

import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../src/analyze/analyze-log.js';
import { analyzeReportToMarkdown } from '../../src/analyze/analyze-markdown.js';
import { analyzeReportToJson, buildAnalyzeReport } from '../../src/analyze/analyze-report.js';
import { readTrainingLog, readTrainingLogs } from '../../src/analyze/read-log.js';
import {
  BYTES_PER_EXAMPLE,
  FIXED_BYTES,
  linearRegressionFixture,
  PEAK_EXAMPLES_PER_SECOND,
  T0_SECONDS,
  tempDirectory,
  toCsv,
  toProtocol,
  toTfEvents,
  writeFixture,
} from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDirectory();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('analyzeLogs', () => {
  it('finds the exact B_simple within its 95% interval and the timed t0 and R', async () => {
    const fixture = linearRegressionFixture();
    const log = await readTrainingLog(await writeFixture(dir, 'truth.csv', toCsv(fixture.steps)));
    const analysis = analyzeLogs([log], { smoothing: { kind: 'all' } });
    const b = analysis.noise.final;
    expect(b.kind).toBe('measured');
    if (b.kind !== 'measured') return;
    // B_simple = d + 1 + d sigma^2/|D|^2 = 11 + 10 = 21 (src/engines/fake/linear-regression.ts).
    expect(fixture.bSimple).toBeCloseTo(21, 10);
    expect(b.ci[0]).toBeLessThan(fixture.bSimple);
    expect(b.ci[1]).toBeGreaterThan(fixture.bSimple);
    expect(b.sampleCount).toBe(180);
    const fit = analysis.throughput.fit;
    expect(fit.kind).toBe('fitted');
    if (fit.kind !== 'fitted') return;
    expect(fit.fixedSeconds.ci95[0]).toBeLessThan(T0_SECONDS);
    expect(fit.fixedSeconds.ci95[1]).toBeGreaterThan(T0_SECONDS);
    expect(fit.peakExamplesPerSecond / PEAK_EXAMPLES_PER_SECOND).toBeGreaterThan(0.9);
    expect(fit.peakExamplesPerSecond / PEAK_EXAMPLES_PER_SECOND).toBeLessThan(1.1);
    expect(analysis.throughput.droppedWarmupSteps).toBe(3);
    expect(analysis.noise.trajectory).toHaveLength(180);
    const r = analysis.recommendation!;
    expect(r.basis).toBe('time-optimal');
    expect(r.batchSize).toBeLessThanOrEqual(128);
    expect(analysis.memory).toMatchObject({ source: 'largest-batch-seen', maxBatch: 128 });
    expect(r.diagnostics[0]).toMatch(
      /memory ceiling is unknown from logs: capped at the largest batch seen \(128\)/,
    );
  });

  it('gives the same B_simple from the same log as CSV, protocol JSON lines and TensorBoard events', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 20 });
    const files = [
      await writeFixture(dir, 'same.csv', toCsv(steps)),
      await writeFixture(dir, 'same.jsonl', toProtocol(steps)),
      await writeFixture(dir, 'events.out.tfevents.same', toTfEvents(steps)),
    ];
    const values = [];
    for (const file of files) {
      const e = analyzeLogs(await readTrainingLogs([file])).noise.final;
      values.push(e.kind === 'measured' ? e.value : Number.NaN);
    }
    expect(values[1]).toBeCloseTo(values[0]!, 9);
    expect(Math.abs(values[2]! / values[0]! - 1)).toBeLessThan(1e-4); // float32 scalars
  });

  it('a memory model from logged peaks and a budget sets the ceiling', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 5 });
    const log = await readTrainingLog(await writeFixture(dir, 'peaks.csv', toCsv(steps, true)));
    const analysis = analyzeLogs([log], { memoryBudgetBytes: 400e6 });
    // floor((0.95 * 400e6 - fixed) / perExample) = 180
    expect(FIXED_BYTES + 180 * BYTES_PER_EXAMPLE).toBeLessThanOrEqual(0.95 * 400e6);
    expect(analysis.memory).toMatchObject({ source: 'memory-model', maxBatch: 180 });
    const without = analyzeLogs([log]);
    expect(without.memory.source).toBe('largest-batch-seen');
    expect(without.memory.note).toMatch(/--memory-budget/);
  });

  it('a logged out-of-memory batch caps the ceiling below it', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 5, accumulations: [4, 8] });
    const text = `${toProtocol(steps)}${JSON.stringify({ v: 1, event: 'oom', message: 'CUDA out of memory', batchSize: 96 })}\n`;
    const analysis = analyzeLogs([
      await readTrainingLog(await writeFixture(dir, 'oom.jsonl', text)),
    ]);
    expect(analysis.memory).toMatchObject({ maxBatch: 64, smallestOutOfMemoryBatch: 96 });
    expect(analysis.memory.note).toMatch(/batch 96 ran out of memory/);
    expect(analysis.recommendation!.batchSize).toBeLessThanOrEqual(64);
  });

  it('one batch size: the noise scale, but no time-optimal batch, said plainly', async () => {
    const { steps } = linearRegressionFixture({ accumulations: [8], stepsPerBatch: 40 });
    const log = await readTrainingLog(await writeFixture(dir, 'one.csv', toCsv(steps)));
    const analysis = analyzeLogs([log]);
    expect(analysis.noise.final.kind).toBe('measured');
    expect(analysis.recommendation).toBeUndefined();
    expect(analysis.messages.join('\n')).toMatch(/time one batch size \(64\)/);
    expect(analysis.messages.join('\n')).toMatch(/no recommendation: with B_simple/);
  });

  it('no norms: not measurable, and the recommendation rests on throughput', async () => {
    const file = await writeFixture(
      dir,
      'timing.csv',
      `step,batch_size,seconds\n${[16, 32, 64, 128, 256]
        .flatMap((b, i) => [0, 1, 2].map((j) => `${i * 3 + j},${b},${0.01 + b / 4000}`))
        .join('\n')}\n`,
    );
    const analysis = analyzeLogs([await readTrainingLog(file)], { warmupSteps: 0 });
    expect(analysis.noise.final.kind).toBe('not-measurable');
    expect(analysis.messages.join('\n')).toMatch(/no gradient squared norms/);
    expect(analysis.recommendation?.basis).toBe('conservative');
  });

  it('the report: schema version, non-finite numbers as null, Markdown', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 10 });
    const text = toCsv(steps).replace(/\n(\d+,32,8,[^,]+,[^,]+,)[^,]+,/, '\n$1nan,');
    const log = await readTrainingLog(await writeFixture(dir, 'report.csv', text));
    const analysis = analyzeLogs([log], { datasetSize: 10_000, learningRate: 0.1 });
    const report = buildAnalyzeReport({
      analysis,
      optimizer: 'sgd',
      learningRate: 0.1,
      warmupSteps: 1,
      command: ['analyze', 'report.csv'],
      createdAt: '2026-01-01T00:00:00.000Z',
      version: '0.0.0',
    });
    const json = JSON.parse(analyzeReportToJson(report));
    expect(json.schemaVersion).toBe(1);
    expect(json.report).toBe('analyze');
    expect(json.noise.bSimple.skippedCount).toBe(1);
    expect(
      json.noise.measurements.some((m: { gradientSqNorm: unknown }) => m.gradientSqNorm === null),
    ).toBe(true);
    expect(json.recommendation.stepsPerEpoch).toBeGreaterThan(0);
    expect(json.warnings[0]).toMatch(/report\.csv: line \d+: a gradient squared norm is NaN/);
    const markdown = analyzeReportToMarkdown(report);
    expect(markdown).toMatch(/## Gradient noise scale/);
    expect(markdown).toMatch(/\| batch \| steps \| median step/);
  });
});
