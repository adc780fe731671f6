// The TF.js engine passes the engine contract with a small model of every kind on wasm (the
// default backend after a plain npm install), and its gradient norms match a direct computation.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { WorkloadSpec } from '../../../src/engines/engine.js';
import { createTfjsEngine } from '../../../src/engines/tfjs/tfjs-engine.js';
import { engineContract } from '../engine-contract.js';

const WORKLOADS: Record<string, WorkloadSpec> = {
  mlp: {
    model: 'mlp',
    data: 'synthetic',
    dataOptions: { examples: 256, features: 16, classes: 4 },
    modelOptions: { hiddenUnits: 32 },
    optimizer: 'sgd',
    learningRate: 0.05,
    seed: 1,
  },
  cnn: {
    model: 'cnn',
    data: 'synthetic',
    dataOptions: { examples: 128, features: 64, classes: 4 },
    modelOptions: { filters1: 4, filters2: 8, denseUnits: 16 },
    optimizer: 'momentum',
    learningRate: 0.01,
    seed: 2,
  },
  text: {
    model: 'text',
    data: 'tokens',
    dataOptions: {
      sequences: 128,
      sequenceLength: 12,
      vocabularySize: 64,
      task: 'classes',
      classes: 3,
    },
    modelOptions: { embeddingSize: 16 },
    optimizer: 'adam',
    learningRate: 0.003,
    seed: 3,
  },
  lm: {
    model: 'lm',
    data: 'tokens',
    dataOptions: { sequences: 128, sequenceLength: 12, vocabularySize: 64 },
    modelOptions: { width: 16, layers: 1, heads: 2 },
    optimizer: 'adamw',
    learningRate: 0.003,
    seed: 4,
  },
};

for (const [kind, spec] of Object.entries(WORKLOADS)) {
  engineContract(`tfjs ${kind} on wasm`, {
    open: (options) => createTfjsEngine().open(spec, { backend: 'wasm', ...options }),
    timeoutMs: 120_000,
  });
}

describe('tfjs engine specifics', () => {
  it('reports the wasm backend and the workload', async () => {
    const session = await createTfjsEngine().open(WORKLOADS.mlp!, { backend: 'wasm' });
    try {
      expect(session.engine.backend).toBe('wasm');
      expect(session.engine.details?.simd).toBe(true);
      expect(session.workload.datasetSize).toBe(256);
      expect(session.workload.parameterCount).toBe(16 * 32 + 32 + 32 * 4 + 4);
    } finally {
      await session.dispose();
    }
  });

  it('gradient norms do not move the weights', async () => {
    const session = await createTfjsEngine().open(WORKLOADS.mlp!, { backend: 'wasm' });
    try {
      const weights = () =>
        Object.values(tf.engine().state.registeredVariables).map((v) => Array.from(v.dataSync()));
      const before = tf.memory().numTensors;
      const snapshot = weights();
      expect(snapshot.length).toBeGreaterThan(0);
      await session.gradientNorms({ microBatchSize: 8, microBatches: 4 });
      expect(weights()).toEqual(snapshot);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      await session.dispose();
    }
  });

  it('a learning rate far too large is a diverged outcome with the steps recorded', async () => {
    const session = await createTfjsEngine().open(
      { ...WORKLOADS.mlp!, learningRate: 1e6 },
      { backend: 'wasm' },
    );
    try {
      const outcome = await session.train({ batchSize: 16, steps: 50 });
      expect(outcome.kind).toBe('diverged');
      expect(outcome.steps.length).toBeGreaterThan(0);
      expect(Number.isFinite(outcome.steps.at(-1)!.loss)).toBe(false);
      if (outcome.kind === 'diverged') expect(outcome.message).toMatch(/learning rate 1000000/);
    } finally {
      await session.dispose();
    }
  });

  it('an isolated memory trial runs in a child process and agrees with the in-process one', async () => {
    const session = await createTfjsEngine().open(WORKLOADS.mlp!, { backend: 'wasm' });
    try {
      const inProcess = await session.measureMemory({ batchSize: 64 });
      const isolated = await session.measureMemory({ batchSize: 64, isolated: true });
      if (inProcess.kind !== 'ok' || isolated.kind !== 'ok')
        throw new Error(`${inProcess.kind} / ${isolated.kind}`);
      // The same step in a fresh process: equal but for a few scalars of optimizer bookkeeping.
      expect(
        Math.abs((isolated.peakBytes ?? Number.NaN) / (inProcess.peakBytes ?? Number.NaN) - 1),
      ).toBeLessThan(0.01);
    } finally {
      await session.dispose();
    }
  });

  it('peak memory is affine in the batch (the memory model holds on wasm)', async () => {
    const session = await createTfjsEngine().open(WORKLOADS.cnn!, { backend: 'wasm' });
    try {
      const peaks: number[] = [];
      for (const batchSize of [4, 8, 16]) {
        const o = await session.measureMemory({ batchSize });
        if (o.kind !== 'ok') throw new Error(o.kind);
        peaks.push(o.peakBytes ?? Number.NaN);
      }
      expect(peaks[2]! - peaks[1]!).toBeCloseTo(2 * (peaks[1]! - peaks[0]!), -2);
    } finally {
      await session.dispose();
    }
  });
});

describe('the TF.js session and the data option normalize', () => {
  const csv = join(mkdtempSync(join(tmpdir(), 'batchwise-normalize-')), 'table.csv');
  writeFileSync(csv, 'a,b,label\n0,1,x\n255,2,y\n100,3,x\n50,4,y\n');
  const spec = (dataOptions: Record<string, string>): WorkloadSpec => ({
    model: 'mlp',
    data: csv,
    dataOptions,
    modelOptions: { hiddenUnits: 4 },
    optimizer: 'sgd',
    learningRate: 0.05,
    seed: 1,
  });

  it('says in the workload what it did to the inputs, and refuses an unknown normalisation', async () => {
    const engine = createTfjsEngine();
    const standard = await engine.open(spec({}));
    expect(standard.workload.dataSummary?.normalization).toBe('standard');
    expect(standard.workload.dataSummary?.warnings[0]).toMatch(/^data: 1 of 2 features \("a"\)/);
    await standard.dispose();
    const minmax = await engine.open(spec({ normalize: 'minmax' }));
    expect(minmax.workload.dataSummary?.normalizationSource).toBe('option');
    await minmax.dispose();
    await expect(engine.open(spec({ normalize: 'zscore' }))).rejects.toThrow(
      'option "normalize" must be one of standard, minmax, none, got "zscore"',
    );
  });
});
