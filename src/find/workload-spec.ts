// The workload a `find` run trains, from its settings: a built-in model brings its default data
// set and data options when --data is not given; a model file needs --data.

import type { WorkloadSpec } from '../engines/engine.js';
import { BatchwiseError } from '../errors.js';
import type { FindSettings } from './find-settings.js';

async function defaultDataFor(
  model: string,
): Promise<{ data: string; options: Record<string, number | string> }> {
  const { BUILTIN_MODELS } = await import('../engines/tfjs/models/build-model.js');
  const builtin = BUILTIN_MODELS.find((m) => m.name === model);
  if (builtin) {
    return {
      data: builtin.defaultData,
      options: { ...('defaultDataOptions' in builtin ? builtin.defaultDataOptions : {}) },
    };
  }
  if (model.toLowerCase().endsWith('.json')) {
    throw new BatchwiseError('invalid-option', `--data is required with a model file (${model})`);
  }
  const names = BUILTIN_MODELS.map((m) => m.name).join(', ');
  throw new BatchwiseError(
    'invalid-option',
    `unknown model '${model}': use one of ${names} or a path to a TF.js Layers model.json`,
  );
}

export async function workloadSpecOf(
  settings: Pick<
    FindSettings,
    | 'model'
    | 'data'
    | 'engine'
    | 'label'
    | 'optimizer'
    | 'learningRate'
    | 'seed'
    | 'modelOptions'
    | 'dataOptions'
  >,
): Promise<WorkloadSpec> {
  const defaults =
    settings.data === undefined && settings.engine === 'tfjs'
      ? await defaultDataFor(settings.model)
      : undefined;
  return {
    model: settings.model,
    data: settings.data ?? defaults?.data ?? 'synthetic',
    ...(settings.label !== undefined ? { label: settings.label } : {}),
    optimizer: settings.optimizer,
    learningRate: settings.learningRate,
    seed: settings.seed,
    modelOptions: settings.modelOptions,
    dataOptions: { ...(defaults?.options ?? {}), ...settings.dataOptions },
  };
}
