// The settings every job that trains shares — what is trained (model, data, optimizer, learning
// rate, seed, options) and where (engine, command, backend, memory budget) — with their flags and
// defaults, so that `find` and `sweep` take the same workload the same way.

import { z } from 'zod';
import { OPTIMIZERS } from '../analysis/learning-rate.js';
import { ENGINE_NAMES } from '../engines/registry.js';
import {
  COMPLETE,
  choice,
  engine,
  flag,
  keyValues,
  nonNegativeInteger,
  positiveInteger,
  positiveNumber,
  sizeBytes,
  workload,
} from './setting-schema.js';

export const workloadSettingsShape = {
  // What is trained.
  model: flag(
    z.string().min(1).default('mlp'),
    workload({
      flag: '--model',
      short: '-m',
      value: '<name|path>',
      help: 'built-in model (mlp, cnn, text, lm) or a TF.js Layers model.json',
    }),
  ),
  data: flag(
    z.string().min(1).optional(),
    workload({
      flag: '--data',
      short: '-d',
      value: '<name|path>',
      help: "built-in data set (synthetic, tokens, fashion-mnist) or a file (.csv, .jsonl, .txt, IDX); default: the model's",
    }),
  ),
  label: flag(
    z.string().min(1).optional(),
    workload({ flag: '--label', value: '<column>', help: 'label column of CSV or JSONL data' }),
  ),
  optimizer: flag(
    choice(OPTIMIZERS).default('sgd'),
    workload({
      flag: '--optimizer',
      value: '<name>',
      help: `optimizer: ${OPTIMIZERS.join(', ')}`,
    }),
  ),
  learningRate: flag(
    positiveNumber().default(0.05),
    workload({
      flag: '--lr',
      value: '<rate>',
      help: 'learning rate known to work at --lr-batch',
    }),
  ),
  learningRateBatchSize: flag(
    positiveInteger().default(32),
    workload({ flag: '--lr-batch', value: '<n>', help: 'the batch size --lr belongs to' }),
  ),
  seed: flag(
    positiveInteger().default(1),
    workload({ flag: '--seed', value: '<n>', help: 'seed of data, weights and sampling' }),
  ),
  dataOptions: flag(
    keyValues(z.union([z.number(), z.string()])).default({}),
    workload({
      flag: '--data-option',
      value: '<key=value>',
      help: 'data option (repeatable), e.g. labelNoise=0.2',
      repeatable: true,
    }),
  ),
  modelOptions: flag(
    keyValues(z.number()).default({}),
    workload({
      flag: '--model-option',
      value: '<key=value>',
      help: 'model option (repeatable), e.g. hiddenUnits=512',
      repeatable: true,
    }),
  ),

  // Where it is trained.
  engine: flag(
    // 'fake' (known answers, for tests) works but is not offered.
    z.enum(ENGINE_NAMES, { error: 'must be tfjs or command' }).default('tfjs'),
    engine({
      flag: '--engine',
      value: '<name>',
      help: 'training engine: tfjs, or command (your training command, --cmd)',
    }),
  ),
  cmd: flag(
    z.string().min(1).optional(),
    engine({
      flag: '--cmd',
      value: '<template>',
      help: 'with --engine command: the training command, with {batch} {steps} {micro_batch} {accumulation} {seed} {telemetry} (docs/protocol.md)',
    }),
  ),
  shell: flag(
    z.boolean().default(false),
    engine({ flag: '--shell', help: 'with --engine command: run --cmd through /bin/sh' }),
  ),
  timeoutSeconds: flag(
    positiveNumber().default(600),
    engine({
      flag: '--timeout',
      value: '<seconds>',
      help: 'with --engine command: seconds one run may take',
    }),
  ),
  backend: flag(
    z.string().min(1).default('auto'),
    engine({
      flag: '--backend',
      value: '<name>',
      help: 'TF.js backend: auto, wasm, cpu, webgpu, tensorflow',
    }),
  ),
  fakeStepDelayMs: flag(
    nonNegativeInteger().default(0),
    engine({
      flag: '--fake-step-delay',
      value: '<ms>',
      help: 'with --engine fake: real milliseconds each step waits (tests)',
      hidden: true,
    }),
  ),

  memoryBudgetBytes: flag(
    sizeBytes().optional(),
    engine({
      flag: '--memory-budget',
      value: '<size>',
      help: "peak memory allowed per trial, e.g. 2GiB (default: the engine's: half the free RAM, at most 2.5 GiB on wasm)",
    }),
  ),
};

/** The cross-field checks of the workload settings (a command needs --cmd, ...). */
export function checkWorkloadSettings(
  settings: { engine: string; cmd?: string | undefined; fakeStepDelayMs: number },
  context: z.RefinementCtx,
): void {
  if (settings.engine === 'command' && settings.cmd === undefined) {
    context.addIssue({ ...COMPLETE, path: ['engine'], message: 'command needs --cmd TEMPLATE' });
  }
  if (settings.engine !== 'command' && settings.cmd !== undefined) {
    context.addIssue({ ...COMPLETE, path: ['cmd'], message: 'needs --engine command' });
  }
  if (settings.fakeStepDelayMs > 0 && settings.engine !== 'fake') {
    context.addIssue({ ...COMPLETE, path: ['fakeStepDelayMs'], message: 'needs --engine fake' });
  }
}

/** The workload and engine settings of any settings object (to hand them to another job). */
export function workloadSettingsOf<
  T extends { [K in keyof typeof workloadSettingsShape]?: unknown },
>(settings: T): Partial<Record<keyof typeof workloadSettingsShape, unknown>> {
  const out: Partial<Record<keyof typeof workloadSettingsShape, unknown>> = {};
  for (const key of Object.keys(workloadSettingsShape) as (keyof typeof workloadSettingsShape)[]) {
    if (settings[key] !== undefined) out[key] = settings[key];
  }
  return out;
}
