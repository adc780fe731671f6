// The options of `batchwise find` and what they describe: the workload spec and the engine and
// settings of the run (stored with it, so that --resume measures the same thing).

import type { OptimizerName, WorkloadSpec } from '../engines/engine.js';
import { BatchwiseError } from '../errors.js';
import { MEMORY_SEARCH_STRATEGIES, type MemorySearchStrategy } from '../probes/memory-search.js';
import { FIND_ENGINES, type FindRunOptions } from './find-store.js';
import {
  parseChoice,
  parseFiniteNumber,
  parseKeyValues,
  parsePositiveInteger,
  parsePositiveNumber,
  parseSize,
} from './parse-options.js';

export const FIND_OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam', 'adamw'];
const ENGINES = FIND_ENGINES;
const OPTIMIZERS = FIND_OPTIMIZERS;

export interface FindFlags {
  model: string;
  data?: string;
  label?: string;
  optimizer: string;
  lr: string;
  lrBatch: string;
  engine: string;
  backend: string;
  memoryBudget?: string;
  maxBatch?: string;
  memorySearch: string;
  targetLoss?: string;
  seed: string;
  json?: string;
  markdown?: string;
  html?: string;
  plots?: string;
  quiet?: boolean;
  dataOption: string[];
  modelOption: string[];
  noiseMeasurements: string;
  noiseEvery: string;
  noiseSeconds: string;
  cmd?: string;
  shell?: boolean;
  timeout?: string;
  /** A path, or false with --no-store. */
  store?: string | false;
  /** true: the newest unfinished run; a string: that run. */
  resume?: string | true;
  fakeStepDelay?: string;
}

async function defaultDataFor(
  model: string,
): Promise<{ data: string; options: Record<string, number | string> }> {
  const { BUILTIN_MODELS } = await import('../engines/tfjs/models/build-model.js');
  const builtin = BUILTIN_MODELS.find((m) => m.name === model);
  if (!builtin) {
    throw new BatchwiseError('invalid-option', `--data is required with a model file (${model})`);
  }
  return {
    data: builtin.defaultData,
    options: { ...('defaultDataOptions' in builtin ? builtin.defaultDataOptions : {}) },
  };
}

/** The workload and settings the options describe. */
export async function planFromFlags(
  flags: FindFlags,
): Promise<{ spec: WorkloadSpec; options: FindRunOptions }> {
  const engineName = parseChoice('--engine', flags.engine, ENGINES);
  const optimizer = parseChoice('--optimizer', flags.optimizer, OPTIMIZERS);
  const learningRate = parsePositiveNumber('--lr', flags.lr);
  const learningRateBatchSize = parsePositiveInteger('--lr-batch', flags.lrBatch);
  const memorySearch: MemorySearchStrategy = parseChoice(
    '--memory-search',
    flags.memorySearch,
    MEMORY_SEARCH_STRATEGIES,
  );
  const seed = parsePositiveInteger('--seed', flags.seed);
  const maxBatchFlag =
    flags.maxBatch !== undefined ? parsePositiveInteger('--max-batch', flags.maxBatch) : undefined;
  const memoryBudgetBytes =
    flags.memoryBudget !== undefined ? parseSize('--memory-budget', flags.memoryBudget) : undefined;
  const targetLoss =
    flags.targetLoss !== undefined
      ? parseFiniteNumber('--target-loss', flags.targetLoss)
      : undefined;
  const noiseMeasurements = parsePositiveInteger('--noise-measurements', flags.noiseMeasurements);
  const noiseEvery = parsePositiveInteger('--noise-every', flags.noiseEvery);
  const noiseMaxSeconds = parsePositiveNumber('--noise-seconds', flags.noiseSeconds);
  const userDataOptions = parseKeyValues('--data-option', flags.dataOption);
  const modelOptions = parseKeyValues('--model-option', flags.modelOption);
  for (const [key, value] of Object.entries(modelOptions)) {
    if (typeof value !== 'number')
      throw new BatchwiseError(
        'invalid-option',
        `--model-option ${key} must be a number, got "${value}"`,
      );
  }
  const defaults =
    flags.data === undefined && engineName === 'tfjs'
      ? await defaultDataFor(flags.model)
      : undefined;
  const spec: WorkloadSpec = {
    model: flags.model,
    data: flags.data ?? defaults?.data ?? 'synthetic',
    ...(flags.label !== undefined ? { label: flags.label } : {}),
    optimizer,
    learningRate,
    seed,
    modelOptions: modelOptions as Record<string, number>,
    dataOptions: { ...(defaults?.options ?? {}), ...userDataOptions },
  };
  if (engineName === 'command' && flags.cmd === undefined) {
    throw new BatchwiseError('invalid-option', '--engine command needs --cmd TEMPLATE');
  }
  if (engineName !== 'command' && flags.cmd !== undefined) {
    throw new BatchwiseError('invalid-option', '--cmd needs --engine command');
  }
  const options: FindRunOptions = {
    engine: engineName,
    backend: flags.backend,
    ...(memoryBudgetBytes !== undefined ? { memoryBudgetBytes } : {}),
    ...(maxBatchFlag !== undefined ? { maxBatch: maxBatchFlag } : {}),
    memorySearch,
    learningRateBatchSize,
    ...(targetLoss !== undefined ? { targetLoss } : {}),
    noiseMeasurements,
    noiseEvery,
    noiseMaxSeconds,
    ...(flags.cmd !== undefined
      ? {
          command: {
            cmd: flags.cmd,
            shell: flags.shell === true,
            timeoutSeconds: parsePositiveNumber('--timeout', flags.timeout ?? '600'),
          },
        }
      : {}),
  };
  return { spec, options };
}
