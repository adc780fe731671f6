import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_DEFAULT_DIR } from '../../src/data/fashion-mnist.js';
import { BUILTIN_DATASETS, loadDataset } from '../../src/data/load-dataset.js';
import { fixtureFolder, idxBytes } from './fixtures.js';

const { folder, write: fixture } = fixtureFolder('load');

const BUILTIN = 'built-in data sets: synthetic, tokens, fashion-mnist';

describe('BUILTIN_DATASETS', () => {
  it('names each built-in data set with a one-line description', () => {
    expect(BUILTIN_DATASETS.map((d) => d.name)).toEqual(['synthetic', 'tokens', 'fashion-mnist']);
    for (const { description } of BUILTIN_DATASETS) expect(description).not.toMatch(/\n/);
  });
});

describe('loadDataset', () => {
  it('builds synthetic data from options, reproducibly by seed', async () => {
    const options = { examples: 100, features: 4, classes: 3, labelNoise: '0.5' };
    const a = await loadDataset({ data: 'synthetic', options, seed: 1 });
    expect(a.size).toBe(100);
    expect(a.inputShape).toEqual([4]);
    expect(a.target).toEqual({ kind: 'classes', classes: 3 });
    const b = await loadDataset({ data: 'synthetic', options, seed: 1 });
    expect(b.targets).toEqual(a.targets);
  });

  it('builds token data for either task', async () => {
    const lm = await loadDataset({
      data: 'tokens',
      options: { sequences: 10, sequenceLength: 8, vocabularySize: 30 },
      seed: 2,
    });
    expect(lm.target).toEqual({ kind: 'next-token', vocabularySize: 30 });
    expect(lm.inputShape).toEqual([8]);
    const topics = await loadDataset({
      data: 'tokens',
      options: { sequences: 10, task: 'classes', classes: 3 },
      seed: 2,
    });
    expect(topics.target).toEqual({ kind: 'classes', classes: 3 });
  });

  it('picks the loader by extension', async () => {
    const csv = fixture('table.csv', 'a,b,y\n1,2,x\n3,4,z\n');
    expect((await loadDataset({ data: csv, label: 'y', seed: 0 })).classNames).toEqual(['x', 'z']);
    const jsonl = fixture('table.jsonl', '{"a": 1, "label": 1}\n{"a": 2, "label": 0}\n');
    expect((await loadDataset({ data: jsonl, seed: 0 })).size).toBe(2);
    const ndjson = fixture(
      'table.NDJSON',
      '{"x": [1, 2], "label": 1}\n{"x": [3, 4], "label": 0}\n',
    );
    expect((await loadDataset({ data: ndjson, seed: 0 })).inputShape).toEqual([2]);
    const text = fixture('story.txt', 'one two three four five');
    const lm = await loadDataset({ data: text, options: { sequenceLength: 2 }, seed: 0 });
    expect(lm.target.kind).toBe('next-token');
    expect(lm.size).toBe(2);
  });

  it('finds the IDX labels file next to the images', async () => {
    const idx = (dims: number[], values: number[]) => idxBytes(0x08, dims, values);
    mkdirSync(join(folder, 'digits'));
    const images = fixture(
      'digits/train-images-idx3-ubyte.gz',
      gzipSync(idx([3, 2, 2], new Array(12).fill(255))),
    );
    fixture('digits/train-labels-idx1-ubyte', idx([3], [0, 2, 1]));
    const data = await loadDataset({ data: images, options: { examples: 2 }, seed: 0 });
    expect(data.size).toBe(2);
    expect(data.inputShape).toEqual([2, 2, 1]);
    expect(data.target).toEqual({ kind: 'classes', classes: 3 });
    const lonely = fixture('lonely-images-idx3-ubyte', idx([1, 1, 1], [0]));
    await expect(loadDataset({ data: lonely, seed: 0 })).rejects.toMatchObject({
      code: 'invalid-data',
      message: `${lonely}: labels file ${join(folder, 'lonely-labels-idx1-ubyte')} not found next to it`,
    });
  });

  it.skipIf(!existsSync(join(FASHION_MNIST_DEFAULT_DIR, 't10k-images-idx3-ubyte.gz')))(
    'loads fashion-mnist by name',
    async () => {
      const data = await loadDataset({
        data: 'fashion-mnist',
        options: { examples: 5, split: 'test' },
        seed: 0,
      });
      expect(data.size).toBe(5);
    },
  );

  it('an unknown name or a missing file lists the built-in names', async () => {
    await expect(loadDataset({ data: 'mnist', seed: 0 })).rejects.toMatchObject({
      code: 'invalid-argument',
      message: `no built-in data set or file named "mnist" (${BUILTIN})`,
    });
    const missing = join(folder, 'missing.csv');
    await expect(loadDataset({ data: missing, seed: 0 })).rejects.toThrow(
      `no built-in data set or file named "${missing}" (${BUILTIN})`,
    );
    const parquet = fixture('table.parquet', 'PAR1');
    await expect(loadDataset({ data: parquet, seed: 0 })).rejects.toMatchObject({
      code: 'invalid-data',
      message: `${parquet}: unsupported file type (supported: .csv, .jsonl, .ndjson, .txt, *-images-idx3-ubyte[.gz], .bwt; ${BUILTIN})`,
    });
    await expect(loadDataset({ data: folder, seed: 0 })).rejects.toThrow(
      `${folder}: is a directory; name a file or a built-in data set (synthetic, tokens, fashion-mnist)`,
    );
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a FIFO before opening it, instead of waiting for a writer',
    async () => {
      for (const name of ['pipe.csv', 'pipe.txt', 'pipe-images-idx3-ubyte']) {
        const fifo = join(folder, name);
        execFileSync('mkfifo', [fifo]);
        await expect(loadDataset({ data: fifo, seed: 0 })).rejects.toMatchObject({
          code: 'invalid-data',
          message: `${fifo}: is a FIFO (named pipe), not a regular file`,
        });
      }
      await expect(loadDataset({ data: '/dev/null', seed: 0 })).rejects.toThrow(
        '/dev/null: is a character device, not a regular file',
      );
    },
    5000,
  );

  it('rejects unknown options, non-numbers, and a label where none applies', async () => {
    await expect(
      loadDataset({ data: 'synthetic', options: { examplez: 5 }, seed: 0 }),
    ).rejects.toMatchObject({
      code: 'invalid-option',
      message:
        'unknown option "examplez" for data "synthetic" (accepted: examples, features, classes, labelNoise, hiddenUnits; for any data: normalize)',
    });
    await expect(
      loadDataset({ data: 'synthetic', options: { examples: 'many' }, seed: 0 }),
    ).rejects.toThrow('option "examples" must be a number, got "many"');
    const csv = fixture('plain.csv', 'a,label\n1,0\n');
    await expect(loadDataset({ data: csv, options: { examples: 5 }, seed: 0 })).rejects.toThrow(
      `unknown option "examples" for data "${csv}" (accepted: none; for any data: normalize)`,
    );
    await expect(loadDataset({ data: 'synthetic', label: 'y', seed: 0 })).rejects.toMatchObject({
      code: 'invalid-option',
      message: 'a label applies only to CSV and JSONL data, not to "synthetic"',
    });
  });
});
