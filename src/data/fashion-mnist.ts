// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 28×28 grey images of clothing in 10 classes,
// 60,000 for training and 10,000 for testing, read from the IDX files that Debian's
// `dataset-fashion-mnist` package installs (or the folder in BATCHWISE_FASHION_MNIST_DIR).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BatchwiseError } from '../errors.js';
import { type Dataset, dataError } from './dataset.js';
import { loadIdxPair } from './idx.js';

export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_DIR_VARIABLE = 'BATCHWISE_FASHION_MNIST_DIR';

/** Class id -> name, as published with the data set (Xiao et al. 2017). */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export type FashionMnistSplit = 'train' | 'test';

export interface FashionMnistOptions {
  /** Default 'train' (60,000 examples); 'test' has 10,000. */
  readonly split?: FashionMnistSplit | undefined;
  /** Keep only the first `examples`; default all. */
  readonly examples?: number | undefined;
}

/** The folder holding the files: BATCHWISE_FASHION_MNIST_DIR when set, else Debian's. */
export function fashionMnistDirectory(): string {
  return process.env[FASHION_MNIST_DIR_VARIABLE] || FASHION_MNIST_DEFAULT_DIR;
}

/** The images and labels files of a split (gzipped, or not), or the first one that is missing. */
export function fashionMnistFiles(
  split: FashionMnistSplit,
  directory = fashionMnistDirectory(),
): { images: string; labels: string } | { missing: string } {
  const prefix = split === 'train' ? 'train' : 't10k';
  const find = (kind: string) => {
    const path = join(directory, `${prefix}-${kind}-ubyte`);
    return existsSync(`${path}.gz`) ? `${path}.gz` : existsSync(path) ? path : undefined;
  };
  const images = find('images-idx3');
  if (images === undefined) return { missing: join(directory, `${prefix}-images-idx3-ubyte.gz`) };
  const labels = find('labels-idx1');
  if (labels === undefined) return { missing: join(directory, `${prefix}-labels-idx1-ubyte.gz`) };
  return { images, labels };
}

export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<Dataset> {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new BatchwiseError('invalid-option', `split must be "train" or "test", got "${split}"`);
  }
  const files = fashionMnistFiles(split);
  if ('missing' in files) {
    throw dataError(
      'fashion-mnist',
      `${files.missing} not found: run "apt-get install dataset-fashion-mnist" or set ${FASHION_MNIST_DIR_VARIABLE} to the folder holding the files`,
    );
  }
  const dataset = await loadIdxPair(files.images, files.labels, options);
  if (dataset.target.kind === 'classes' && dataset.target.classes > 10) {
    throw dataError(files.labels, `labels go up to ${dataset.target.classes - 1}, expected 0 to 9`);
  }
  return {
    ...dataset,
    name: split === 'train' ? 'fashion-mnist' : 'fashion-mnist (test)',
    target: { kind: 'classes', classes: 10 },
    classNames: FASHION_MNIST_CLASSES,
  };
}
