// The contract every engine must pass (in the manner of optuna's storage conformance suite):
// call `engineContract` from an engine's test file with a function that opens a small workload.

import { describe, expect, it } from 'vitest';
import type { EngineOptions, TrainingSession } from '../../src/engines/engine.js';
import { BatchwiseError } from '../../src/errors.js';

export interface ContractOptions {
  /** Opens a fresh session on a small workload (>= 64 examples). */
  readonly open: (options?: EngineOptions) => Promise<TrainingSession>;
  /** A budget far below what batch 1 needs, to provoke an `oom` outcome. */
  readonly tinyBudgetBytes?: number;
  readonly timeoutMs?: number;
}

export function engineContract(name: string, options: ContractOptions): void {
  const timeout = options.timeoutMs ?? 60_000;
  describe(`engine contract: ${name}`, () => {
    it(
      'describes itself and its workload',
      async () => {
        const session = await options.open();
        try {
          expect(session.engine.name).toMatch(/\S/);
          expect(session.engine.backend).toMatch(/\S/);
          expect(session.engine.version).toMatch(/\S/);
          expect(session.workload.datasetSize).toBeGreaterThanOrEqual(64);
          expect(session.workload.parameterCount).toBeGreaterThan(0);
          expect(session.memoryBudgetBytes).toBeGreaterThan(0);
        } finally {
          await session.dispose();
        }
      },
      timeout,
    );

    it(
      'trains steps and reports each with its time and loss',
      async () => {
        const session = await options.open();
        try {
          const seen: number[] = [];
          const outcome = await session.train({
            batchSize: 4,
            steps: 3,
            onStep: (r) => seen.push(r.step),
          });
          expect(outcome.kind).toBe('ok');
          expect(outcome.steps).toHaveLength(3);
          expect(seen).toEqual(outcome.steps.map((s) => s.step));
          outcome.steps.forEach((record, i) => {
            expect(record.batchSize).toBe(4);
            expect(record.seconds).toBeGreaterThan(0);
            expect(Number.isFinite(record.loss)).toBe(true);
            if (i > 0) expect(record.step).toBe(outcome.steps[i - 1]!.step + 1);
          });
          const next = await session.train({ batchSize: 1, steps: 1 });
          expect(next.steps[0]!.step).toBe(outcome.steps[2]!.step + 1);
        } finally {
          await session.dispose();
        }
      },
      timeout,
    );

    it(
      'measures micro-batch gradient norms at fixed weights',
      async () => {
        const session = await options.open();
        try {
          const outcome = await session.gradientNorms({ microBatchSize: 2, microBatches: 3 });
          if (outcome.kind !== 'ok') throw new Error(`${outcome.kind}: ${outcome.message}`);
          expect(outcome.microSqNorms).toHaveLength(3);
          expect(outcome.microBatchSize).toBe(2);
          for (const n of outcome.microSqNorms) expect(n).toBeGreaterThanOrEqual(0);
          // |mean g|^2 <= mean |g|^2 (convexity): the accumulated gradient is their mean.
          const meanMicro = outcome.microSqNorms.reduce((s, v) => s + v, 0) / 3;
          expect(outcome.accumulatedSqNorm).toBeLessThanOrEqual(meanMicro * (1 + 1e-4) + 1e-12);
          expect(Number.isFinite(outcome.loss)).toBe(true);
          // The weights did not move: no optimizer step was counted.
          const again = await session.gradientNorms({ microBatchSize: 2, microBatches: 2 });
          expect(again.kind === 'ok' && again.step).toBe(outcome.step);
        } finally {
          await session.dispose();
        }
      },
      timeout,
    );

    it(
      'resets to the initial weights: the same steps give the same losses',
      async () => {
        const session = await options.open();
        try {
          const first = await session.train({ batchSize: 4, steps: 3 });
          await session.train({ batchSize: 8, steps: 2 });
          await session.reset();
          const again = await session.train({ batchSize: 4, steps: 3 });
          expect(again.steps.map((s) => s.step)).toEqual([0, 1, 2]);
          again.steps.forEach((record, i) => {
            expect(record.loss).toBeCloseTo(first.steps[i]!.loss, 5);
          });
        } finally {
          await session.dispose();
        }
      },
      timeout,
    );

    it(
      'measures peak memory that grows with the batch',
      async () => {
        const session = await options.open();
        try {
          const small = await session.measureMemory({ batchSize: 2 });
          const large = await session.measureMemory({ batchSize: 32 });
          if (small.kind !== 'ok' || large.kind !== 'ok') throw new Error('memory trials failed');
          expect(small.peakBytes).toBeGreaterThan(0);
          expect(large.peakBytes).toBeGreaterThan(small.peakBytes ?? Number.NaN);
        } finally {
          await session.dispose();
        }
      },
      timeout,
    );

    it(
      'turns a trial over the memory budget into an oom outcome, not a crash',
      async () => {
        const session = await options.open({ memoryBudgetBytes: options.tinyBudgetBytes ?? 1024 });
        try {
          const outcome = await session.measureMemory({ batchSize: 8 });
          expect(outcome.kind).toBe('oom');
          const train = await session.train({ batchSize: 8, steps: 1 });
          expect(train.kind).toBe('oom');
        } finally {
          await session.dispose();
        }
      },
      timeout,
    );

    it(
      'rejects a batch larger than the data with a clear error',
      async () => {
        const session = await options.open();
        try {
          const tooBig = session.workload.datasetSize + 1;
          await expect(session.train({ batchSize: tooBig, steps: 1 })).rejects.toThrow(
            BatchwiseError,
          );
          await expect(session.train({ batchSize: tooBig, steps: 1 })).rejects.toThrow(
            /larger than the data/,
          );
        } finally {
          await session.dispose();
        }
      },
      timeout,
    );

    it(
      'stops at an abort and keeps the finished steps',
      async () => {
        const session = await options.open();
        try {
          const controller = new AbortController();
          const outcome = await session.train({
            batchSize: 2,
            steps: 50,
            signal: controller.signal,
            onStep: (r) => {
              if (r.step >= 1) controller.abort();
            },
          });
          expect(outcome.kind).toBe('aborted');
          expect(outcome.steps.length).toBeGreaterThanOrEqual(2);
          expect(outcome.steps.length).toBeLessThan(50);
        } finally {
          await session.dispose();
        }
      },
      timeout,
    );

    it(
      'evaluate, where the engine has it, is an error outcome without a validation split',
      async () => {
        const session = await options.open();
        try {
          if (!session.evaluate) return;
          expect(await session.evaluate()).toEqual({
            kind: 'error',
            message: 'no validation data: open the session with a validation split',
          });
        } finally {
          await session.dispose();
        }
      },
      timeout,
    );

    it(
      'leaks nothing between trials',
      async () => {
        const session = await options.open();
        try {
          const cycle = async () => {
            await session.train({ batchSize: 4, steps: 2 });
            await session.gradientNorms({ microBatchSize: 2, microBatches: 2 });
            await session.measureMemory({ batchSize: 4 });
          };
          await cycle(); // warm-up: optimizer state is created on the first step
          const before = session.resources().handles;
          await cycle();
          await cycle();
          expect(session.resources().handles).toBe(before);
        } finally {
          await session.dispose();
        }
      },
      timeout,
    );
  });
}
