import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { tokenCorpusDataset } from '../../src/data/token-corpus.js';

/** Fraction of held-out next tokens that the most frequent successor (fit on the first half) predicts, and the same for the most frequent token. */
function predictability(data: Dataset, vocabularySize: number) {
  const pairs = data.inputs.length;
  const half = Math.floor(pairs / 2);
  const bigram = new Int32Array(vocabularySize * vocabularySize);
  const unigram = new Int32Array(vocabularySize);
  for (let i = 0; i < half; i++) {
    bigram[data.inputs[i]! * vocabularySize + data.targets[i]!]!++;
    unigram[data.targets[i]!]!++;
  }
  const argmax = (values: Int32Array) => values.indexOf(Math.max(...values));
  const best = Array.from({ length: vocabularySize }, (_, token) =>
    argmax(bigram.subarray(token * vocabularySize, (token + 1) * vocabularySize)),
  );
  const mostFrequent = argmax(unigram);
  let bigramHits = 0;
  let unigramHits = 0;
  for (let i = half; i < pairs; i++) {
    if (best[data.inputs[i]!] === data.targets[i]) bigramHits++;
    if (mostFrequent === data.targets[i]) unigramHits++;
  }
  return { bigram: bigramHits / (pairs - half), unigram: unigramHits / (pairs - half) };
}

/** Nearest-centroid topic accuracy on the second half, with token histograms of the first. */
function topicAccuracy(data: Dataset, vocabularySize: number, classes: number) {
  const length = data.inputShape[0]!;
  const half = Math.floor(data.size / 2);
  const centroids = new Float64Array(classes * vocabularySize);
  for (let s = 0; s < half; s++) {
    for (let t = 0; t < length; t++) {
      centroids[data.targets[s]! * vocabularySize + data.inputs[s * length + t]!]! += 1;
    }
  }
  let hits = 0;
  for (let s = half; s < data.size; s++) {
    let bestTopic = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classes; k++) {
      const row = centroids.subarray(k * vocabularySize, (k + 1) * vocabularySize);
      const total = row.reduce((sum, v) => sum + v, 0);
      let score = 0;
      for (let t = 0; t < length; t++)
        score += Math.log((row[data.inputs[s * length + t]!]! + 1) / (total + vocabularySize));
      if (score > bestScore) {
        bestScore = score;
        bestTopic = k;
      }
    }
    if (bestTopic === data.targets[s]) hits++;
  }
  return hits / (data.size - half);
}

describe('tokenCorpusDataset', () => {
  it('next-token: targets are the inputs shifted by one, ids in the vocabulary', () => {
    const data = tokenCorpusDataset({
      sequences: 64,
      sequenceLength: 16,
      vocabularySize: 50,
      seed: 1,
    });
    expect(data.size).toBe(64);
    expect(data.inputShape).toEqual([16]);
    expect(data.inputDtype).toBe('int32');
    expect(data.target).toEqual({ kind: 'next-token', vocabularySize: 50 });
    expect(data.inputs.length).toBe(64 * 16);
    expect(data.targets.length).toBe(64 * 16);
    for (let s = 0; s < 64; s++) {
      for (let t = 0; t + 1 < 16; t++) {
        expect(data.targets[s * 16 + t]).toBe(data.inputs[s * 16 + t + 1]);
      }
    }
    for (const id of [...data.inputs, ...data.targets]) {
      expect(id >= 0 && id < 50).toBe(true);
    }
  });

  it('is reproducible by seed', () => {
    const a = tokenCorpusDataset({ sequences: 32, seed: 5 });
    const b = tokenCorpusDataset({ sequences: 32, seed: 5 });
    const c = tokenCorpusDataset({ sequences: 32, seed: 6 });
    expect(b.inputs).toEqual(a.inputs);
    expect(b.targets).toEqual(a.targets);
    expect(c.inputs).not.toEqual(a.inputs);
  });

  it('has learnable structure: the previous token predicts the next far better than frequency alone', () => {
    const data = tokenCorpusDataset({ sequences: 2048, seed: 2 });
    const { bigram, unigram } = predictability(data, 256);
    expect(bigram).toBeGreaterThan(0.2);
    expect(bigram).toBeGreaterThan(3 * unigram);
  });

  it('classes: one topic per sequence, recoverable from its tokens', () => {
    const data = tokenCorpusDataset({ sequences: 1024, task: 'classes', classes: 4, seed: 3 });
    expect(data.target).toEqual({ kind: 'classes', classes: 4 });
    expect(data.targets.length).toBe(1024);
    expect(data.inputs.length).toBe(1024 * 32);
    const counts = [0, 0, 0, 0];
    for (const topic of data.targets) counts[topic]!++;
    for (const count of counts) expect(count).toBeGreaterThan(1024 / 4 / 2);
    expect(topicAccuracy(data, 256, 4)).toBeGreaterThan(0.9);
  });

  it('rejects impossible options', () => {
    expect(() => tokenCorpusDataset({ task: 'summaries' as 'classes', seed: 1 })).toThrow(
      'task must be "next-token" or "classes", got "summaries"',
    );
    expect(() => tokenCorpusDataset({ vocabularySize: 1, seed: 1 })).toThrow(
      'vocabularySize must be an integer >= 2, got 1',
    );
    expect(() => tokenCorpusDataset({ task: 'classes', classes: 1, seed: 1 })).toThrow(
      'classes must be an integer >= 2, got 1',
    );
  });
});
