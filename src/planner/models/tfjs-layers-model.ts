// Any TF.js Layers `model.json` (as written by tfjs-layers or the Keras converter), walked layer
// by layer without loading TF.js: parameter counts from the weight shapes of `weightsManifest`,
// activation sizes from each layer's output shape, inferred from the layer configurations.

import { BatchwiseError } from '../../errors.js';
import { type LayerSummary, type LayerwiseModel, product, summarizeLayers } from './layerwise.js';

type Shape = number[];
type Json = Record<string, unknown>;

interface LayerEntry {
  readonly className: string;
  readonly name: string;
  readonly config: Json;
  /** Names of the layers feeding this one (functional models); undefined for Sequential. */
  readonly inbound?: string[];
}

function fail(message: string): never {
  throw new BatchwiseError('invalid-data', `model.json: ${message}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numbers(value: unknown, size: number, what: string): number[] {
  if (typeof value === 'number') return Array.from({ length: size }, () => value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
  return fail(`${what} must be a number or a list of numbers`);
}

/** [null, d1, d2…] -> [d1, d2…]; every dimension but the batch must be fixed. */
function exampleShape(batchShape: unknown, layer: string): Shape {
  if (!Array.isArray(batchShape)) fail(`layer "${layer}" has no batch_input_shape`);
  const dims = batchShape.slice(1);
  if (!dims.every((d) => typeof d === 'number' && d >= 1)) {
    fail(
      `layer "${layer}" has an input shape with free dimensions (${JSON.stringify(batchShape)}): give every dimension but the batch a fixed size`,
    );
  }
  return dims as Shape;
}

function windowOut(size: number, kernel: number, stride: number, padding: unknown): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

function layerEntries(topology: Json): { kind: 'sequential' | 'functional'; layers: LayerEntry[] } {
  const modelConfig = isObject(topology.model_config) ? topology.model_config : topology;
  const className = modelConfig.class_name;
  const config = modelConfig.config;
  const rawLayers = isObject(config) ? config.layers : Array.isArray(config) ? config : undefined;
  if (!Array.isArray(rawLayers)) fail('modelTopology has no layer list');
  const layers = rawLayers.map((raw, i): LayerEntry => {
    if (!isObject(raw) || !isObject(raw.config)) fail(`layer ${i} has no config`);
    const name = String(raw.config.name ?? raw.name ?? `layer_${i}`);
    const entry: LayerEntry = { className: String(raw.class_name), name, config: raw.config };
    if (Array.isArray(raw.inbound_nodes)) {
      const node = raw.inbound_nodes[0];
      const inbound = Array.isArray(node)
        ? node.map((n) => (Array.isArray(n) ? String(n[0]) : String(n)))
        : [];
      return { ...entry, inbound };
    }
    return entry;
  });
  return { kind: className === 'Sequential' ? 'sequential' : 'functional', layers };
}

const SAME_SHAPE = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'BatchNormalization',
  'LayerNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'ELU',
  'ThresholdedReLU',
  'Softmax',
  'Masking',
]);
const MERGE = new Set(['Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Subtract']);
const RECURRENT_GATES: Readonly<Record<string, number>> = { LSTM: 4, GRU: 3, SimpleRNN: 1 };

interface Inferred {
  shape: Shape;
  macs: number;
  stored?: number;
}

/** Output shape and forward MACs of one layer given its input shapes (per example). */
function inferLayer(layer: LayerEntry, inputs: Shape[]): Inferred {
  const c = layer.config;
  const input = inputs[0] ?? fail(`layer "${layer.name}" has no input`);
  const last = input[input.length - 1] ?? 1;
  const channelsFirst = c.data_format === 'channels_first';
  const cls = layer.className;
  if (SAME_SHAPE.has(cls)) return { shape: input, macs: 0 };
  if (MERGE.has(cls)) return { shape: input, macs: 0 };
  switch (cls) {
    case 'Dense': {
      const units = Number(c.units);
      return {
        shape: [...input.slice(0, -1), units],
        macs: (product(input) / last) * last * units,
      };
    }
    case 'Flatten':
      return { shape: [product(input)], macs: 0 };
    case 'Reshape':
      return { shape: numbers(c.target_shape, 1, 'target_shape'), macs: 0 };
    case 'Permute': {
      const dims = numbers(c.dims, 1, 'dims');
      return { shape: dims.map((d) => input[d - 1] ?? 1), macs: 0 };
    }
    case 'RepeatVector':
      return { shape: [Number(c.n), ...input], macs: 0 };
    case 'Embedding':
      return { shape: [...input, Number(c.output_dim)], macs: 0 };
    case 'Concatenate': {
      const axis = typeof c.axis === 'number' ? c.axis : -1;
      const index = axis < 0 ? input.length + axis : axis - 1;
      const shape = [...input];
      shape[index] = inputs.reduce((s, i) => s + (i[index] ?? 0), 0);
      return { shape, macs: 0 };
    }
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      return { shape: [channelsFirst ? (input[0] ?? 1) : last], macs: 0 };
    case 'Conv1D':
    case 'MaxPooling1D':
    case 'AveragePooling1D': {
      const isConv = cls === 'Conv1D';
      const kernel = numbers(isConv ? c.kernel_size : c.pool_size, 1, 'kernel_size')[0] ?? 1;
      const stride = numbers(c.strides ?? (isConv ? 1 : kernel), 1, 'strides')[0] ?? 1;
      const steps = windowOut(input[0] ?? 1, kernel, stride, c.padding);
      const out = isConv ? Number(c.filters) : last;
      return { shape: [steps, out], macs: isConv ? kernel * last * out * steps : 0 };
    }
    case 'Conv2D':
    case 'DepthwiseConv2D':
    case 'SeparableConv2D':
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const isPool = cls.endsWith('Pooling2D');
      const kernel = numbers(isPool ? c.pool_size : c.kernel_size, 2, 'kernel_size');
      const strides = numbers(c.strides ?? (isPool ? kernel : 1), 2, 'strides');
      const [rows, cols, channels] = channelsFirst
        ? [input[1] ?? 1, input[2] ?? 1, input[0] ?? 1]
        : [input[0] ?? 1, input[1] ?? 1, last];
      const kh = kernel[0] ?? 1;
      const kw = kernel[1] ?? kh;
      const outRows = windowOut(rows, kh, strides[0] ?? 1, c.padding);
      const outCols = windowOut(cols, kw, strides[1] ?? strides[0] ?? 1, c.padding);
      const multiplier = Number(c.depth_multiplier ?? 1);
      const out =
        cls === 'Conv2D' || cls === 'SeparableConv2D'
          ? Number(c.filters)
          : cls === 'DepthwiseConv2D'
            ? channels * multiplier
            : channels;
      const positions = outRows * outCols;
      let macs = 0;
      if (cls === 'Conv2D') macs = kh * kw * channels * out * positions;
      if (cls === 'DepthwiseConv2D') macs = kh * kw * channels * multiplier * positions;
      if (cls === 'SeparableConv2D')
        macs = (kh * kw * channels * multiplier + channels * multiplier * out) * positions;
      return {
        shape: channelsFirst ? [out, outRows, outCols] : [outRows, outCols, out],
        macs,
      };
    }
    case 'ZeroPadding2D': {
      const p = numbers(c.padding ?? 1, 2, 'padding').flat();
      const [top, bottom, left, right] =
        p.length >= 4 ? p : [p[0] ?? 0, p[0] ?? 0, p[1] ?? p[0] ?? 0, p[1] ?? p[0] ?? 0];
      return {
        shape: [
          (input[0] ?? 0) + (top ?? 0) + (bottom ?? 0),
          (input[1] ?? 0) + (left ?? 0) + (right ?? 0),
          last,
        ],
        macs: 0,
      };
    }
    case 'UpSampling2D': {
      const size = numbers(c.size ?? 2, 2, 'size');
      return {
        shape: [(input[0] ?? 1) * (size[0] ?? 2), (input[1] ?? 1) * (size[1] ?? 2), last],
        macs: 0,
      };
    }
  }
  const gates = RECURRENT_GATES[cls];
  if (gates !== undefined) {
    const units = Number(c.units);
    const steps = input.length >= 2 ? (input[0] ?? 1) : 1;
    const shape = c.return_sequences ? [steps, units] : [units];
    // Unrolled through time, each step keeps its gate activations and state for the backward pass.
    return {
      shape,
      macs: steps * gates * (last + units) * units,
      stored: steps * (gates + 1) * units,
    };
  }
  return fail(
    `layer "${layer.name}" of class ${cls} is not supported by the planner: supported are Dense, Conv1D/2D, DepthwiseConv2D, SeparableConv2D, pooling, Flatten, Reshape, Embedding, LSTM, GRU, SimpleRNN, normalisation, dropout, activation and merge layers`,
  );
}

/** Parameters per layer from the weight shapes of weightsManifest (name prefix = layer name). */
function weightsByLayer(manifest: unknown): {
  byLayer: Map<string, number>;
  nonTrainable: number;
} {
  const byLayer = new Map<string, number>();
  let nonTrainable = 0;
  if (!Array.isArray(manifest)) fail('weightsManifest is missing');
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group.weights)) fail('weightsManifest has no weights');
    for (const weight of group.weights) {
      if (!isObject(weight) || typeof weight.name !== 'string' || !Array.isArray(weight.shape))
        fail('a weight of weightsManifest has no name or shape');
      const count = product(weight.shape as number[]);
      const layer = weight.name.split('/')[0] ?? weight.name;
      byLayer.set(layer, (byLayer.get(layer) ?? 0) + count);
      if (/moving_(mean|variance)$/.test(weight.name)) nonTrainable += count;
    }
  }
  return { byLayer, nonTrainable };
}

/** Walks a parsed model.json (the object, not the file: reading files is the caller's job). */
export function tfjsLayersModel(modelJson: unknown, name = 'model.json'): LayerwiseModel {
  if (!isObject(modelJson) || !isObject(modelJson.modelTopology)) {
    fail('no modelTopology: expected a TF.js Layers model (format "layers-model")');
  }
  const { kind, layers } = layerEntries(modelJson.modelTopology);
  const { byLayer, nonTrainable } = weightsByLayer(modelJson.weightsManifest);
  const shapes = new Map<string, Shape>();
  const summaries: LayerSummary[] = [];
  let inputElements = 0;
  let previous: Shape | undefined;
  for (const layer of layers) {
    const declared = layer.config.batch_input_shape ?? layer.config.batchInputShape;
    let inputs: Shape[];
    if (layer.className === 'InputLayer') {
      const shape = exampleShape(declared, layer.name);
      shapes.set(layer.name, shape);
      inputElements += product(shape);
      previous = shape;
      continue;
    }
    if (kind === 'functional' && layer.inbound && layer.inbound.length > 0) {
      inputs = layer.inbound.map(
        (n) => shapes.get(n) ?? fail(`layer "${layer.name}" reads "${n}" before it is defined`),
      );
    } else if (declared !== undefined && previous === undefined) {
      const shape = exampleShape(declared, layer.name);
      inputElements += product(shape);
      inputs = [shape];
    } else {
      inputs = previous ? [previous] : fail(`layer "${layer.name}" has no input shape`);
    }
    const inferred = inferLayer(layer, inputs);
    shapes.set(layer.name, inferred.shape);
    previous = inferred.shape;
    summaries.push({
      name: layer.name,
      kind: layer.className,
      outputShape: inferred.shape,
      parameters: byLayer.get(layer.name) ?? 0,
      storedElements: inferred.stored ?? product(inferred.shape),
      macs: inferred.macs,
    });
  }
  const counted = summaries.reduce((s, l) => s + l.parameters, 0);
  const total = [...byLayer.values()].reduce((s, v) => s + v, 0);
  if (counted !== total) {
    fail(
      `weights of ${total - counted} parameters belong to no layer of the topology (weight names must start with "layerName/")`,
    );
  }
  return summarizeLayers(name, inputElements, summaries, nonTrainable);
}
