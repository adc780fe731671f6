import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/analysis/random.js';
import type { Dataset } from '../../src/data/dataset.js';
import {
  createEpochSampler,
  sampleWithoutReplacement,
  splitDataset,
  subsetDataset,
} from '../../src/data/sampling.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Example i has inputs [i, -i] and label i % 3. */
function numbered(size: number): Dataset {
  return {
    name: 'numbered',
    size,
    inputShape: [2],
    inputDtype: 'float32',
    inputs: Float32Array.from(range(size).flatMap((i) => [i, -i])),
    targets: Int32Array.from(range(size), (i) => i % 3),
    target: { kind: 'classes', classes: 3 },
  };
}

describe('createEpochSampler', () => {
  it('hands out every index exactly once per epoch, batches spanning epoch boundaries', () => {
    const size = 50;
    for (const batchSize of [1, 7, 50]) {
      const sampler = createEpochSampler(size, 9);
      const stream: number[] = [];
      while (stream.length < 6 * size) stream.push(...sampler.next(batchSize));
      expect(sampler.epochsCompleted).toBe(Math.floor(stream.length / size));
      for (let epoch = 0; epoch < 6; epoch++) {
        const indices = stream.slice(epoch * size, (epoch + 1) * size);
        expect([...indices].sort((a, b) => a - b)).toEqual(range(size));
      }
    }
  });

  it('reshuffles at each epoch and is reproducible by seed', () => {
    const a = createEpochSampler(100, 1);
    const first = a.next(100);
    const second = a.next(100);
    expect(second).not.toEqual(first);
    expect(first).not.toEqual(range(100));
    expect(createEpochSampler(100, 1).next(100)).toEqual(first);
    expect(createEpochSampler(100, 2).next(100)).not.toEqual(first);
  });

  it('B = N is batch gradient descent: each batch is all of the data', () => {
    const sampler = createEpochSampler(5, 3);
    for (let step = 0; step < 4; step++) {
      expect([...sampler.next(5)].sort()).toEqual(range(5));
    }
    expect(createEpochSampler(1, 0).next(1)).toEqual([0]);
  });

  it('rejects a batch larger than the data, or not a positive integer', () => {
    const sampler = createEpochSampler(10, 0);
    expect(() => sampler.next(11)).toThrow('batch size 11 is larger than the data (10 examples)');
    expect(() => sampler.next(11)).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => sampler.next(0)).toThrow('batch size must be an integer >= 1, got 0');
    expect(() => sampler.next(2.5)).toThrow('batch size must be an integer >= 1, got 2.5');
  });
});

describe('sampleWithoutReplacement', () => {
  it('draws distinct indices, each equally likely', () => {
    const random = createRandom(4);
    const size = 20;
    const count = 5;
    const draws = 4000;
    const hits = new Array(size).fill(0);
    for (let d = 0; d < draws; d++) {
      const sample = sampleWithoutReplacement(size, count, random);
      expect(new Set(sample).size).toBe(count);
      for (const i of sample) hits[i]++;
    }
    // Each index is in a sample with probability count/size: binomial spread, 5 standard errors.
    const p = count / size;
    const tolerance = 5 * Math.sqrt(draws * p * (1 - p));
    for (const h of hits) expect(Math.abs(h - draws * p)).toBeLessThan(tolerance);
  });

  it('handles all and none, and rejects more than there are', () => {
    const random = createRandom(1);
    expect([...sampleWithoutReplacement(6, 6, random)].sort()).toEqual(range(6));
    expect(sampleWithoutReplacement(6, 0, random)).toEqual([]);
    expect(() => sampleWithoutReplacement(3, 4, random)).toThrow(
      'cannot draw 4 distinct indices from 3 without replacement',
    );
  });
});

describe('subsetDataset and splitDataset', () => {
  it('a subset gathers the rows in the order given', () => {
    const subset = subsetDataset(numbered(10), [7, 2, 7]);
    expect(subset.size).toBe(3);
    expect([...subset.inputs]).toEqual([7, -7, 2, -2, 7, -7]);
    expect([...subset.targets]).toEqual([1, 2, 1]);
    expect(subset.target).toEqual({ kind: 'classes', classes: 3 });
    expect(() => subsetDataset(numbered(10), [10])).toThrow(
      'index 10 is outside the data (10 examples)',
    );
  });

  it('a split partitions the data by seed, rows intact', () => {
    const data = numbered(100);
    const { train, validation } = splitDataset(data, 0.2, 5);
    expect(validation.size).toBe(20);
    expect(train.size).toBe(80);
    const ids = (d: Dataset) => range(d.size).map((r) => d.inputs[2 * r]!);
    const all = [...ids(train), ...ids(validation)].sort((a, b) => a - b);
    expect(all).toEqual(range(100));
    for (const part of [train, validation]) {
      range(part.size).forEach((r) => {
        const i = part.inputs[2 * r]!;
        expect(part.inputs[2 * r + 1]).toBe(-i);
        expect(part.targets[r]).toBe(i % 3);
      });
    }
    expect(ids(splitDataset(data, 0.2, 5).validation)).toEqual(ids(validation));
    expect(ids(splitDataset(data, 0.2, 6).validation)).not.toEqual(ids(validation));
  });

  it('rejects a fraction that leaves a side empty', () => {
    expect(() => splitDataset(numbered(10), 0, 1)).toThrow(
      'validation fraction must be between 0 and 1, got 0',
    );
    expect(() => splitDataset(numbered(10), 0.01, 1)).toThrow(
      'a validation fraction of 0.01 of 10 examples leaves no validation examples',
    );
    expect(() => splitDataset(numbered(10), 0.99, 1)).toThrow(
      'a validation fraction of 0.99 of 10 examples leaves no training examples',
    );
  });
});
