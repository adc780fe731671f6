// The model registry: built-in workloads by name (with their options and the data set each
// trains on by default), or a path to a user's TF.js Layers model.json.

import { BatchwiseError } from '../../../errors.js';
import type { ModelContext, TfjsModel } from '../model.js';
import { buildCnn, CNN_OPTIONS } from './cnn.js';
import { loadLayersModelFile } from './layers-model.js';
import { buildLm, LM_OPTIONS } from './lm.js';
import { buildMlp, MLP_OPTIONS } from './mlp.js';
import type { ModelOptionSpec } from './model-options.js';
import { buildText, TEXT_OPTIONS } from './text.js';

export interface BuiltinModel {
  readonly name: string;
  readonly description: string;
  /** The data set it trains on when the user names none. */
  readonly defaultData: string;
  readonly defaultDataOptions?: Readonly<Record<string, number | string>>;
  readonly options: Readonly<Record<string, ModelOptionSpec>>;
  readonly build: (context: ModelContext) => TfjsModel;
}

export const BUILTIN_MODELS = [
  {
    name: 'mlp',
    description: 'dense network on the flattened input (ReLU hidden layers)',
    defaultData: 'synthetic',
    options: MLP_OPTIONS,
    build: buildMlp,
  },
  {
    name: 'cnn',
    description:
      'two-convolution image classifier of McCandlish et al. 2018 (3.3 M parameters on 28x28)',
    defaultData: 'fashion-mnist',
    options: CNN_OPTIONS,
    build: buildCnn,
  },
  {
    name: 'text',
    description: 'token classifier: embedding + mean pooling, LSTM or GRU + dense',
    defaultData: 'tokens',
    defaultDataOptions: { task: 'classes' },
    options: TEXT_OPTIONS,
    build: buildText,
  },
  {
    name: 'lm',
    description: 'small decoder-only transformer language model (next-token loss)',
    defaultData: 'tokens',
    options: LM_OPTIONS,
    build: buildLm,
  },
] as const satisfies readonly BuiltinModel[];

export type BuiltinModelName = (typeof BUILTIN_MODELS)[number]['name'];

/** A built-in model by name, or a TF.js Layers model.json by path (ending in .json). */
export async function buildModel(name: string, context: ModelContext): Promise<TfjsModel> {
  if (name.toLowerCase().endsWith('.json')) return loadLayersModelFile(name, context);
  const builtin = BUILTIN_MODELS.find((m) => m.name === name);
  if (!builtin) {
    const names = BUILTIN_MODELS.map((m) => m.name).join(', ');
    throw new BatchwiseError(
      'invalid-option',
      `unknown model '${name}': use one of ${names} or a path to a TF.js Layers model.json`,
    );
  }
  return builtin.build(context);
}
