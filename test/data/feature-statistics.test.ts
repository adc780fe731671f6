// Per-feature statistics of the loaders, the findings drawn from them, and the normalisation of
// the inputs a model trains on (standard, minmax, none; NaN refused; token data untouched).

import { describe, expect, it } from 'vitest';
import { loadCsv } from '../../src/data/csv.js';
import { dataFindings } from '../../src/data/data-findings.js';
import type { Dataset } from '../../src/data/dataset.js';
import { computeFeatureStatistics } from '../../src/data/feature-statistics.js';
import { loadJsonl } from '../../src/data/jsonl.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import { chooseNormalization, prepareInputs } from '../../src/data/normalize.js';
import { fixtureFolder } from './fixtures.js';

const { write } = fixtureFolder('stats');

/** Columns a (0–255), b (constant 3), c (small, centred) and a label. */
const CSV = ['a,b,c,label', '0,3,-1,x', '255,3,1,y', '100,3,0.5,x', '155,3,-0.5,y'].join('\n');

function columnMoments(inputs: Float32Array, rows: number, features: number, j: number) {
  let sum = 0;
  for (let r = 0; r < rows; r++) sum += inputs[r * features + j] ?? Number.NaN;
  const mean = sum / rows;
  let squares = 0;
  for (let r = 0; r < rows; r++) squares += ((inputs[r * features + j] ?? Number.NaN) - mean) ** 2;
  return { mean, std: Math.sqrt(squares / rows) };
}

function floatDataset(inputs: number[], features: number, extra: Partial<Dataset> = {}): Dataset {
  const size = inputs.length / features;
  return {
    name: 'table',
    size,
    inputShape: [features],
    inputDtype: 'float32',
    inputs: Float32Array.from(inputs),
    targets: Int32Array.from({ length: size }, (_, i) => i % 2),
    target: { kind: 'classes', classes: 2 },
    ...extra,
  };
}

describe('computeFeatureStatistics', () => {
  it('gives min, max, mean, population std and constant features of known data', async () => {
    const dataset = await loadCsv(write('known.csv', CSV));
    const s = dataset.featureStatistics;
    expect(s).toBeDefined();
    if (!s) return;
    expect(dataset.featureNames).toEqual(['a', 'b', 'c']);
    expect([s.rows, s.features]).toEqual([4, 3]);
    expect([...s.min]).toEqual([0, 3, -1]);
    expect([...s.max]).toEqual([255, 3, 1]);
    expect(s.mean[0]).toBeCloseTo(127.5, 10);
    expect(s.std[0]).toBeCloseTo(
      Math.sqrt((127.5 ** 2 + 127.5 ** 2 + 27.5 ** 2 + 27.5 ** 2) / 4),
      8,
    );
    expect(s.std[1]).toBe(0);
    expect(s.mean[2]).toBeCloseTo(0, 12);
    expect([...s.nonFinite]).toEqual([0, 0, 0]);
  });

  it('counts NaN and Infinity apart from the finite values', () => {
    const s = computeFeatureStatistics(Float32Array.from([1, Number.NaN, 3, 4, 5, Infinity]), 3, 2);
    expect([...s.nonFinite]).toEqual([0, 2]);
    expect(s.nonFiniteRows).toBe(2);
    expect([s.min[1], s.max[1], s.mean[1]]).toEqual([4, 4, 4]);
    expect(s.mean[0]).toBeCloseTo(3, 12);
  });

  it('keeps the spread of a feature with a huge mean (Welford, not sums of squares)', () => {
    const values = [1e7 + 1, 1e7 - 1, 1e7 + 1, 1e7 - 1];
    const s = computeFeatureStatistics(Float32Array.from(values), 4, 1);
    expect(s.std[0]).toBeCloseTo(1, 6);
    const huge = computeFeatureStatistics(Float32Array.from([1e30, -1e30]), 2, 1);
    expect(huge.std[0]).toBeCloseTo(1e30, -24);
  });

  it('is part of the JSONL and synthetic data sets too, never of token data', async () => {
    const synthetic = await loadDataset({ data: 'synthetic', options: { examples: 64 }, seed: 1 });
    expect(synthetic.featureStatistics?.rows).toBe(64);
    const tokens = await loadDataset({ data: 'tokens', options: { sequences: 8 }, seed: 1 });
    expect(tokens.featureStatistics).toBeUndefined();
    const jsonl = await loadJsonl(
      write('known.jsonl', '{"x":[1,2],"label":"a"}\n{"x":[3,2],"label":"b"}\n'),
    );
    expect(jsonl.featureNames).toEqual(['x[0]', 'x[1]']);
    expect([...(jsonl.featureStatistics?.max ?? [])]).toEqual([3, 2]);
  });
});

describe('dataFindings', () => {
  const standard = chooseNormalization(undefined, 'mlp');
  it('says which features are unscaled and what to do, by the normalisation in force', async () => {
    const dataset = await loadCsv(write('unscaled.csv', CSV));
    const s = dataset.featureStatistics;
    if (!s) throw new Error('no statistics');
    const context = { featureNames: dataset.featureNames, image: false };
    expect(dataFindings(s, { ...context, normalization: standard }).map((f) => f.message)).toEqual([
      '1 of 3 features ("a") range 0–255 (std 92.2): unscaled inputs slow training and distort the noise scale; built-in models standardise them (the default), for a model file pass --data-option normalize=standard',
      '1 of 3 features ("b") is constant: it carries no information (standardised to 0); drop it unless it varies in the rest of your data',
    ]);
    const file = chooseNormalization(undefined, 'model.json');
    expect(dataFindings(s, { ...context, normalization: file })[0]?.message).toContain(
      'a model file gets the data as given: pass --data-option normalize=standard, or scale the data',
    );
    const none = chooseNormalization('none', 'mlp');
    expect(dataFindings(s, { ...context, normalization: none })[0]?.message).toContain(
      '--data-option normalize=none keeps them as given',
    );
  });

  it('finds a mean far from 0 relative to its spread, NaN values, and no constant pixels in images', () => {
    const offset = computeFeatureStatistics(Float32Array.from([5, 5.2, 4.8, 5.1]), 4, 1);
    expect(dataFindings(offset, { image: false, normalization: standard })[0]?.kind).toBe(
      'unscaled',
    );
    const unit = computeFeatureStatistics(Float32Array.from([-1, 0.5, 1, 0.2]), 4, 1);
    expect(dataFindings(unit, { image: false, normalization: standard })).toEqual([]);
    const nan = computeFeatureStatistics(Float32Array.from([1, Number.NaN, 2, 0]), 2, 2);
    expect(dataFindings(nan, { image: false, normalization: standard })[0]?.message).toBe(
      '1 NaN or infinite input value in 1 row (feature feature 1): a NaN input poisons every gradient; remove those rows or fill in the values',
    );
    const blank = computeFeatureStatistics(Float32Array.from([0, 0, 0, 0]), 4, 1);
    expect(dataFindings(blank, { image: true, normalization: standard })).toEqual([]);
  });
});

describe('prepareInputs', () => {
  it('standardises built-in models’ inputs per feature: mean 0, std 1, constant features 0', async () => {
    const dataset = await loadCsv(write('standard.csv', CSV));
    const { dataset: prepared, summary } = prepareInputs(dataset, 'mlp', undefined);
    const inputs = prepared.inputs as Float32Array;
    for (const j of [0, 2]) {
      const { mean, std } = columnMoments(inputs, 4, 3, j);
      expect(mean).toBeCloseTo(0, 6);
      expect(std).toBeCloseTo(1, 6);
    }
    expect([0, 1, 2, 3].map((r) => inputs[r * 3 + 1])).toEqual([0, 0, 0, 0]);
    expect(summary).toMatchObject({
      features: 3,
      normalization: 'standard',
      normalizationSource: 'default',
      normalizationScope: 'feature',
      statistics: {
        min: -1,
        max: 255,
        unscaledFeatures: 1,
        constantFeatures: 1,
        nonFiniteValues: 0,
      },
    });
    expect(summary?.statement).toBe(
      "standardised per feature ((x − mean)/std over the 4 examples): the built-in models' default, --data-option normalize=none turns it off",
    );
    expect(summary?.warnings[0]).toMatch(/^data: 1 of 3 features \("a"\) range 0–255/);
    // The data set as loaded is left alone.
    expect(dataset.inputs[0]).toBe(0);
  });

  it('gives a model file the data as given unless normalize says otherwise', async () => {
    const dataset = await loadCsv(write('file.csv', CSV));
    const asGiven = prepareInputs(dataset, 'model.json', undefined);
    expect(asGiven.dataset.inputs).toBe(dataset.inputs);
    expect(asGiven.summary?.normalization).toBe('none');
    const minmax = prepareInputs(dataset, 'model.json', 'minmax');
    const column = [0, 1, 2, 3].map((r) => minmax.dataset.inputs[r * 3]);
    expect(column.map((x) => Number(x?.toFixed(6)))).toEqual([0, 1, 0.392157, 0.607843]);
    expect(minmax.summary?.statement).toContain('(--data-option normalize=minmax)');
    expect(prepareInputs(dataset, 'mlp', 'none').dataset.inputs).toBe(dataset.inputs);
  });

  it('standardises images per channel', () => {
    const dataset = floatDataset([0, 10, 2, 30, 4, 50, 6, 70], 4, { inputShape: [1, 2, 2] });
    const { dataset: prepared, summary } = prepareInputs(dataset, 'cnn', undefined);
    expect(summary?.normalizationScope).toBe('channel');
    const inputs = prepared.inputs as Float32Array;
    const channel = (c: number) => [0, 1, 2, 3].map((i) => inputs[i * 2 + c] ?? Number.NaN);
    for (const c of [0, 1]) {
      const values = channel(c);
      const mean = values.reduce((a, b) => a + b, 0) / 4;
      const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
      expect(mean).toBeCloseTo(0, 6);
      expect(std).toBeCloseTo(1, 6);
    }
  });

  it('refuses NaN inputs with one line, and a bad normalize value', () => {
    const dataset = floatDataset([1, Number.NaN, 2, 0, 3, Number.NaN], 2, {
      featureNames: ['height', 'weight'],
    });
    expect(() => prepareInputs(dataset, 'mlp', undefined)).toThrow(
      'table: 2 NaN or infinite input values in 2 rows (feature "weight"): a NaN input poisons every gradient; remove those rows or fill in the values',
    );
    expect(() => prepareInputs(floatDataset([1, 2], 1), 'mlp', 'zscore')).toThrow(
      'option "normalize" must be one of standard, minmax, none, got "zscore"',
    );
  });

  it('leaves token ids alone and refuses to scale them', () => {
    const tokens: Dataset = {
      name: 'tokens',
      size: 2,
      inputShape: [3],
      inputDtype: 'int32',
      inputs: Int32Array.from([1, 2, 3, 4, 5, 6]),
      targets: Int32Array.from([0, 1]),
      target: { kind: 'classes', classes: 2 },
    };
    expect(prepareInputs(tokens, 'text', undefined)).toEqual({ dataset: tokens });
    expect(prepareInputs(tokens, 'text', 'none')).toEqual({ dataset: tokens });
    expect(() => prepareInputs(tokens, 'text', 'standard')).toThrow(
      'option "normalize" applies to numeric features; tokens holds token ids',
    );
  });
});
