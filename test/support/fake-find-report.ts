// A find report measured on the fake engine (known answers, no TF.js), for the HTML report
// tests and the report tests.

import type { WorkloadSpec } from '../../src/engines/engine.js';
import { createFakeEngine } from '../../src/engines/fake/fake-engine.js';
import { recommendFromEvidence } from '../../src/planner/from-evidence.js';
import {
  type FindProbeOptions,
  type FindSettings,
  runFindProbes,
} from '../../src/probes/find-probes.js';
import { buildFindReport } from '../../src/report/find-report.js';
import type { FindReport } from '../../src/report/find-report-schema.js';

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

/** `options.onEvent` sees each probe event, as `find` stores them. */
export async function fakeFindReport(options: FindProbeOptions = {}): Promise<FindReport> {
  const session = await createFakeEngine({ dimension: 8, deltaNorm: 2, noiseStd: 1 }).open(spec);
  const evidence = await runFindProbes(session, settings, options);
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
