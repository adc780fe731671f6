import { describe, expect, it } from 'vitest';
import type { WorkloadSpec } from '../../src/engines/engine.js';
import { createFakeEngine, type FakeEngineOptions } from '../../src/engines/fake/fake-engine.js';
import {
  MEMORY_SEARCH_STRATEGIES,
  type MemorySearchResult,
  searchMemoryCeiling,
} from '../../src/probes/memory-search.js';
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

/** Found, never above the true ceiling, at most 2% below it, in at most `maxTrials` trials. */
function expectCeilingNear(result: MemorySearchResult, truth: number, maxTrials: number): void {
  if (result.kind !== 'found') throw new Error(result.kind);
  expect(result.maxBatch).toBeLessThanOrEqual(truth);
  expect(result.maxBatch / truth).toBeGreaterThanOrEqual(0.98);
  expect(result.trials.length).toBeLessThanOrEqual(maxTrials);
}

describe('memory ceiling search', () => {
  it('the model strategy finds the ceiling within 2% in at most 4 trials', async () => {
    const session = await open();
    const truth = session.truth().maxBatch; // floor((2048 - 300) / 0.37) = 4724
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 60_000,
    });
    expectCeilingNear(result, truth, 4);
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
    expectCeilingNear(result, truth, 4);
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
        // Accelerate from --max-batch 60000 (its own default start, 128, is below this ceiling).
        startBatchSize: 60_000,
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

  it('treats a backend limit like a failure to bisect around, to the tolerance', async () => {
    const session = await open({ limitAtBatchSize: 1000 });
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 60_000,
    });
    if (result.kind !== 'found') throw new Error(result.kind);
    expect(result.maxBatch).toBeLessThan(1000);
    expect(result.maxBatch).toBeGreaterThanOrEqual(0.98 * 999);
    expect(result.failedAt).toBeGreaterThan(result.maxBatch);
    expect(result.trials.some((t) => t.outcome === 'limit')).toBe(true);
  });

  it('accelerate starts at 128 (its starting_batch_size) unless given a start', async () => {
    const session = await open();
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      strategy: 'accelerate',
      maxBatchSize: 1_000_000,
    });
    expect(result).toMatchObject({ kind: 'found', maxBatch: 128, basis: 'oom-outcomes' });
    expect(result.trials.map((t) => t.batchSize)).toEqual([128]);
    // From --max-batch: down by 0.9 from there, as Accelerate does.
    const fromMax = await searchMemoryCeiling(await open(), {
      ...MEMORY_SEARCH_DEFAULTS,
      strategy: 'accelerate',
      maxBatchSize: 6000,
      startBatchSize: 6000,
    });
    expect(fromMax.trials[0]!.batchSize).toBe(6000);
    expect(fromMax).toMatchObject({ kind: 'found', maxBatch: 4374, failedAt: 4860 });
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

describe('memory ceiling search on a caching allocator (the OOM point below the line)', () => {
  // Peaks on the line, failures from budget·(1 − gap): as on a CUDA GPU (fake-engine.ts).
  const curves = [
    { fixedBytes: 300 * MiB, bytesPerExample: 0.37 * MiB, memoryBudgetBytes: 2048 * MiB },
    { fixedBytes: 100 * MiB, bytesPerExample: 0.37 * MiB, memoryBudgetBytes: 2048 * MiB },
    { fixedBytes: 64 * MiB, bytesPerExample: 0.05 * MiB, memoryBudgetBytes: 1024 * MiB },
    { fixedBytes: 20 * MiB, bytesPerExample: 3 * MiB, memoryBudgetBytes: 2048 * MiB },
  ];
  const gaps = [0.01, 0.03, 0.06, 0.12];

  it.each(gaps)(
    'gap %s: within 2 percent of the true ceiling in few trials, never a batch that failed',
    async (allocatorGap) => {
      for (const curve of curves) {
        const session = await open({ ...curve, allocatorGap, datasetSize: 1_000_000 });
        const truth = session.truth().maxBatch;
        const result = await searchMemoryCeiling(session, {
          ...MEMORY_SEARCH_DEFAULTS,
          maxBatchSize: 1_000_000,
        });
        if (result.kind !== 'found') throw new Error(result.kind);
        expect(result.maxBatch).toBeLessThanOrEqual(truth);
        expect(result.maxBatch / truth).toBeGreaterThanOrEqual(0.98);
        const chosen = result.trials.filter((t) => t.batchSize === result.maxBatch);
        expect(chosen.map((t) => t.outcome)).toEqual(['ok']);
        expect(result.basis).toBe('memory-model');
        // The ceiling is known to within the tolerance: fits at maxBatch, fails by failedAt (or,
        // when the jump just under the line's ceiling fitted, the line bounds it).
        if (result.failedAt !== undefined) {
          expect(result.failedAt).toBeGreaterThan(truth);
          expect(result.maxBatch).toBeGreaterThanOrEqual(0.98 * (result.failedAt - 1));
        }
        // Two fit points (and, on the steep curve, the provably safe one), the jump to the line's
        // ceiling, then a bisection of the gap's prior range in memory space.
        expect(result.trials.length).toBeLessThanOrEqual(allocatorGap <= 0.06 ? 7 : 8);
        if (curve.fixedBytes >= 64 * MiB)
          expect(result.trials.length).toBeLessThanOrEqual(allocatorGap <= 0.06 ? 6 : 7);
      }
    },
  );

  it('lightning needs three times the trials on the same gap curves', async () => {
    for (const allocatorGap of gaps) {
      const counts: Record<string, number> = {};
      for (const strategy of ['model', 'lightning'] as const) {
        const session = await open({ allocatorGap, datasetSize: 1_000_000 });
        const result = await searchMemoryCeiling(session, {
          ...MEMORY_SEARCH_DEFAULTS,
          strategy,
          maxBatchSize: 1_000_000,
        });
        expect(result.kind).toBe('found');
        counts[strategy] = result.trials.length;
      }
      expect(counts.lightning).toBeGreaterThanOrEqual(3 * counts.model!);
    }
  });

  it('a gap wider than its prior range is found further down', async () => {
    const session = await open({ allocatorGap: 0.3, datasetSize: 1_000_000 });
    const truth = session.truth().maxBatch;
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 1_000_000,
    });
    expectCeilingNear(result, truth, 14);
  });

  it.each([0, 0.01, 0.02, 0.03, 0.06, 0.1, 0.12])(
    'gap %s, the engine declaring a caching allocator: within 2 percent in at most 5 trials (6 at the prior’s 12% edge)',
    async (allocatorGap) => {
      for (const curve of curves) {
        const session = await open({
          ...curve,
          allocatorGap,
          cachingAllocator: true,
          datasetSize: 1_000_000,
        });
        const truth = session.truth().maxBatch;
        const result = await searchMemoryCeiling(session, {
          ...MEMORY_SEARCH_DEFAULTS,
          maxBatchSize: 1_000_000,
        });
        // The prior's 12% spans 8 tolerance cells in batch space when fixed memory is large:
        // one of 9 outcomes needs a fourth trial, and it is put at the rare edge.
        expectCeilingNear(result, truth, allocatorGap < 0.12 ? 5 : 6);
        if (result.kind !== 'found') throw new Error(result.kind);
        const chosen = result.trials.filter((t) => t.batchSize === result.maxBatch);
        expect(chosen.map((t) => t.outcome)).toEqual(['ok']);
        // Two fit points, then the gap's prior range: the line's ceiling itself is never run.
        expect(result.trials.slice(2).map((t) => t.reason)).toEqual(
          Array(result.trials.length - 2).fill('allocator gap: prior range (memory space)'),
        );
      }
    },
  );

  it('a declared caching allocator with a gap wider than its prior is still found', async () => {
    const session = await open({
      allocatorGap: 0.3,
      cachingAllocator: true,
      datasetSize: 1_000_000,
    });
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 1_000_000,
    });
    // The grid's 4 trials fail, then the wider ranges below: a prior that was wrong costs trials.
    expectCeilingNear(result, session.truth().maxBatch, 16);
  });

  it('with no gap the jump to the line holds: three trials', async () => {
    const session = await open({ datasetSize: 1_000_000 });
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 1_000_000,
    });
    expect(result).toMatchObject({ kind: 'found', basis: 'memory-model' });
    expect(result.trials.map((t) => t.reason)).toEqual([
      'fit point',
      'fit point',
      'predicted ceiling',
    ]);
    if (result.kind === 'found') expect(result.failedAt).toBeUndefined();
  });
});

describe('memory ceiling search without a memory counter (ok trials with no peak)', () => {
  it.each([0, 0.06])(
    'gap %s: doubles then bisects on out-of-memory outcomes, and says so',
    async (allocatorGap) => {
      const session = await open({ omitPeakBytes: true, allocatorGap, datasetSize: 1_000_000 });
      const truth = session.truth().maxBatch;
      const result = await searchMemoryCeiling(session, {
        ...MEMORY_SEARCH_DEFAULTS,
        maxBatchSize: 1_000_000,
      });
      if (result.kind !== 'found') throw new Error(result.kind);
      expect(result.basis).toBe('oom-outcomes');
      expect(result.message).toMatch(/no peak memory.*out-of-memory outcomes/);
      expect(result.maxBatch).toBeLessThanOrEqual(truth);
      expect(result.maxBatch / truth).toBeGreaterThanOrEqual(0.98);
      expect(result.trials.find((t) => t.batchSize === result.maxBatch)?.outcome).toBe('ok');
      expect(result.trials.every((t) => t.peakBytes === undefined)).toBe(true);
      expect(result.trials.some((t) => t.reason === 'double')).toBe(true);
      expect(result.trials.length).toBeLessThanOrEqual(25);
    },
  );

  it('a capped search without peaks is capped, with no message', async () => {
    const session = await open({ omitPeakBytes: true });
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      maxBatchSize: 100,
    });
    expect(result).toMatchObject({ kind: 'found', maxBatch: 100, capped: true });
    if (result.kind === 'found') expect(result.failedAt).toBeUndefined();
  });
});
