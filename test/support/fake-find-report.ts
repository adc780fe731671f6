// A find report measured on the fake engine (known answers, no TF.js), for the HTML report
// tests and the report tests.

import type { WorkloadSpec } from '../../src/engines/engine.js';
import { createFakeEngine, type FakeEngineOptions } from '../../src/engines/fake/fake-engine.js';
import { findSettingsSchema } from '../../src/find/find-settings.js';
import { resolveFindConfig } from '../../src/find/resolve-config.js';
import { recommendFromEvidence } from '../../src/planner/from-evidence.js';
import { type FindProbeOptions, runFindProbes } from '../../src/probes/find-probes.js';
import { buildFindReport } from '../../src/report/find-report.js';
import type { FindReport } from '../../src/report/find-report-schema.js';

const settings = findSettingsSchema.parse({
  engine: 'fake',
  maxBatchSize: 60_000,
  throughputBatchCount: 6,
  warmupSteps: 1,
  minSteps: 3,
  minSeconds: 0,
  noiseMicroBatchSize: 8,
  noiseMaxMicroBatchSize: 256,
  noiseMeasureEvery: 5,
  noiseMeasurements: 20,
  noiseMaxSeconds: 600,
  learningRate: 0.002,
  seed: 2,
});

const spec: WorkloadSpec = {
  model: 'fake',
  data: 'fake',
  optimizer: 'sgd',
  learningRate: 0.002,
  seed: 2,
};

/** `options.onEvent` sees each probe event, as `find` stores them; `engine` adds fake options. */
export async function fakeFindReport(
  options: FindProbeOptions = {},
  engine: FakeEngineOptions = {},
): Promise<FindReport> {
  const session = await createFakeEngine({
    dimension: 8,
    deltaNorm: 2,
    noiseStd: 1,
    ...engine,
  }).open(spec);
  const config = resolveFindConfig(settings, session);
  const evidence = await runFindProbes(session, config, options);
  const recommendation = recommendFromEvidence(evidence, session.workload, {
    learningRateBatchSize: 32,
    confidenceLevel: settings.confidenceLevel,
  });
  return buildFindReport({
    evidence,
    recommendation,
    engine: session.engine,
    workload: session.workload,
    config,
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
