// Which trials a sweep trains: the batch sizes (a list, or a geometric grid around find's
// recommendation up to its memory ceiling), the learning rate of each (a scaling rule from the
// rate that is known to work, or a small grid around it: `tuned`), the repeats, and each trial's
// budget and evaluation cadence. Pure: the job gathers the inputs and runs what this returns.

import { scaleLearningRate } from '../analysis/learning-rate.js';
import type { WorkloadSpec } from '../engines/engine.js';
import { BatchwiseError } from '../errors.js';
import { FRAMEWORK_DEFAULT_BATCH } from '../planner/recommend.js';
import type { FindReport } from '../report/find-report-schema.js';
import type { SweepLearningRateRule, SweepSettings } from './sweep-settings.js';
import { TRIAL_SPEC_VERSION, type TrialSpec, type TrialTarget, trialId } from './trial-spec.js';

/** What the sweep's choices rest on: find's report when given, else the flags. */
export interface SweepBasis {
  readonly source: 'report' | 'flags';
  /** find's recommended batch, when a report with a recommendation was given. */
  readonly recommendedBatch?: number;
  /** A learning rate known to work (find's recommended one, or --lr) at learningRateBatchSize. */
  readonly learningRate: number;
  readonly learningRateBatchSize: number;
  /** find's B_simple and its interval (the noise rule needs it; the analysis compares with it). */
  readonly bNoise?: number;
  readonly bNoiseInterval?: readonly [number, number];
  /** find's memory ceiling. */
  readonly memoryMaxBatch?: number;
  /** find's --target-loss, used when the sweep is given no target of its own. */
  readonly targetLoss?: number;
}

export function basisOf(settings: SweepSettings, report: FindReport | undefined): SweepBasis {
  if (!report) {
    return {
      source: 'flags',
      learningRate: settings.learningRate,
      learningRateBatchSize: settings.learningRateBatchSize,
    };
  }
  const rec = report.recommendation;
  const b = report.noise.bSimple;
  const interval = b.ci95;
  return {
    source: 'report',
    ...(rec ? { recommendedBatch: rec.batchSize } : {}),
    learningRate: rec?.learningRate ?? report.workload.learningRate,
    learningRateBatchSize: rec?.batchSize ?? report.workload.learningRateBatchSize,
    ...(b.kind === 'measured' && b.value !== null ? { bNoise: b.value } : {}),
    ...(b.kind === 'measured' && interval && interval[0] !== null && interval[1] !== null
      ? { bNoiseInterval: [interval[0], interval[1]] as const }
      : {}),
    ...(report.memory.maxBatch !== null ? { memoryMaxBatch: report.memory.maxBatch } : {}),
    ...(report.settings.targetLoss !== undefined && report.settings.targetLoss !== null
      ? { targetLoss: report.settings.targetLoss }
      : {}),
  };
}

/** The grid `auto` spans: this factor below and above find's recommendation (powers of two). */
const AUTO_SPAN = 8;

/**
 * `auto`: powers of two from the recommendation / 8 to the recommendation × 8 (within the memory
 * ceiling and the data), the recommendation itself, the framework default 32, and the largest
 * batch that fits.
 */
export function autoBatches(basis: SweepBasis, trainingSize: number): number[] {
  const recommended = basis.recommendedBatch;
  if (recommended === undefined) {
    throw new BatchwiseError(
      'invalid-option',
      '--batches auto needs a recommendation to center on, and the find report has none; give --batches 16,32,64',
    );
  }
  const ceiling = Math.min(basis.memoryMaxBatch ?? trainingSize, trainingSize);
  const low = Math.max(1, 2 ** Math.floor(Math.log2(recommended / AUTO_SPAN)));
  const high = Math.min(ceiling, recommended * AUTO_SPAN);
  const batches = new Set<number>([Math.min(recommended, ceiling), ceiling]);
  for (let b = low; b <= high; b *= 2) batches.add(b);
  if (FRAMEWORK_DEFAULT_BATCH <= ceiling) batches.add(FRAMEWORK_DEFAULT_BATCH);
  return [...batches].sort((a, b) => a - b);
}

/** The rule's learning rate at `batchSize` (docs/analysis.md, Learning rate). */
export function learningRateAt(
  rule: Exclude<SweepLearningRateRule, 'tuned'>,
  basis: SweepBasis,
  batchSize: number,
): number {
  if (rule === 'noise' && basis.bNoise === undefined) {
    throw new BatchwiseError(
      'invalid-option',
      "--lr-rule noise needs a measured noise scale: give --from-report with find's report",
    );
  }
  return scaleLearningRate({
    rule: rule === 'noise' ? 'noise-model' : rule,
    baseLearningRate: basis.learningRate,
    baseBatchSize: basis.learningRateBatchSize,
    batchSize,
    ...(basis.bNoise !== undefined ? { bNoise: basis.bNoise } : {}),
  }).learningRate;
}

/** The scaling rule of one rate per batch, or behind `tuned`'s grid: sqrt for Adam, noise with a report, else linear. */
export function baseRuleOf(
  settings: Pick<SweepSettings, 'lrRule' | 'optimizer'>,
  basis: SweepBasis,
): Exclude<SweepLearningRateRule, 'tuned'> {
  if (settings.lrRule !== undefined && settings.lrRule !== 'tuned') return settings.lrRule;
  if (settings.optimizer === 'adam' || settings.optimizer === 'adamw') return 'sqrt';
  return basis.bNoise !== undefined ? 'noise' : 'linear';
}

export interface TrialPlan {
  readonly batches: readonly number[];
  readonly rule: SweepLearningRateRule;
  readonly baseRule: Exclude<SweepLearningRateRule, 'tuned'>;
  readonly target: TrialTarget;
  readonly trials: readonly TrialSpec[];
  /** Batches left out and why (larger than the data, ...). */
  readonly notes: readonly string[];
}

export function planTrials(input: {
  readonly settings: SweepSettings;
  readonly basis: SweepBasis;
  readonly target: TrialTarget;
  readonly workload: WorkloadSpec;
  /** Training examples after the validation split. */
  readonly trainingSize: number;
}): TrialPlan {
  const { settings, basis, target, workload, trainingSize } = input;
  const notes: string[] = [];
  const wanted = settings.batches === 'auto' ? autoBatches(basis, trainingSize) : settings.batches;
  const batches = wanted.filter((b) => b <= trainingSize);
  const dropped = wanted.filter((b) => b > trainingSize);
  if (dropped.length > 0) {
    notes.push(
      `batch ${dropped.join(', ')} left out: larger than the ${trainingSize} training examples`,
    );
  }
  if (batches.length === 0) {
    throw new BatchwiseError(
      'invalid-option',
      `no batch size fits the ${trainingSize} training examples (asked for ${wanted.join(', ')})`,
    );
  }
  if (settings.workers > 1) {
    notes.push(
      `${settings.workers} trials ran at once: their steps' times include each other's load, so compare times to the target between batches with care (steps and examples are unaffected; --workers 1 times each trial alone)`,
    );
  }
  const baseRule = baseRuleOf(settings, basis);
  const rule = settings.lrRule;
  const factors = rule === 'tuned' ? settings.tunedFactors : [1];
  const maxExamples =
    target.kind === 'examples' ? target.value : Math.ceil(settings.maxEpochs * trainingSize);
  const trials: TrialSpec[] = [];
  for (const batchSize of batches) {
    const rate = learningRateAt(baseRule, basis, batchSize);
    const evalEverySteps = Math.max(
      1,
      Math.round(trainingSize / (settings.evaluationsPerEpoch * batchSize)),
    );
    for (const factor of factors) {
      for (let repeat = 0; repeat < settings.repeats; repeat++) {
        const learningRate = rate * factor;
        trials.push({
          version: TRIAL_SPEC_VERSION,
          id: trialId(batchSize, factor, repeat),
          batchSize,
          learningRate,
          learningRateFactor: factor,
          repeat,
          engine: {
            name: settings.engine,
            ...(settings.backend !== 'auto' ? { backend: settings.backend } : {}),
            ...(settings.memoryBudgetBytes !== undefined
              ? { memoryBudgetBytes: settings.memoryBudgetBytes }
              : {}),
            ...(settings.cmd !== undefined ? { cmd: settings.cmd } : {}),
            shell: settings.shell,
            fakeStepDelayMs: settings.fakeStepDelayMs,
          },
          workload: { ...workload, learningRate, seed: settings.seed + repeat },
          target,
          smoothingSteps: Math.max(
            settings.smoothingSteps,
            Math.ceil(settings.smoothingExamples / batchSize),
          ),
          evalEverySteps,
          maxExamples,
          maxSeconds: settings.trialSeconds,
        });
      }
    }
  }
  return { batches, rule, baseRule, target, trials, notes };
}
