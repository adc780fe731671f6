import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FASHION_MNIST_DEFAULT_DIR,
  FASHION_MNIST_DIR_VARIABLE,
  loadFashionMnist,
} from '../../src/data/fashion-mnist.js';
import { fixtureFolder, idxBytes } from './fixtures.js';

const installed = existsSync(join(FASHION_MNIST_DEFAULT_DIR, 'train-images-idx3-ubyte.gz'));
const saved = process.env[FASHION_MNIST_DIR_VARIABLE];

afterEach(() => {
  if (saved === undefined) delete process.env[FASHION_MNIST_DIR_VARIABLE];
  else process.env[FASHION_MNIST_DIR_VARIABLE] = saved;
});

describe('loadFashionMnist', () => {
  it.skipIf(!installed)('loads 1000 training examples: 28×28×1 in [0, 1], 10 classes', async () => {
    delete process.env[FASHION_MNIST_DIR_VARIABLE];
    const data = await loadFashionMnist({ examples: 1000 });
    expect(data.name).toBe('fashion-mnist');
    expect(data.size).toBe(1000);
    expect(data.inputShape).toEqual([28, 28, 1]);
    expect(data.inputs.length).toBe(1000 * 784);
    expect(data.target).toEqual({ kind: 'classes', classes: 10 });
    expect(data.classNames?.[9]).toBe('Ankle boot');
    let min = 1;
    let max = 0;
    for (const v of data.inputs) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    expect(new Set(data.targets).size).toBe(10);
    const test = await loadFashionMnist({ split: 'test', examples: 10 });
    expect(test.name).toBe('fashion-mnist (test)');
    expect(test.size).toBe(10);
  });

  it('reads the folder named by BATCHWISE_FASHION_MNIST_DIR, gzipped or not', async () => {
    const { folder, write } = fixtureFolder('fashion');
    write(
      't10k-images-idx3-ubyte.gz',
      gzipSync(idxBytes(0x08, [2, 28, 28], new Array(1568).fill(51))),
    );
    write('t10k-labels-idx1-ubyte', idxBytes(0x08, [2], [9, 4]));
    process.env[FASHION_MNIST_DIR_VARIABLE] = folder;
    const data = await loadFashionMnist({ split: 'test' });
    expect(data.size).toBe(2);
    expect(data.inputs[0]).toBeCloseTo(0.2, 6);
    expect([...data.targets]).toEqual([9, 4]);
    expect(data.target).toEqual({ kind: 'classes', classes: 10 });
  });

  it('says how to install the files when they are absent', async () => {
    const folder = join(tmpdir(), 'batchwise-no-such-folder');
    process.env[FASHION_MNIST_DIR_VARIABLE] = folder;
    await expect(loadFashionMnist()).rejects.toMatchObject({
      code: 'invalid-data',
      message: `fashion-mnist: ${folder}/train-images-idx3-ubyte.gz not found: run "apt-get install dataset-fashion-mnist" or set BATCHWISE_FASHION_MNIST_DIR to the folder holding the files`,
    });
  });

  it('rejects an unknown split', async () => {
    await expect(loadFashionMnist({ split: 'validation' as 'test' })).rejects.toThrow(
      'split must be "train" or "test", got "validation"',
    );
  });
});
