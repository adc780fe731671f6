// Model descriptions: parameter counts equal the published ones exactly; a TF.js model.json is
// walked to the counts and shapes tfjs-layers' own model.summary() prints; bad configurations
// fail with a message that says what to change.

import { describe, expect, it } from 'vitest';
import { BatchwiseError } from '../../../src/errors.js';
import {
  modelFromJson,
  parameterCount,
  presetModel,
} from '../../../src/planner/models/model-description.js';
import { tfjsLayersModel } from '../../../src/planner/models/tfjs-layers-model.js';
import {
  transformerParameters,
  validateTransformerConfig,
} from '../../../src/planner/models/transformer.js';
import { TRANSFORMER_PRESETS } from '../../../src/planner/models/transformer-presets.js';

describe('published parameter counts, exactly', () => {
  // GPT-2: 124,439,808 = wte 50257·768 + wpe 1024·768 + 12·(12·768² + 13·768) + ln_f 2·768
  // (Hugging Face gpt2, tied LM head). Others: Hugging Face model cards / num_parameters().
  const published: [string, number][] = [
    ['gpt2-small', 124_439_808],
    ['gpt2-medium', 354_823_168],
    ['gpt2-large', 774_030_080],
    ['gpt2-xl', 1_557_611_200],
    ['llama-1b', 1_235_814_400], // Llama 3.2 1B
    ['llama-7b', 6_738_415_616], // Llama-2-7b-hf
    ['llama-13b', 13_015_864_320], // Llama-2-13b-hf
    ['llama-70b', 68_976_648_192], // Llama-2-70b-hf (GQA, 8 kv heads)
    ['bert-base', 109_482_240], // BertModel with pooler
    ['bert-large', 335_141_888],
    ['resnet18', 11_689_512], // torchvision
    ['resnet50', 25_557_032], // torchvision
  ];
  for (const [name, count] of published) {
    it(`${name}: ${count.toLocaleString('en-US')}`, () => {
      expect(parameterCount(presetModel(name))).toBe(count);
    });
  }

  it('GPT-2 small term by term', () => {
    const p = transformerParameters(TRANSFORMER_PRESETS['gpt2-small']!);
    expect(p.embeddingParameters).toBe(50257 * 768 + 1024 * 768);
    expect(p.perLayerParameters).toBe(12 * 768 * 768 + 13 * 768);
    expect(p.lmHeadParameters).toBe(0); // tied
    expect(p.otherParameters).toBe(2 * 768);
  });

  it('Llama-2-70B with GQA: K and V are 8·128 = 1024 wide', () => {
    const p = transformerParameters(TRANSFORMER_PRESETS['llama-70b']!);
    // q, o: 8192²; k, v: 8192·1024; MLP 3·8192·28672; two RMSNorms 2·8192.
    expect(p.perLayerParameters).toBe(
      2 * 8192 * 8192 + 2 * 8192 * 1024 + 3 * 8192 * 28672 + 2 * 8192,
    );
  });

  it('ResNet-50 at 224: 4.09 GMACs forward (He et al. 2016 Table 1: 3.8e9 FLOPs counted as MACs)', () => {
    const m = presetModel('resnet50');
    if (m.kind !== 'layerwise') throw new Error('layerwise expected');
    expect(m.model.trainingFlopsPerExample / 6 / 1e9).toBeCloseTo(4.09, 2);
    // The resolution changes activations, not parameters.
    const small = presetModel('resnet50', { resolution: 112 });
    if (small.kind !== 'layerwise') throw new Error('layerwise expected');
    expect(small.model.parameters).toBe(25_557_032);
    expect(small.model.activationElementsPerExample).toBeLessThan(
      m.model.activationElementsPerExample / 3,
    );
  });
});

describe('configuration files', () => {
  it('reads a Hugging Face GPT-2 config.json', () => {
    const m = modelFromJson(
      {
        model_type: 'gpt2',
        n_layer: 12,
        n_embd: 768,
        n_head: 12,
        vocab_size: 50257,
        n_positions: 1024,
      },
      'config.json',
    );
    expect(parameterCount(m)).toBe(124_439_808);
  });

  it('reads a Hugging Face Llama config.json', () => {
    const m = modelFromJson(
      {
        model_type: 'llama',
        num_hidden_layers: 32,
        hidden_size: 4096,
        num_attention_heads: 32,
        num_key_value_heads: 32,
        intermediate_size: 11008,
        vocab_size: 32000,
        max_position_embeddings: 4096,
        hidden_act: 'silu',
        tie_word_embeddings: false,
      },
      'config.json',
    );
    expect(parameterCount(m)).toBe(6_738_415_616);
    if (m.kind === 'transformer') expect(m.config.sequenceLength).toBe(4096);
  });

  it('--seq-len overrides the sequence length of a preset', () => {
    const m = presetModel('llama-7b', { sequenceLength: 2048 });
    expect(m.kind === 'transformer' && m.config.sequenceLength).toBe(2048);
  });
});

describe('bad configurations say what to change', () => {
  const base = TRANSFORMER_PRESETS['gpt2-small']!;
  it('heads not dividing the hidden size', () => {
    expect(() => validateTransformerConfig({ ...base, heads: 10 })).toThrow(
      /10 heads do not divide the hidden size 768: choose a head count that divides it \(e\.g\. 8\)/,
    );
  });
  it('kv heads not dividing the heads', () => {
    expect(() => validateTransformerConfig({ ...base, kvHeads: 5 })).toThrow(
      /5 kv heads do not divide the 12 attention heads: use a divisor of 12/,
    );
  });
  it('a sequence longer than the learned positions', () => {
    expect(() => presetModel('gpt2-small', { sequenceLength: 2048 })).toThrow(
      /use --seq-len 1024 or less/,
    );
  });
  it('an unknown preset lists the known ones', () => {
    expect(() => presetModel('gpt5')).toThrow(BatchwiseError);
    expect(() => presetModel('gpt5')).toThrow(/unknown model "gpt5": use one of gpt2-small/);
  });
});

// model.json as tfjs-layers 4.22 writes it (save-layers-model.ts), trimmed to the keys read.
// tfjs-layers' model.summary() of the same model prints: Conv2D [26,26,8] 80, BatchNormalization
// 32, MaxPooling2D [13,13,8], Flatten [1352], Dense [10] 13530; total 13,642, 16 non-trainable.
const SEQUENTIAL = {
  format: 'layers-model',
  modelTopology: {
    class_name: 'Sequential',
    config: {
      name: 'sequential_1',
      layers: [
        {
          class_name: 'Conv2D',
          config: {
            filters: 8,
            kernel_size: [3, 3],
            strides: [1, 1],
            padding: 'valid',
            data_format: 'channels_last',
            name: 'conv2d_Conv2D1',
            batch_input_shape: [null, 28, 28, 1],
          },
        },
        {
          class_name: 'BatchNormalization',
          config: { name: 'batch_normalization_BatchNormalization1' },
        },
        {
          class_name: 'MaxPooling2D',
          config: {
            pool_size: [2, 2],
            padding: 'valid',
            strides: [2, 2],
            name: 'max_pooling2d_MaxPooling2D1',
          },
        },
        { class_name: 'Flatten', config: { name: 'flatten_Flatten1' } },
        { class_name: 'Dense', config: { units: 10, name: 'dense_Dense1' } },
      ],
    },
  },
  weightsManifest: [
    {
      paths: ['weights.bin'],
      weights: [
        { name: 'conv2d_Conv2D1/kernel', shape: [3, 3, 1, 8], dtype: 'float32' },
        { name: 'conv2d_Conv2D1/bias', shape: [8], dtype: 'float32' },
        { name: 'batch_normalization_BatchNormalization1/gamma', shape: [8], dtype: 'float32' },
        { name: 'batch_normalization_BatchNormalization1/beta', shape: [8], dtype: 'float32' },
        { name: 'dense_Dense1/kernel', shape: [1352, 10], dtype: 'float32' },
        { name: 'dense_Dense1/bias', shape: [10], dtype: 'float32' },
        {
          name: 'batch_normalization_BatchNormalization1/moving_mean',
          shape: [8],
          dtype: 'float32',
        },
        {
          name: 'batch_normalization_BatchNormalization1/moving_variance',
          shape: [8],
          dtype: 'float32',
        },
      ],
    },
  ],
};

const FUNCTIONAL = {
  modelTopology: {
    class_name: 'Model',
    config: {
      name: 'model1',
      layers: [
        {
          name: 'input1',
          class_name: 'InputLayer',
          config: { batch_input_shape: [null, 16], name: 'input1' },
          inbound_nodes: [],
        },
        {
          name: 'd2',
          class_name: 'Dense',
          config: { units: 32, name: 'd2' },
          inbound_nodes: [[['input1', 0, 0, {}]]],
        },
        {
          name: 'd3',
          class_name: 'Dense',
          config: { units: 32, name: 'd3' },
          inbound_nodes: [[['input1', 0, 0, {}]]],
        },
        {
          name: 'add',
          class_name: 'Add',
          config: { name: 'add' },
          inbound_nodes: [
            [
              ['d2', 0, 0, {}],
              ['d3', 0, 0, {}],
            ],
          ],
        },
        {
          name: 'd4',
          class_name: 'Dense',
          config: { units: 4, name: 'd4' },
          inbound_nodes: [[['add', 0, 0, {}]]],
        },
      ],
    },
  },
  weightsManifest: [
    {
      paths: ['weights.bin'],
      weights: [
        { name: 'd2/kernel', shape: [16, 32] },
        { name: 'd2/bias', shape: [32] },
        { name: 'd3/kernel', shape: [16, 32] },
        { name: 'd3/bias', shape: [32] },
        { name: 'd4/kernel', shape: [32, 4] },
        { name: 'd4/bias', shape: [4] },
      ],
    },
  ],
};

describe('TF.js Layers model.json', () => {
  it('walks a Sequential CNN: parameters from weight shapes, shapes from the configs', () => {
    const m = tfjsLayersModel(SEQUENTIAL);
    expect(m.parameters).toBe(13_642);
    expect(m.trainableParameters).toBe(13_626);
    expect(m.layers.map((l) => l.outputShape)).toEqual([
      [26, 26, 8],
      [26, 26, 8],
      [13, 13, 8],
      [1352],
      [10],
    ]);
    // input 28·28 + conv 5408 + bn 5408 + pool 1352 + flatten 1352 + dense 10
    expect(m.activationElementsPerExample).toBe(784 + 5408 + 5408 + 1352 + 1352 + 10);
    // MACs: conv 3·3·1·8·26·26 = 48,672; dense 1352·10 = 13,520; training FLOPs 6 × MACs
    expect(m.trainingFlopsPerExample).toBe(6 * (48_672 + 13_520));
  });

  it('walks a functional model with a residual sum', () => {
    const m = tfjsLayersModel(FUNCTIONAL);
    expect(m.parameters).toBe(1_220); // tfjs summary: 544 + 544 + 132
    expect(m.activationElementsPerExample).toBe(16 + 32 + 32 + 32 + 4);
  });

  it('modelFromJson recognises a model.json', () => {
    expect(parameterCount(modelFromJson(SEQUENTIAL, 'model.json'))).toBe(13_642);
  });

  it('an unsupported layer is named', () => {
    const bad = structuredClone(SEQUENTIAL);
    bad.modelTopology.config.layers[3]!.class_name = 'Conv3DTranspose';
    expect(() => tfjsLayersModel(bad)).toThrow(
      /layer "flatten_Flatten1" of class Conv3DTranspose is not supported/,
    );
  });

  it('a free input dimension asks for a fixed one', () => {
    const bad = structuredClone(SEQUENTIAL);
    (
      bad.modelTopology.config.layers[0]!.config as { batch_input_shape: unknown[] }
    ).batch_input_shape = [null, null, 28, 1];
    expect(() => tfjsLayersModel(bad)).toThrow(/give every dimension but the batch a fixed size/);
  });
});
