// A TF.js callback for users who train with their own `model.fit`: it writes the batchwise
// telemetry protocol (docs/protocol.md) so that `batchwise analyze` can read the run. Each batch
// gives a `step` event with its size, seconds (onBatchBegin to onBatchEnd; TF.js resolves the
// loss before onBatchEnd, which waits for the device) and loss. Optionally, every `every`
// batches it measures gradient squared norms by an EXTRA pass at the current weights: k
// micro-batches of b examples taken from the training tensors, each micro-batch's gradient from
// tf.variableGrads and their mean (McCandlish et al. 2018, App. A.1: B_small = b, B_big = k·b).
// Cost: that pass is k forward+backward passes on k·b examples, about one training step of
// batch k·b, every `every` batches (e.g. 1/10 extra compute with every = 10 and k·b = the
// training batch); it is not counted in the step's seconds. It does not move the weights.

import { appendFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { CustomCallbackArgs, LayersModel, Logs } from '@tensorflow/tfjs-layers';
import { defined } from '../errors.js';

export interface GradientNormOptions {
  /** Training inputs and targets (first axis = examples): micro-batches are sliced from them. */
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
  /** The training loss of a batch, averaged over its examples (e.g. tf.losses.meanSquaredError). */
  readonly loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;
  /** k >= 2 micro-batches per measurement; default 4. */
  readonly microBatches?: number;
  /** b, examples per micro-batch; default the fit batch size / k. */
  readonly microBatchSize?: number;
  /** Measure after every n-th batch; default 10. */
  readonly every?: number;
}

export interface TelemetryCallbackOptions {
  readonly model: LayersModel;
  /** Examples in the training set (N), for the report. */
  readonly datasetSize?: number;
  /** Where each protocol line goes; default: appended to $BATCHWISE_TELEMETRY, else stdout. */
  readonly write?: (line: string) => void;
  readonly gradientNorms?: GradientNormOptions;
}

function defaultSink(): (line: string) => void {
  const path = process.env.BATCHWISE_TELEMETRY;
  if (path) return (line) => appendFileSync(path, line);
  return (line) => process.stdout.write(line);
}

/** JSON has no NaN or Infinity: the protocol writes them as strings. */
function protocolLine(event: Record<string, unknown>): string {
  return `${JSON.stringify({ v: 1, ...event }, (_key, value) =>
    typeof value === 'number' && !Number.isFinite(value)
      ? Number.isNaN(value)
        ? 'NaN'
        : value > 0
          ? 'Infinity'
          : '-Infinity'
      : value,
  )}\n`;
}

function squaredNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.addN(tensors.map((t) => tf.sum(tf.square(t)))) as tf.Scalar;
}

/**
 * Squared norms of k micro-batch gradients and of their mean, all at the current weights,
 * without moving them. `offset` picks which examples (wrapping around the data).
 */
export async function measureGradientSqNorms(
  model: LayersModel,
  options: GradientNormOptions & { readonly microBatchSize: number },
  offset: number,
): Promise<{ microSqNorms: number[]; sqNorm: number }> {
  const k = options.microBatches ?? 4;
  const b = options.microBatchSize;
  const n = options.x.shape[0] ?? 0;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const norms = tf.tidy(() => {
    let sum: tf.Tensor[] | undefined;
    const micro: tf.Scalar[] = [];
    for (let i = 0; i < k; i++) {
      const indices = tf.tensor1d(
        Array.from({ length: b }, (_, j) => (offset + i * b + j) % n),
        'int32',
      );
      const xs = tf.gather(options.x, indices);
      const ys = tf.gather(options.y, indices);
      const { grads } = tf.variableGrads(
        () => options.loss(ys, model.apply(xs, { training: true }) as tf.Tensor),
        variables,
      );
      const list = variables.map((v) => defined(grads[v.name], `the gradient of ${v.name}`));
      micro.push(squaredNorm(list));
      sum = sum ? sum.map((s, j) => tf.add(s, defined(list[j], 'a gradient'))) : list;
    }
    if (!sum) throw new Error('internal error: no micro-batch gradients');
    const mean = sum.map((g) => tf.div(g, k));
    return tf.stack([...micro, squaredNorm(mean)]);
  });
  const values = Array.from(await norms.data());
  norms.dispose();
  return { microSqNorms: values.slice(0, k), sqNorm: defined(values[k], 'the accumulated norm') };
}

/**
 * Callback arguments for `model.fit(x, y, { batchSize, callbacks: createTelemetryCallback(...) })`.
 */
export function createTelemetryCallback(options: TelemetryCallbackOptions): CustomCallbackArgs {
  const write = options.write ?? defaultSink();
  const norms = options.gradientNorms;
  const every = norms?.every ?? 10;
  const k = norms?.microBatches ?? 4;
  if (norms && !(Number.isInteger(k) && k >= 2))
    throw new RangeError(`gradientNorms.microBatches must be an integer >= 2, got ${k}`);
  let step = 0;
  let started = 0;
  let runStarted = 0;
  let measurements = 0;
  return {
    onTrainBegin: () => {
      runStarted = performance.now();
      // One start event per callback, even when it serves several fit() calls.
      if (step > 0) return;
      write(
        protocolLine({
          event: 'start',
          framework: 'tfjs',
          frameworkVersion: tf.version_core,
          worldSize: 1,
          rank: 0,
          accumulationSteps: 1,
          datasetSize: options.datasetSize,
          parameterCount: options.model.countParams(),
          device: tf.getBackend(),
        }),
      );
    },
    onBatchBegin: () => {
      started = performance.now();
    },
    onBatchEnd: async (_batch: number, logs?: Logs) => {
      const seconds = (performance.now() - started) / 1000;
      const batchSize = Number(logs?.size ?? Number.NaN);
      const event: Record<string, unknown> = {
        event: 'step',
        step,
        batchSize,
        seconds,
        loss: Number(logs?.loss ?? Number.NaN),
      };
      if (norms && step % every === 0) {
        const microBatchSize = norms.microBatchSize ?? Math.max(1, Math.floor(batchSize / k));
        const measured = await measureGradientSqNorms(
          options.model,
          { ...norms, microBatchSize },
          measurements * k * microBatchSize,
        );
        measurements++;
        Object.assign(event, { microBatchSize, ...measured });
      }
      write(protocolLine(event));
      step++;
    },
    onTrainEnd: () => {
      write(
        protocolLine({
          event: 'end',
          steps: step,
          seconds: (performance.now() - runStarted) / 1000,
        }),
      );
    },
  };
}
