// One entry point from a workload's `data` string to a Dataset: a built-in name (synthetic,
// tokens, fashion-mnist) or a file path whose extension picks the loader (.csv, .jsonl/.ndjson,
// .txt, IDX images *-images-idx3-ubyte[.gz] with their labels file beside them). Only regular
// files are read; each loader checks what it read (rows, classes) with one-line messages.

import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BatchwiseError } from '../errors.js';
import { loadCsv } from './csv.js';
import { type Dataset, dataError, requireRegularFileSync } from './dataset.js';
import { type FashionMnistSplit, loadFashionMnist } from './fashion-mnist.js';
import { loadIdxPair } from './idx.js';
import { loadJsonl } from './jsonl.js';
import { teacherStudentDataset } from './teacher-student.js';
import { loadTensorFile } from './tensor-file.js';
import { loadText } from './text.js';
import { type TokenTask, tokenCorpusDataset } from './token-corpus.js';

export interface BuiltinDataset {
  readonly name: 'synthetic' | 'tokens' | 'fashion-mnist';
  readonly description: string;
}

export const BUILTIN_DATASETS: readonly BuiltinDataset[] = [
  {
    name: 'synthetic',
    description:
      'Gaussian inputs labelled by a random one-hidden-layer teacher network (options: examples, features, classes, labelNoise, hiddenUnits)',
  },
  {
    name: 'tokens',
    description:
      'token sequences from topic Markov chains, next-token or topic labels (options: sequences, sequenceLength, vocabularySize, task, classes)',
  },
  {
    name: 'fashion-mnist',
    description:
      '28×28 grey clothing images in 10 classes, from apt package dataset-fashion-mnist (options: examples, split)',
  },
];

export interface LoadDatasetOptions {
  /** A built-in name or a file path. */
  readonly data: string;
  /** Label column or field, for CSV and JSONL files. */
  readonly label?: string | undefined;
  /** Data options by name (see BUILTIN_DATASETS; .txt: sequenceLength, vocabularySize; IDX: examples). */
  readonly options?: Readonly<Record<string, number | string>>;
  readonly seed: number;
}

const BUILTIN_NAMES = BUILTIN_DATASETS.map((d) => d.name).join(', ');
const IDX_IMAGES = /-idx3-ubyte(\.gz)?$/i;

type OptionKinds = Readonly<Record<string, 'number' | 'string'>>;

/** The options, checked against the names and kinds that `data` accepts. */
function readOptions(
  data: string,
  given: Readonly<Record<string, number | string>>,
  kinds: OptionKinds,
): Record<string, number | string | undefined> {
  const accepted = Object.keys(kinds);
  const options: Record<string, number | string | undefined> = {};
  for (const [name, value] of Object.entries(given)) {
    const kind = kinds[name];
    if (kind === undefined) {
      throw new BatchwiseError(
        'invalid-option',
        `unknown option "${name}" for data "${data}" (accepted: ${accepted.length > 0 ? accepted.join(', ') : 'none'}; for any data: normalize)`,
      );
    }
    if (kind === 'string') {
      options[name] = String(value);
      continue;
    }
    const number =
      typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(number)) {
      throw new BatchwiseError(
        'invalid-option',
        `option "${name}" must be a number, got ${JSON.stringify(value)}`,
      );
    }
    options[name] = number;
  }
  return options;
}

const asNumber = (value: number | string | undefined) => value as number | undefined;

/** The labels file of IDX images: `images-idx3` replaced by `labels-idx1`, gzipped or not. */
function idxLabelsPath(imagesPath: string): string {
  const name = basename(imagesPath);
  if (!name.includes('images-idx3')) {
    throw dataError(
      imagesPath,
      'cannot find the labels: name the images *-images-idx3-ubyte[.gz] and put *-labels-idx1-ubyte[.gz] beside them',
    );
  }
  const labels = join(dirname(imagesPath), name.replace('images-idx3', 'labels-idx1'));
  const other = labels.endsWith('.gz') ? labels.slice(0, -3) : `${labels}.gz`;
  if (existsSync(labels)) return labels;
  if (existsSync(other)) return other;
  throw dataError(imagesPath, `labels file ${labels} not found next to it`);
}

export async function loadDataset(request: LoadDatasetOptions): Promise<Dataset> {
  const { data, label, seed } = request;
  const given = request.options ?? {};
  const table = /\.(csv|jsonl|ndjson)$/i.test(data);
  if (label !== undefined && !table) {
    throw new BatchwiseError(
      'invalid-option',
      `a label applies only to CSV and JSONL data, not to "${data}"`,
    );
  }

  switch (data) {
    case 'synthetic': {
      const o = readOptions(data, given, {
        examples: 'number',
        features: 'number',
        classes: 'number',
        labelNoise: 'number',
        hiddenUnits: 'number',
      });
      return teacherStudentDataset({
        examples: asNumber(o.examples),
        features: asNumber(o.features),
        classes: asNumber(o.classes),
        labelNoise: asNumber(o.labelNoise),
        hiddenUnits: asNumber(o.hiddenUnits),
        seed,
      });
    }
    case 'tokens': {
      const o = readOptions(data, given, {
        sequences: 'number',
        sequenceLength: 'number',
        vocabularySize: 'number',
        task: 'string',
        classes: 'number',
      });
      return tokenCorpusDataset({
        sequences: asNumber(o.sequences),
        sequenceLength: asNumber(o.sequenceLength),
        vocabularySize: asNumber(o.vocabularySize),
        task: o.task as TokenTask | undefined,
        classes: asNumber(o.classes),
        seed,
      });
    }
    case 'fashion-mnist': {
      const o = readOptions(data, given, { examples: 'number', split: 'string' });
      return loadFashionMnist({
        examples: asNumber(o.examples),
        split: o.split as FashionMnistSplit | undefined,
      });
    }
  }

  if (!existsSync(data)) {
    throw new BatchwiseError(
      'invalid-argument',
      `no built-in data set or file named "${data}" (built-in data sets: ${BUILTIN_NAMES})`,
    );
  }
  if (statSync(data).isDirectory()) {
    throw dataError(data, `is a directory; name a file or a built-in data set (${BUILTIN_NAMES})`);
  }
  // A FIFO or a device is refused before it is opened: reading it could wait forever.
  requireRegularFileSync(data);
  const lower = data.toLowerCase();
  if (table) {
    readOptions(data, given, {});
    return lower.endsWith('.csv') ? loadCsv(data, { label }) : loadJsonl(data, { label });
  }
  if (lower.endsWith('.txt')) {
    const o = readOptions(data, given, { sequenceLength: 'number', vocabularySize: 'number' });
    return loadText(data, {
      sequenceLength: asNumber(o.sequenceLength),
      vocabularySize: asNumber(o.vocabularySize),
    });
  }
  if (lower.endsWith('.bwt')) {
    readOptions(data, given, {});
    return loadTensorFile(data);
  }
  if (IDX_IMAGES.test(data)) {
    const o = readOptions(data, given, { examples: 'number' });
    return loadIdxPair(data, idxLabelsPath(data), { examples: asNumber(o.examples) });
  }
  throw dataError(
    data,
    `unsupported file type (supported: .csv, .jsonl, .ndjson, .txt, *-images-idx3-ubyte[.gz], .bwt; built-in data sets: ${BUILTIN_NAMES})`,
  );
}
