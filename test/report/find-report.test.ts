import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { WorkloadSpec } from '../../src/engines/engine.js';
import { createFakeEngine } from '../../src/engines/fake/fake-engine.js';
import { recommendFromEvidence } from '../../src/planner/from-evidence.js';
import { type FindSettings, runFindProbes } from '../../src/probes/find-probes.js';
import { buildFindReport, findReportToJson } from '../../src/report/find-report.js';
import { findReportJsonSchema } from '../../src/report/find-report-json-schema.js';
import { findReportSchema } from '../../src/report/find-report-schema.js';
import { findReportToMarkdown } from '../../src/report/markdown-report.js';

const settings: FindSettings = {
  maxBatch: 60_000,
  memorySearch: 'model',
  throughputBatchCount: 6,
  warmupSteps: 1,
  minSteps: 3,
  minSeconds: 0,
  maxSecondsPerBatch: 5,
  noiseTrainBatchSize: 32,
  noiseMicroBatchSize: 8,
  noiseMaxMicroBatchSize: 256,
  noiseMicroBatches: 8,
  noiseMeasureEvery: 5,
  noiseMeasurements: 20,
  noiseMaxSeconds: 600,
  smoothing: { kind: 'ema', beta: 0.9 },
};
const spec: WorkloadSpec = {
  model: 'fake',
  data: 'fake',
  optimizer: 'sgd',
  learningRate: 0.002,
  seed: 2,
};

async function report() {
  const session = await createFakeEngine({ dimension: 8, deltaNorm: 2, noiseStd: 1 }).open(spec);
  const evidence = await runFindProbes(session, settings);
  const recommendation = recommendFromEvidence(evidence, session.workload, {
    learningRateBatchSize: 32,
  });
  return buildFindReport({
    evidence,
    recommendation,
    engine: session.engine,
    workload: session.workload,
    settings: { ...settings, memoryBudgetBytes: session.memoryBudgetBytes },
    learningRateBatchSize: 32,
    seed: 2,
    machine: {
      platform: 'linux',
      arch: 'x64',
      cpus: 2,
      cpuModel: 'test',
      totalMemoryBytes: 1,
      freeMemoryBytes: 1,
      node: 'v20',
    },
    command: [],
    createdAt: '2026-11-26T00:00:00.000Z',
    version: '0.0.0',
  });
}

describe('find report', () => {
  it('validates against its schema after a JSON round trip, with the named fields', async () => {
    const built = await report();
    const parsed = findReportSchema.parse(JSON.parse(findReportToJson(built)));
    expect(parsed.engine.backend).toBe('simulated');
    expect(parsed.recommendation!.batchSize).toBeGreaterThan(0);
    expect(parsed.recommendation!.learningRate).toBeGreaterThan(0);
    expect(parsed.memory.maxBatch).toBeGreaterThan(0);
    expect(parsed.memory.trials.length).toBeGreaterThan(0);
    expect(parsed.throughput.points).toHaveLength(6);
    expect(parsed.noise.trajectory).toHaveLength(20);
    expect(parsed.noise.bSimple.kind).toBe('measured');
    expect(parsed.noise.bSimple.ci95).toHaveLength(2);
  });

  it('writes non-finite numbers as null', () => {
    const text = findReportToJson({ x: Number.POSITIVE_INFINITY, y: Number.NaN } as never);
    expect(JSON.parse(text)).toEqual({ x: null, y: null });
  });

  it('renders Markdown with every section', async () => {
    const markdown = findReportToMarkdown(await report());
    for (const heading of [
      '## Recommendation',
      '## Memory',
      '## Throughput',
      '## Gradient noise scale',
    ]) {
      expect(markdown).toContain(heading);
    }
  });

  it('docs/find-report.schema.json is up to date (npx tsx scripts/write-report-schema.ts)', () => {
    const committed = readFileSync(
      new URL('../../docs/find-report.schema.json', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(findReportJsonSchema());
  });
});
