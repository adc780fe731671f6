import { describe, expect, it } from 'vitest';
import type { WorkloadSpec } from '../../src/engines/engine.js';
import { createFakeEngine, type FakeEngineOptions } from '../../src/engines/fake/fake-engine.js';
import { MEMORY_SEARCH_STRATEGIES, searchMemoryCeiling } from '../../src/probes/memory-search.js';
import { MEMORY_SEARCH_DEFAULTS } from '../support/find-defaults.js';

const spec: WorkloadSpec = {
  model: 'fake',
  data: 'fake',
  optimizer: 'sgd',
  learningRate: 0.01,
  seed: 1,
};
const MiB = 1024 ** 2;

async function open(options: FakeEngineOptions = {}) {
  return createFakeEngine({
    fixedBytes: 300 * MiB,
    bytesPerExample: 0.37 * MiB,
    memoryBudgetBytes: 2048 * MiB,
    ...options,
  }).open(spec);
}

describe('memory ceiling search', () => {
  it('the model strategy finds the ceiling within 2% in at most 4 trials', async () => {
    const session = await open();
    const truth = session.truth().maxBatch; // floor((2048 - 300) / 0.37) = 4724
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 60_000,
    });
    if (result.kind !== 'found') throw new Error(result.kind);
    expect(result.maxBatch).toBeLessThanOrEqual(truth);
    expect(result.maxBatch / truth).toBeGreaterThanOrEqual(0.98);
    expect(result.trials.length).toBeLessThanOrEqual(4);
    expect(result.trials.every((t) => t.outcome === 'ok')).toBe(true);
  });

  it('finds the ceiling within 2% in at most 4 trials when peak memory has two regimes', async () => {
    // As measured for the TF.js cnn on wasm: an optimizer-dominated peak at small batches
    // (3.9 MB + 128 KB/example) and an activation-dominated one at large batches (297 KB/example).
    const session = await open({
      fixedBytes: 3.9e6,
      bytesPerExample: 128e3,
      secondRegime: { fixedBytes: 0, bytesPerExample: 297e3 },
      memoryBudgetBytes: 256 * MiB,
    });
    const truth = session.truth().maxBatch; // floor(268435456 / 297000) = 903
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 4096,
    });
    if (result.kind !== 'found') throw new Error(result.kind);
    expect(result.maxBatch).toBeLessThanOrEqual(truth);
    expect(result.maxBatch / truth).toBeGreaterThanOrEqual(0.98);
    expect(result.trials.length).toBeLessThanOrEqual(4);
  });

  it('lightning and accelerate baselines need many more trials for the same answer', async () => {
    const counts: Record<string, number> = {};
    for (const strategy of MEMORY_SEARCH_STRATEGIES) {
      const session = await open();
      const truth = session.truth().maxBatch;
      const result = await searchMemoryCeiling(session, {
        ...MEMORY_SEARCH_DEFAULTS,
        strategy,
        maxBatchSize: 60_000,
      });
      if (result.kind !== 'found') throw new Error(`${strategy}: ${result.kind}`);
      expect(result.maxBatch).toBeLessThanOrEqual(truth);
      counts[strategy] = result.trials.length;
      if (strategy === 'lightning') expect(result.maxBatch).toBe(truth); // bisects to the exact ceiling
      if (strategy === 'accelerate') expect(result.maxBatch / truth).toBeGreaterThan(0.9);
    }
    expect(counts.lightning).toBeGreaterThanOrEqual(10);
    expect(counts.accelerate).toBeGreaterThanOrEqual(10);
  });

  it('is capped by the data size or --max-batch without wasting trials', async () => {
    const session = await open();
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 500,
    });
    expect(result).toMatchObject({ kind: 'found', maxBatch: 500, capped: true });
    expect(result.trials.length).toBeLessThanOrEqual(3);
  });

  it('reports when not even batch 1 fits', async () => {
    const session = await open({ fixedBytes: 4096 * MiB });
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 1000,
    });
    expect(result.kind).toBe('none-fits');
    if (result.kind === 'none-fits') expect(result.message).toMatch(/not even batch 1 fits/);
  });

  it('treats a backend limit like a failure to bisect around', async () => {
    const session = await open({ limitAtBatchSize: 1000 });
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 60_000,
    });
    expect(result).toMatchObject({ kind: 'found', maxBatch: 999 });
    expect(result.trials.some((t) => t.outcome === 'limit')).toBe(true);
  });

  it('stops at an abort and keeps the trials so far', async () => {
    const session = await open();
    const controller = new AbortController();
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      strategy: 'lightning',
      maxBatchSize: 60_000,
      signal: controller.signal,
      onTrial: (t) => {
        if (t.batchSize >= 64) controller.abort();
      },
    });
    expect(result.kind).toBe('interrupted');
    expect(result.trials.length).toBeGreaterThan(0);
    if (result.kind === 'interrupted') expect(result.maxBatch).toBe(64);
  });

  it('replays prior trials of an interrupted search instead of running them again', async () => {
    for (const strategy of MEMORY_SEARCH_STRATEGIES) {
      const full = await searchMemoryCeiling(await open(), {
        ...MEMORY_SEARCH_DEFAULTS,
        strategy,
        maxBatchSize: 60_000,
      });
      // An interrupted search kept its first two trials; the resumed one must not rerun them.
      const prior = full.trials.slice(0, 2);
      const session = await open();
      const measured: number[] = [];
      const measure = session.measureMemory.bind(session);
      session.measureMemory = async (options) => {
        measured.push(options.batchSize);
        return measure(options);
      };
      const ran: number[] = [];
      const resumed = await searchMemoryCeiling(session, {
        ...MEMORY_SEARCH_DEFAULTS,
        strategy,
        maxBatchSize: 60_000,
        priorTrials: prior,
        onTrial: (trial) => ran.push(trial.batchSize),
      });
      expect(resumed.kind).toBe(full.kind);
      expect(resumed.trials.map((t) => t.batchSize)).toEqual(full.trials.map((t) => t.batchSize));
      expect(resumed.trials.slice(0, 2)).toEqual(prior);
      expect(measured).toEqual(full.trials.slice(2).map((t) => t.batchSize));
      expect(ran).toEqual(measured);
    }
  });

  it('measures an aborted prior trial again', async () => {
    const session = await open();
    const resumed = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 60_000,
      priorTrials: [{ batchSize: 1, outcome: 'aborted', message: 'aborted', reason: 'fit point' }],
    });
    expect(resumed.kind).toBe('found');
    expect(resumed.trials[0]!.outcome).toBe('ok');
  });
});
