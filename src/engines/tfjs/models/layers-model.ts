// User models: a TF.js Layers model.json (as written by the Keras-to-TF.js converter or by
// tfjs-layers' save: `modelTopology` + `weightsManifest`, weight shards next to it) loaded from
// a local path with node:fs — no tfjs-node — and wrapped as a TfjsModel.
// Loss: sparse softmax cross-entropy. When the output layer ends in a softmax (a Dense or
// Activation layer with activation 'softmax', or a Softmax layer) the model outputs
// probabilities, and the loss is −log of the probability clipped to [1e−7, 1 − 1e−7], exactly
// Keras's sparse_categorical_crossentropy(from_logits=False); the model is not altered. Any
// other output is taken as logits. Layers run with training = true (dropout on, batch
// normalization on batch statistics), as in model.fit; evaluation runs them with training =
// false, as model.evaluate does.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { DatasetTarget } from '../../../data/dataset.js';
import { BatchwiseError } from '../../../errors.js';
import type { ModelContext, TfjsModel } from '../model.js';
import {
  argmaxCounts,
  sparseCrossEntropyFromProbabilities,
  sparseSoftmaxCrossEntropy,
} from './cross-entropy.js';
import { countParameters } from './weights.js';

/** Bytes per stored value by dtype (quantized weights: the quantization dtype). */
const BYTES_PER_VALUE: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

function fail(modelPath: string, message: string): never {
  throw new BatchwiseError('invalid-data', `${modelPath}: ${message}`);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads model.json and its weight shards with node:fs into ModelArtifacts. */
export function fileLoadHandler(modelPath: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      let text: string;
      try {
        text = await readFile(modelPath, 'utf8');
      } catch (error) {
        fail(modelPath, `cannot read the model file (${firstLine(error)})`);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        fail(modelPath, `not valid JSON (${firstLine(error)})`);
      }
      if (!isRecord(json) || !isRecord(json.modelTopology)) {
        fail(modelPath, 'not a TF.js Layers model (no modelTopology object)');
      }
      const manifest = json.weightsManifest ?? [];
      if (!Array.isArray(manifest)) fail(modelPath, 'weightsManifest is not a list');
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const shards: Uint8Array[] = [];
      const directory = path.dirname(modelPath);
      for (const group of manifest as unknown[]) {
        if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
          fail(modelPath, 'weightsManifest entries need paths and weights lists');
        }
        for (const file of group.paths as unknown[]) {
          if (typeof file !== 'string') fail(modelPath, 'weightsManifest paths must be strings');
          try {
            shards.push(await readFile(path.join(directory, file)));
          } catch {
            fail(modelPath, `weight file ${file} is missing`);
          }
        }
        weightSpecs.push(...(group.weights as tf.io.WeightsManifestEntry[]));
      }
      const weightData = concatenate(shards);
      const expectedBytes = describedBytes(weightSpecs);
      if (expectedBytes !== undefined && expectedBytes !== weightData.byteLength) {
        fail(
          modelPath,
          `the weight files hold ${weightData.byteLength} bytes, the manifest describes ${expectedBytes}`,
        );
      }
      const artifacts: tf.io.ModelArtifacts = {
        modelTopology: json.modelTopology as NonNullable<tf.io.ModelArtifacts['modelTopology']>,
        weightSpecs,
        weightData,
      };
      if (typeof json.format === 'string') artifacts.format = json.format;
      if (typeof json.generatedBy === 'string') artifacts.generatedBy = json.generatedBy;
      if (typeof json.convertedBy === 'string') artifacts.convertedBy = json.convertedBy;
      return artifacts;
    },
  };
}

function concatenate(parts: readonly Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((sum, p) => sum + p.byteLength, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes.buffer;
}

/** Bytes the specs describe, or undefined when a dtype has no fixed size (strings). */
function describedBytes(specs: readonly tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const bytes = BYTES_PER_VALUE[spec.quantization?.dtype ?? spec.dtype];
    if (bytes === undefined || !Array.isArray(spec.shape)) return undefined;
    total += spec.shape.reduce((product, d) => product * d, 1) * bytes;
  }
  return total;
}

function describeShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => d ?? '?').join(', ')}]`;
}

/** The shape the model's input gets: the data's, or the model's when only a reshape apart. */
function inputShapeFor(
  modelPath: string,
  modelShape: readonly (number | null)[],
  dataShape: readonly number[],
): readonly number[] | undefined {
  const matches =
    modelShape.length === dataShape.length &&
    modelShape.every((d, i) => d === null || d === dataShape[i]);
  if (matches) return undefined;
  const known = modelShape.every((d) => d !== null);
  const size = (shape: readonly (number | null)[]) =>
    shape.reduce<number>((p, d) => p * (d ?? 0), 1);
  if (known && size(modelShape) === size(dataShape)) return modelShape as number[];
  fail(
    modelPath,
    `the model takes inputs ${describeShape(modelShape)} per example, the data has ${describeShape(dataShape)}`,
  );
}

function checkOutput(
  modelPath: string,
  outputShape: readonly (number | null)[],
  target: DatasetTarget,
  inputShape: readonly number[],
): void {
  const last = outputShape[outputShape.length - 1];
  if (target.kind === 'classes') {
    if (outputShape.length !== 2 || last !== target.classes) {
      fail(
        modelPath,
        `the model outputs ${describeShape(outputShape.slice(1))} per example, the data has ${target.classes} classes`,
      );
    }
    return;
  }
  const length = outputShape[1];
  if (
    outputShape.length !== 3 ||
    last !== target.vocabularySize ||
    (length !== null && length !== inputShape[0])
  ) {
    fail(
      modelPath,
      `the model outputs ${describeShape(outputShape.slice(1))} per example, next-token data needs [${inputShape[0]}, ${target.vocabularySize}]`,
    );
  }
}

function endsInSoftmax(layer: tfl.layers.Layer): boolean {
  if (layer.getClassName() === 'Softmax') return true;
  return layer.getConfig().activation === 'softmax';
}

/** Loads a Layers model.json from a local path and checks it against the data. */
export async function loadLayersModelFile(
  modelPath: string,
  context: ModelContext,
): Promise<TfjsModel> {
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(fileLoadHandler(modelPath), { strict: true });
  } catch (error) {
    if (error instanceof BatchwiseError) throw error;
    fail(modelPath, `cannot build the model (${firstLine(error)})`);
  }
  try {
    const [input, ...moreInputs] = model.inputs;
    const [output, ...moreOutputs] = model.outputs;
    if (!input || !output || moreInputs.length > 0 || moreOutputs.length > 0) {
      fail(modelPath, 'batchwise trains models with exactly one input and one output');
    }
    const reshapeTo = inputShapeFor(modelPath, input.shape.slice(1), context.inputShape);
    checkOutput(modelPath, output.shape, context.target, context.inputShape);
    // The layer that produces the output (a Sequential model has no outputLayers of its own).
    const probabilities = endsInSoftmax(output.sourceLayer as tfl.layers.Layer);
    const inputDtype = input.dtype === 'int32' ? 'int32' : 'float32';
    const paddingId = context.target.kind === 'next-token' ? context.paddingId : undefined;
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loaded = model;
    /** The model's outputs; training = false for evaluation (dropout off, moving statistics). */
    const outputs = (inputs: tf.Tensor, training: boolean): tf.Tensor => {
      let x = tf.cast(inputs, inputDtype);
      if (reshapeTo) x = tf.reshape(x, [-1, ...reshapeTo]);
      return loaded.apply(x, { training }) as tf.Tensor;
    };
    const lossOf = (out: tf.Tensor, targets: tf.Tensor): tf.Scalar =>
      probabilities
        ? sparseCrossEntropyFromProbabilities(out, targets, paddingId)
        : sparseSoftmaxCrossEntropy(out, targets, paddingId);
    return {
      name: modelPath,
      variables,
      parameterCount: countParameters(variables),
      loss(inputs, targets) {
        return tf.tidy(() => lossOf(outputs(inputs, true), targets));
      },
      evaluate(inputs, targets) {
        return tf.tidy(() => {
          const out = outputs(inputs, false);
          return { loss: lossOf(out, targets), ...argmaxCounts(out, targets, paddingId) };
        });
      },
      dispose: () => loaded.dispose(),
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
