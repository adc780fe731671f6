// The TF.js session's held-out evaluation on wasm: a validation fraction split once for every
// trial seed, a validation file read like the training data, loss and accuracy that improve
// with training on an easy task, and no tensor left behind.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/data/dataset.js';
import type { EvaluateOutcome, WorkloadSpec } from '../../../src/engines/engine.js';
import { TfjsSession } from '../../../src/engines/tfjs/tfjs-session.js';

const TIMEOUT_MS = 120_000;

/** Two well-separated classes of 8 Gaussian features: a few dozen steps learn it. */
const EASY: WorkloadSpec = {
  model: 'mlp',
  data: 'synthetic',
  dataOptions: { examples: 512, features: 8, classes: 2 },
  modelOptions: { hiddenUnits: 16 },
  optimizer: 'adam',
  learningRate: 0.01,
  seed: 1,
  validation: { fraction: 0.25, seed: 9 },
};

const open = (spec: WorkloadSpec) => TfjsSession.open(spec, { backend: 'wasm' });

function ok(outcome: EvaluateOutcome) {
  if (outcome.kind !== 'ok') throw new Error(`${outcome.kind}: ${outcome.message}`);
  return outcome;
}

/** The session's held-out examples (a private field, read for the test only). */
function heldOut(session: object): Dataset {
  return Reflect.get(session, 'validation') as Dataset;
}

describe('tfjs evaluate with a validation fraction', () => {
  it(
    'holds out round(fraction·N) examples, and loss falls and accuracy rises with training',
    async () => {
      const session = await open(EASY);
      try {
        expect(session.workload.datasetSize).toBe(384);
        // Normalisation statistics are the training examples' only.
        expect(session.workload.dataSummary?.statement).toMatch(/over the 384 examples/);
        const before = ok(await session.evaluate());
        expect(before.examples).toBe(128);
        expect(before.accuracy).toBeGreaterThanOrEqual(0);
        expect(before.accuracy).toBeLessThanOrEqual(1);
        const trained = await session.train({ batchSize: 32, steps: 60 });
        expect(trained.kind).toBe('ok');
        const after = ok(await session.evaluate());
        expect(after.loss).toBeLessThan(before.loss);
        expect(after.accuracy).toBeGreaterThan(before.accuracy ?? 1);
        expect(after.accuracy).toBeGreaterThan(0.8);
        // Evaluation does not move the weights, and leaves no tensor behind.
        const tensors = tf.memory().numTensors;
        const again = ok(await session.evaluate());
        expect(tf.memory().numTensors).toBe(tensors);
        expect(again.loss).toBe(after.loss);
        expect(again.accuracy).toBe(after.accuracy);
      } finally {
        await session.dispose();
      }
    },
    TIMEOUT_MS,
  );

  it(
    'splits the same examples for every trial seed, and another split seed splits others',
    async () => {
      const first = await open(EASY);
      const second = await open({ ...EASY, seed: 2 });
      const other = await open({ ...EASY, validation: { fraction: 0.25, seed: 10 } });
      try {
        expect(heldOut(second).inputs).toEqual(heldOut(first).inputs);
        expect(heldOut(second).targets).toEqual(heldOut(first).targets);
        expect(heldOut(other).inputs).not.toEqual(heldOut(first).inputs);
        expect(second.workload.datasetSize).toBe(384);
      } finally {
        await Promise.all([first.dispose(), second.dispose(), other.dispose()]);
      }
    },
    TIMEOUT_MS,
  );

  it(
    'evaluates next-token data over the real tokens, accuracy included',
    async () => {
      const session = await open({
        model: 'lm',
        data: 'tokens',
        dataOptions: { sequences: 64, sequenceLength: 8, vocabularySize: 32 },
        modelOptions: { width: 8, layers: 1, heads: 2 },
        optimizer: 'adam',
        learningRate: 0.003,
        seed: 4,
        validation: { fraction: 0.25, seed: 3 },
      });
      try {
        expect(session.workload.datasetSize).toBe(48);
        const outcome = ok(await session.evaluate());
        expect(outcome.examples).toBe(16);
        expect(Number.isFinite(outcome.loss)).toBe(true);
        expect(outcome.accuracy).toBeGreaterThanOrEqual(0);
        expect(outcome.accuracy).toBeLessThanOrEqual(1);
      } finally {
        await session.dispose();
      }
    },
    TIMEOUT_MS,
  );

  it(
    'without a validation spec, evaluate is an error outcome',
    async () => {
      const { validation: _none, ...spec } = EASY;
      const session = await open(spec);
      try {
        expect(session.workload.datasetSize).toBe(512);
        expect(await session.evaluate()).toEqual({
          kind: 'error',
          message: 'no validation data: open the session with a validation split',
        });
      } finally {
        await session.dispose();
      }
    },
    TIMEOUT_MS,
  );

  it(
    'an aborted evaluation is an aborted outcome',
    async () => {
      const session = await open(EASY);
      try {
        const controller = new AbortController();
        controller.abort();
        expect((await session.evaluate({ signal: controller.signal })).kind).toBe('aborted');
      } finally {
        await session.dispose();
      }
    },
    TIMEOUT_MS,
  );
});

describe('tfjs evaluate with a validation file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'batchwise-validation-'));
  const rows = (count: number, offset: number) =>
    Array.from({ length: count }, (_, i) => {
      const x = ((i * 7 + offset) % 13) - 6;
      return `${x},${(i % 5) - 2},${x > 0 ? 'pos' : x < 0 ? 'neg' : 'zero'}`;
    });
  const trainCsv = join(dir, 'train.csv');
  writeFileSync(trainCsv, ['a,b,label', ...rows(64, 0)].join('\n'));
  // Two of the three classes: the file numbers them pos = 0, zero = 1, the training data
  // (neg, pos, zero) 1 and 2.
  const validCsv = join(dir, 'valid.csv');
  writeFileSync(validCsv, ['a,b,label', '3,1,pos', '0,0,zero', '5,0,pos'].join('\n'));
  const wideCsv = join(dir, 'wide.csv');
  writeFileSync(wideCsv, ['a,b,c,label', '1,2,3,pos', '4,5,6,neg'].join('\n'));
  const spec = (data: string): WorkloadSpec => ({
    model: 'mlp',
    data: trainCsv,
    label: 'label',
    modelOptions: { hiddenUnits: 4 },
    optimizer: 'adam',
    learningRate: 0.05,
    seed: 1,
    validation: { data, seed: 1 },
  });

  it(
    'reads the file like the training data, its classes by name, all training examples kept',
    async () => {
      const session = await open(spec(validCsv));
      try {
        expect(session.workload.datasetSize).toBe(64);
        expect(heldOut(session).targets).toEqual(Int32Array.from([1, 2, 1]));
        const before = ok(await session.evaluate());
        expect(before.examples).toBe(3);
        await session.train({ batchSize: 16, steps: 40 });
        expect(ok(await session.evaluate()).loss).toBeLessThan(before.loss);
      } finally {
        await session.dispose();
      }
    },
    TIMEOUT_MS,
  );

  it(
    'refuses a file of other features with one line',
    async () => {
      const opening = open(spec(wideCsv));
      await expect(opening).rejects.toThrow(/^[^\n]*wide\.csv: has inputs of shape \[3\][^\n]*$/);
    },
    TIMEOUT_MS,
  );
});
