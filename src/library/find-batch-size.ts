// `findBatchSize({ model, x, y })`: find for an in-memory TF.js model and its data, in one call.
// The model is saved (model.json + weights) and the data written as a tensor file in a temporary
// folder, and `batchwise find` runs on them in a child process: batchwise's own TF.js never loads
// into the caller's process (two copies of TF.js in one process clash: "kernel already
// registered"), a memory trial that exhausts the backend cannot take the caller down, and the
// report is the one the command line writes, parsed with its schema. Every other setting is
// find's, by the same names and with the same defaults (src/find/find-settings.ts).

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tfl from '@tensorflow/tfjs-layers';
import { writeTensorFile } from '../data/tensor-file.js';
// Type-only imports of TF.js: it saves through the model's own save(), whatever its TF.js copy.
import { saveLayersModelFile } from '../engines/tfjs/models/save-layers-model.js';
import { BatchwiseError } from '../errors.js';
import { type FindSettingsInput, findSettingsSchema, flagRegistry } from '../find/find-settings.js';
import { type FindReport, findReportSchema } from '../report/find-report-schema.js';

/** What batchwise needs of a tf.Tensor (any copy of TF.js). */
export interface TensorLike {
  readonly shape: readonly number[];
  data(): Promise<ArrayLike<number>>;
}

/** What batchwise needs of a tf.data.Dataset of batches {xs, ys}, as model.fitDataset takes. */
export interface DatasetLike {
  forEachAsync(f: (batch: { xs: TensorLike; ys: TensorLike }) => void): Promise<void>;
}

type Settings = Omit<FindSettingsInput, 'model' | 'data' | 'label' | 'engine' | 'cmd' | 'shell'>;

/** What batchwise needs of a tf.LayersModel: its save(handler). */
export interface SavableModel {
  save(handler: never): Promise<unknown>;
}

export type FindBatchSizeOptions = Settings & {
  /** A tf.LayersModel (tf.sequential() or tf.model()) with one input and one output. */
  readonly model: SavableModel;
  /** Inputs [N, ...] and class labels: ids [N] or one-hot / probabilities [N, classes]. */
  readonly x?: TensorLike;
  readonly y?: TensorLike;
  /** Instead of x and y: a tf.data.Dataset of {xs, ys} batches. */
  readonly dataset?: DatasetLike;
  /** Each progress line as `find` prints it. */
  readonly onProgress?: (line: string) => void;
  /** Aborting stops the measurement; the report then holds what was measured (status interrupted). */
  readonly signal?: AbortSignal;
};

const BIN = fileURLToPath(new URL('../../bin/batchwise.js', import.meta.url));

interface Arrays {
  readonly inputs: Float32Array;
  readonly inputShape: number[];
  readonly labels: Int32Array;
  readonly classes: number;
}

/** Class ids from labels [N] (ids) or [N, C] (one-hot or probabilities: the argmax). */
function classIds(shape: readonly number[], values: ArrayLike<number>): Int32Array {
  const n = shape[0] ?? 0;
  if (shape.length === 1) {
    const ids = Int32Array.from(values);
    for (let i = 0; i < n; i++) {
      if (ids[i] !== values[i] || (ids[i] ?? -1) < 0) {
        throw new BatchwiseError(
          'invalid-argument',
          `y must hold class ids (whole numbers >= 0), got ${values[i]} at ${i}`,
        );
      }
    }
    return ids;
  }
  if (shape.length === 2 && (shape[1] ?? 0) >= 2) {
    const c = shape[1] ?? 0;
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < c; j++)
        if ((values[i * c + j] ?? 0) > (values[i * c + best] ?? 0)) best = j;
      ids[i] = best;
    }
    return ids;
  }
  throw new BatchwiseError(
    'invalid-argument',
    `y must be class ids [N] or one-hot labels [N, classes], got shape [${shape.join(', ')}] (batchwise trains classifiers)`,
  );
}

async function fromTensors(x: TensorLike, y: TensorLike): Promise<Arrays> {
  const n = x.shape[0] ?? 0;
  if (x.shape.length < 2 || n < 2) {
    throw new BatchwiseError(
      'invalid-argument',
      `x must be [N, ...] with N >= 2, got shape [${x.shape.join(', ')}]`,
    );
  }
  if (y.shape[0] !== n) {
    throw new BatchwiseError('invalid-argument', `x has ${n} examples but y has ${y.shape[0]}`);
  }
  const labels = classIds(y.shape, await y.data());
  const classes = Math.max(
    2,
    y.shape.length === 2 ? (y.shape[1] ?? 2) : labels.reduce((a, b) => Math.max(a, b), 0) + 1,
  );
  return {
    inputs: Float32Array.from(await x.data()),
    inputShape: x.shape.slice(1),
    labels,
    classes,
  };
}

async function fromDataset(dataset: DatasetLike): Promise<Arrays> {
  const inputs: number[][] = [];
  const labels: number[][] = [];
  let inputShape: number[] | undefined;
  let labelShape: number[] | undefined;
  const pending: Promise<void>[] = [];
  await dataset.forEachAsync(({ xs, ys }) => {
    inputShape ??= xs.shape.slice(1);
    labelShape ??= ys.shape.slice(1);
    pending.push(
      Promise.all([xs.data(), ys.data()]).then(([x, y]) => {
        inputs.push(Array.from(x));
        labels.push(Array.from(y));
      }),
    );
  });
  await Promise.all(pending);
  if (!inputShape || !labelShape)
    throw new BatchwiseError('invalid-argument', 'the dataset is empty');
  const flatInputs = Float32Array.from(inputs.flat());
  const flatLabels = labels.flat();
  const width = inputShape.reduce((a, b) => a * b, 1);
  const n = flatInputs.length / width;
  return fromTensors(
    { shape: [n, ...inputShape], data: async () => flatInputs },
    { shape: [n, ...labelShape], data: async () => flatLabels },
  );
}

/** The find flags of the given settings, checked first by find's schema (one line per problem). */
export function settingsToArgv(settings: Settings): string[] {
  const parsed = findSettingsSchema.safeParse({
    ...settings,
    model: 'model.json',
    data: 'data.bwt',
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BatchwiseError(
      'invalid-option',
      `${String(issue?.path[0] ?? 'a setting')} ${issue?.message ?? 'is invalid'}`,
    );
  }
  const argv: string[] = [];
  const shape = findSettingsSchema.shape as Record<string, Parameters<typeof flagRegistry.get>[0]>;
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    const field = shape[key];
    const meta = field ? flagRegistry.get(field) : undefined;
    if (!meta)
      throw new BatchwiseError('invalid-option', `${key} is not a find setting with a flag`);
    if (typeof value === 'boolean') {
      if (value) argv.push(meta.flag);
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) argv.push(meta.flag, `${k}=${String(v)}`);
    } else {
      argv.push(meta.flag, String(value));
    }
  }
  return argv;
}

function runFindProcess(
  argv: readonly string[],
  onProgress: ((line: string) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<{ code: number | null; stdout: string; lastError: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let lastError = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        if (line.startsWith('batchwise:')) lastError = line;
        onProgress?.(line);
      }
    });
    const stop = () => child.kill('SIGINT');
    signal?.addEventListener('abort', stop, { once: true });
    child.on('error', reject);
    child.on('close', (code) => {
      signal?.removeEventListener('abort', stop);
      resolve({ code, stdout, lastError });
    });
  });
}

/**
 * Measures the memory ceiling, throughput and gradient noise of `model` on `x`/`y` (or `dataset`)
 * and returns find's report: `report.recommendation` holds the batch, its learning rate and why.
 */
export async function findBatchSize(options: FindBatchSizeOptions): Promise<FindReport> {
  const { model, x, y, dataset, onProgress, signal, ...settings } = options;
  const argv = settingsToArgv(settings);
  if (!dataset && !(x && y)) {
    throw new BatchwiseError('invalid-argument', 'findBatchSize needs x and y, or a dataset');
  }
  const dir = await mkdtemp(join(tmpdir(), 'batchwise-find-'));
  try {
    if (typeof (model as Partial<SavableModel> | undefined)?.save !== 'function') {
      throw new BatchwiseError(
        'invalid-argument',
        'model must be a TF.js LayersModel (tf.sequential() or tf.model(): a model with a save method)',
      );
    }
    const modelPath = await saveLayersModelFile(model as unknown as tfl.LayersModel, dir);
    const arrays = dataset
      ? await fromDataset(dataset)
      : await fromTensors(x as TensorLike, y as TensorLike);
    const dataPath = join(dir, 'data.bwt');
    await writeTensorFile(
      dataPath,
      {
        size: arrays.labels.length,
        inputShape: arrays.inputShape,
        inputDtype: 'float32',
        target: { kind: 'classes', classes: arrays.classes },
      },
      arrays.inputs,
      arrays.labels,
    );
    const result = await runFindProcess(
      ['find', '--model', modelPath, '--data', dataPath, ...argv, '--no-store', '--json', '-'],
      onProgress,
      signal,
    );
    if (result.code === 2 || result.stdout.trim() === '') {
      throw new BatchwiseError(
        'invalid-argument',
        result.lastError.replace(/^batchwise: /, '') || `find exited with code ${result.code}`,
      );
    }
    return findReportSchema.parse(JSON.parse(result.stdout));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
