// Every setting of a `find` run with its default, in one zod schema: the command line derives its
// flags from it (src/cli/find-flags.ts), a library caller passes the same names, the run store
// keeps the parsed settings so that --resume measures the same thing, and the probes take their
// constants from here. Adding an option means adding it here and using it where it acts.

import { z } from 'zod';
import { OPTIMIZERS } from '../analysis/learning-rate.js';
import type { Smoothing } from '../analysis/smoothing.js';
import { ENGINE_NAMES } from '../engines/registry.js';
import { MEMORY_SEARCH_STRATEGIES } from '../probes/memory-search.js';
import { parseSizeBytes } from './parse-size.js';

/** How a setting appears on the command line. Settings without one are internal constants. */
export interface FlagMeta {
  readonly flag: string;
  /** The value's name in help, e.g. '<rate>'; none for a switch. */
  readonly value?: string;
  readonly help: string;
  readonly group: 'workload' | 'engine' | 'probes';
  /** What the run measures: a resumed run takes it from the store and refuses it on the line. */
  readonly workload: boolean;
  /** Repeatable `key=value` pairs. */
  readonly repeatable?: boolean;
  /** For tests only: accepted, not listed in help. */
  readonly hidden?: boolean;
}

/** Settings and their flags: the schema's metadata, read back by the CLI. */
export const flagRegistry = z.registry<FlagMeta>();

/** A numeric string as its number; any other value as it is (the schema then says what is wrong). */
const asNumber = (value: unknown) =>
  typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
    ? Number(value)
    : value;

/** An issue whose message says all (two settings, or the value itself): nothing more is quoted. */
const COMPLETE = { code: 'custom', params: { complete: true } } as const;

function numberSetting(what: string, check: (n: number) => boolean) {
  return z.preprocess(
    asNumber,
    z.number({ error: `must be ${what}` }).refine(check, `must be ${what}`),
  );
}
const positiveNumber = () => numberSetting('a number > 0', (n) => n > 0);
const positiveInteger = () =>
  numberSetting('a whole number >= 1', (n) => Number.isInteger(n) && n >= 1);
const nonNegativeInteger = () =>
  numberSetting('a whole number >= 0', (n) => Number.isInteger(n) && n >= 0);
const fraction = () => numberSetting('a number between 0 and 1', (n) => n > 0 && n < 1);
const finiteNumber = () => numberSetting('a number', Number.isFinite);
const choice = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });
const sizeBytes = () =>
  z.preprocess(
    (value) => (typeof value === 'string' ? parseSizeBytes(value) : value),
    z
      .number({ error: 'must be a size such as 2GiB, 512MB or 1e9 (bytes)' })
      .refine((n) => n > 0, 'must be a size such as 2GiB, 512MB or 1e9 (bytes)')
      .transform(Math.floor),
  );

/** Repeated `key=value` pairs (the command line) or a record (a library call). */
function keyValues<V extends z.ZodType<number | string>>(value: V) {
  return z
    .union([z.array(z.string()), z.record(z.string(), z.union([z.number(), z.string()]))])
    .transform((input, context) => {
      const entries: [string, unknown][] = [];
      if (Array.isArray(input)) {
        for (const pair of input) {
          const index = pair.indexOf('=');
          if (index <= 0) {
            context.addIssue({ ...COMPLETE, message: `takes key=value, got "${pair}"` });
            return z.NEVER;
          }
          entries.push([pair.slice(0, index).trim(), asNumber(pair.slice(index + 1).trim())]);
        }
      } else {
        entries.push(...Object.entries(input));
      }
      const out: Record<string, z.output<V>> = {};
      for (const [key, raw] of entries) {
        const parsed = value.safeParse(raw);
        if (!parsed.success) {
          context.addIssue({ ...COMPLETE, message: `${key} must be a number, got "${raw}"` });
          return z.NEVER;
        }
        out[key] = parsed.data;
      }
      return out;
    });
}

function flag<S extends z.ZodType>(schema: S, meta: FlagMeta): S {
  flagRegistry.add(schema, meta);
  return schema;
}

const workload = (meta: Omit<FlagMeta, 'group' | 'workload'>) =>
  ({ ...meta, group: 'workload', workload: true }) as const;
const engine = (meta: Omit<FlagMeta, 'group' | 'workload'>) =>
  ({ ...meta, group: 'engine', workload: true }) as const;
const probes = (meta: Omit<FlagMeta, 'group' | 'workload'>) =>
  ({ ...meta, group: 'probes', workload: true }) as const;

export const findSettingsSchema = z
  .object({
    // What is trained.
    model: flag(
      z.string().min(1).default('mlp'),
      workload({
        flag: '--model',
        value: '<name|path>',
        help: 'built-in model (mlp, cnn, text, lm) or a TF.js Layers model.json',
      }),
    ),
    data: flag(
      z.string().min(1).optional(),
      workload({
        flag: '--data',
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
      choice(ENGINE_NAMES).default('tfjs'),
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

    // How it is measured.
    memoryBudgetBytes: flag(
      sizeBytes().optional(),
      probes({
        flag: '--memory-budget',
        value: '<size>',
        help: "peak memory allowed per trial, e.g. 2GiB (default: the engine's: half the free RAM, at most 2.5 GiB on wasm)",
      }),
    ),
    maxBatchSize: flag(
      positiveInteger().optional(),
      probes({
        flag: '--max-batch',
        value: '<n>',
        help: 'largest batch to consider (default: the data size)',
      }),
    ),
    memorySearch: flag(
      choice(MEMORY_SEARCH_STRATEGIES).default('model'),
      probes({
        flag: '--memory-search',
        value: '<strategy>',
        help: `memory ceiling search: ${MEMORY_SEARCH_STRATEGIES.join(', ')}`,
      }),
    ),
    memoryTolerance: flag(
      fraction().default(0.02),
      probes({
        flag: '--memory-tolerance',
        value: '<fraction>',
        help: 'the model memory search stops when the ceiling is known to within this fraction',
      }),
    ),
    targetLoss: flag(
      finiteNumber().optional(),
      probes({
        flag: '--target-loss',
        value: '<x>',
        help: 'training loss to reach: enables steps and epochs to the target',
      }),
    ),
    noiseMeasurements: flag(
      positiveInteger().default(30),
      probes({
        flag: '--noise-measurements',
        value: '<n>',
        help: 'gradient noise measurements along the run',
      }),
    ),
    noiseMeasureEvery: flag(
      positiveInteger().default(10),
      probes({
        flag: '--noise-every',
        value: '<n>',
        help: 'training steps between noise measurements',
      }),
    ),
    noiseMaxSeconds: flag(
      positiveNumber().default(120),
      probes({
        flag: '--noise-seconds',
        value: '<s>',
        help: 'time limit of the noise measurement run',
      }),
    ),

    // Constants of the measurement protocol (docs/measurement.md); no flag.
    throughputBatchCount: flag(
      positiveInteger().default(8),
      probes({
        flag: '--throughput-batches',
        value: '<n>',
        help: 'batch sizes the throughput probe times, spread geometrically up to the memory ceiling',
      }),
    ),
    /** Warm-up steps discarded before timing each batch (hyperfine's protocol). */
    warmupSteps: nonNegativeInteger().default(2),
    /** At least this many timed steps and seconds per batch, at most maxSecondsPerBatch. */
    minSteps: positiveInteger().default(5),
    minSeconds: numberSetting('a number >= 0', (n) => n >= 0).default(0.3),
    maxSecondsPerBatch: positiveNumber().default(5),
    /** Micro-batch of the two-batch noise estimator, grown up to the max while the signal is weak. */
    noiseMicroBatchSize: positiveInteger().default(16),
    noiseMaxMicroBatchSize: positiveInteger().default(1024),
    noiseMicroBatches: positiveInteger().default(8),
    /**
     * The noise scale is estimated over the latest measurements whose gradient norms drift by at
     * most this factor (at least noiseWindowMinSize of them): the stationary window.
     */
    noiseWindowDriftFactor: numberSetting('a number > 1', (n) => n > 1).default(2),
    noiseWindowMinSize: positiveInteger().default(3),
    /** Still not measurable after the planned measurements: up to this many times as many. */
    noiseExtraMeasurementsFactor: positiveInteger().default(4),
    /** Memory trials predicted above this fraction of the budget run in a separate process. */
    isolateAboveFraction: fraction().default(0.8),
    /** The model search verifies this fraction below its predicted ceiling. */
    verifyMarginFraction: fraction().default(0.01),
    /** Memory trials at most (Lightning's max_trials); 'accelerate' runs down to batch 1. */
    memoryMaxTrials: positiveInteger().default(25),
    /** Confidence level of every interval in the report. */
    confidenceLevel: fraction().default(0.95),
  })
  .superRefine((settings, context) => {
    if (settings.engine === 'command' && settings.cmd === undefined) {
      context.addIssue({
        ...COMPLETE,
        path: ['engine'],
        message: 'command needs --cmd TEMPLATE',
      });
    }
    if (settings.engine !== 'command' && settings.cmd !== undefined) {
      context.addIssue({ ...COMPLETE, path: ['cmd'], message: 'needs --engine command' });
    }
    if (settings.fakeStepDelayMs > 0 && settings.engine !== 'fake') {
      context.addIssue({
        ...COMPLETE,
        path: ['fakeStepDelayMs'],
        message: 'needs --engine fake',
      });
    }
  });

/** Settings as a caller gives them (strings from the command line, or numbers). */
export type FindSettingsInput = z.input<typeof findSettingsSchema>;
/** Every setting, defaults filled in. */
export type FindSettings = z.output<typeof findSettingsSchema>;
export type FindSettingKey = keyof FindSettings;

/** The flag metadata of a setting, or undefined for an internal constant. */
export function flagOf(key: FindSettingKey): FlagMeta | undefined {
  return flagRegistry.get(findSettingsSchema.shape[key]);
}

/** The noise estimator's smoothing, from the settings: the stationary window. */
export function noiseSmoothingOf(
  settings: Pick<FindSettings, 'noiseWindowDriftFactor' | 'noiseWindowMinSize'>,
): Smoothing {
  return {
    kind: 'stationary',
    maxDriftFactor: settings.noiseWindowDriftFactor,
    minSize: settings.noiseWindowMinSize,
  };
}
