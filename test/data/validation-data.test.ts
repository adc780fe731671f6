// Held-out examples: normalised with the training statistics, a validation file's class names
// and tokens mapped onto the training data's, a mismatched file refused with one line.

import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { prepareInputs } from '../../src/data/normalize.js';
import { alignValidationData, holdOutValidation } from '../../src/data/validation-data.js';

function floatDataset(inputs: number[], features: number, extra: Partial<Dataset> = {}): Dataset {
  const size = inputs.length / features;
  return {
    name: 'train.csv',
    size,
    inputShape: [features],
    inputDtype: 'float32',
    inputs: Float32Array.from(inputs),
    targets: Int32Array.from({ length: size }, (_, i) => i % 2),
    target: { kind: 'classes', classes: 2 },
    ...extra,
  };
}

function tokenDataset(vocabulary: string[], inputs: number[], name: string): Dataset {
  return {
    name,
    size: inputs.length / 2,
    inputShape: [2],
    inputDtype: 'int32',
    inputs: Int32Array.from(inputs),
    targets: Int32Array.from(inputs),
    target: { kind: 'next-token', vocabularySize: vocabulary.length },
    vocabulary,
    paddingId: 0,
  };
}

describe('prepareInputs with held-out examples', () => {
  it('scales them with the training statistics, not their own', () => {
    const train = floatDataset([0, 10, 2, 30, 4, 50], 2);
    const heldOut = floatDataset([0, 10, 4, 50], 2, { name: 'valid.csv' });
    const prepared = prepareInputs(train, 'mlp', undefined, heldOut);
    const trainRows = Array.from(prepared.dataset.inputs);
    expect(Array.from(prepared.heldOut?.inputs ?? [])).toEqual([
      ...trainRows.slice(0, 2),
      ...trainRows.slice(4, 6),
    ]);
    expect(prepared.summary?.statement).toMatch(/over the 3 examples/);
  });

  it('refuses a NaN held-out input with one line', () => {
    const train = floatDataset([0, 1, 2, 3], 2);
    expect(() =>
      prepareInputs(train, 'mlp', undefined, floatDataset([1, Number.NaN], 2, { name: 'v' })),
    ).toThrow('v: example 0 holds a NaN or infinite input');
  });
});

describe('alignValidationData', () => {
  it('maps class names onto the training ids', () => {
    const train = floatDataset([0, 1, 2], 1, {
      targets: Int32Array.from([0, 1, 2]),
      target: { kind: 'classes', classes: 3 },
      classNames: ['cat', 'dog', 'eel'],
    });
    const validation = floatDataset([5, 6], 1, {
      name: 'valid.csv',
      targets: Int32Array.from([1, 0]),
      classNames: ['dog', 'eel'],
    });
    const aligned = alignValidationData(train, validation);
    expect(Array.from(aligned.targets)).toEqual([2, 1]);
    expect(aligned.target).toEqual({ kind: 'classes', classes: 3 });
    const stranger = { ...validation, classNames: ['dog', 'fox'] };
    expect(() => alignValidationData(train, stranger)).toThrow(
      'valid.csv: has the class "fox", which the training data train.csv lacks',
    );
  });

  it('maps tokens onto the training vocabulary, an unknown one to <unk>', () => {
    const train = tokenDataset(['<pad>', '<unk>', 'a', 'b'], [2, 3, 3, 2], 'train.txt');
    const validation = tokenDataset(['<pad>', '<unk>', 'b', 'z'], [2, 3, 0, 2], 'valid.txt');
    const aligned = alignValidationData(train, validation);
    expect(Array.from(aligned.inputs)).toEqual([3, 1, 0, 3]);
    expect(Array.from(aligned.targets)).toEqual([3, 1, 0, 3]);
    expect(aligned.vocabulary).toBe(train.vocabulary);
  });

  it('refuses another shape, input type or target kind with one line', () => {
    const train = floatDataset([0, 1, 2, 3], 2);
    expect(() => alignValidationData(train, floatDataset([0, 1, 2], 3, { name: 'v' }))).toThrow(
      'v: has inputs of shape [3] per example, unlike the training data train.csv',
    );
    const tokens = tokenDataset(['<pad>', '<unk>'], [0, 1], 'v.txt');
    expect(() => alignValidationData(train, tokens)).toThrow(
      'v.txt: holds token ids, unlike the training data train.csv',
    );
  });

  it('a validation spec needs exactly one of a fraction and a file', async () => {
    const train = floatDataset([0, 1, 2, 3], 2);
    const load = async () => train;
    await expect(holdOutValidation(train, { seed: 1 }, load)).rejects.toThrow(
      'a validation spec needs exactly one of a fraction and a data file',
    );
    await expect(
      holdOutValidation(train, { seed: 1, fraction: 0.5, data: 'v.csv' }, load),
    ).rejects.toThrow('exactly one');
  });
});
