// Every setting of a `find` run with its default, in one zod schema: the command line derives its
// flags from it (src/cli/setting-flags.ts), a library caller passes the same names, the run store
// keeps the parsed settings so that --resume measures the same thing, and the probes take their
// constants from here. Adding an option means adding it here and using it where it acts.

import { z } from 'zod';
import type { Smoothing } from '../analysis/smoothing.js';
import { MEMORY_SEARCH_STRATEGIES } from '../probes/memory-search.js';
import {
  choice,
  type FlagMeta,
  finiteNumber,
  flag,
  flagRegistry,
  fraction,
  nonNegativeInteger,
  numberSetting,
  positiveInteger,
  positiveNumber,
  probes,
} from '../settings/setting-schema.js';
import { checkWorkloadSettings, workloadSettingsShape } from '../settings/workload-settings.js';

export { type FlagMeta, flagRegistry } from '../settings/setting-schema.js';

export const findSettingsSchema = z
  .object({
    ...workloadSettingsShape,

    // How it is measured.
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
  .superRefine(checkWorkloadSettings);

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
