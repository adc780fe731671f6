// The adaptive training loop (docs/adaptive.md): each step is k micro-batches of b examples
// (micro-batch-step.ts), the controller (src/analysis/adaptive-controller.ts) observes the
// step's norms and seconds and may grow the batch and change the learning rate; epochs,
// validation after each one, and the stop (epochs, smoothed training loss, steps) are decided
// here. A non-finite loss ends the run with a 'diverged' outcome (the weights keep the last
// finite step). TF.js's model.fit takes one batch size per call, so the loop is our own.

import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveController,
  type AdaptiveControllerOptions,
} from '../analysis/adaptive-controller.js';
import { median } from '../analysis/statistics.js';
import { createEpochSampler } from '../data/sampling.js';
import type { TrainingOptimizer } from '../engines/tfjs/optimizers.js';
import { defined } from '../errors.js';
import type {
  AdaptiveHistory,
  AdaptiveOutcome,
  AdaptiveStepRecord,
  AdaptiveValidationRecord,
} from './adaptive-history.js';
import {
  FIT_ADAPTIVE_DEFAULTS,
  type FitAdaptiveOptions,
  type ResolvedFitOptions,
} from './adaptive-options.js';
import { microBatchPasses, microBatchStep } from './micro-batch-step.js';
import type { Trainable } from './trainable.js';

export interface TrainAdaptiveInput {
  readonly model: Trainable;
  readonly optimizer: TrainingOptimizer;
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
  readonly validation: readonly [tf.Tensor, tf.Tensor] | undefined;
  readonly controller: AdaptiveControllerOptions;
  readonly resolved: ResolvedFitOptions;
  readonly callbacks: Pick<FitAdaptiveOptions, 'onStep' | 'onChange' | 'onEpochEnd'>;
}

/** Inference-mode loss and accuracy on held-out examples, in chunks. */
export function evaluateHeldOut(
  model: Trainable,
  [x, y]: readonly [tf.Tensor, tf.Tensor],
): { loss: number; accuracy: number | null } {
  const n = x.shape[0] ?? 0;
  const chunk = FIT_ADAPTIVE_DEFAULTS.evaluationChunkExamples;
  let lossSum = 0;
  let correct = 0;
  let counted = 0;
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const values = tf.tidy(() => {
      const r = model.evaluate(tf.slice(x, start, size), tf.slice(y, start, size));
      return tf.stack([r.loss, r.correct, r.counted]);
    });
    const [loss = Number.NaN, right = 0, count = 0] = Array.from(values.dataSync());
    values.dispose();
    lossSum += loss * size;
    correct += right;
    counted += count;
  }
  return { loss: lossSum / n, accuracy: counted > 0 ? correct / counted : null };
}

/** The micro-batches of one step: k slices of the gathered examples. */
function microBatches(
  x: tf.Tensor,
  y: tf.Tensor,
  indices: readonly number[],
  k: number,
): [tf.Tensor, tf.Tensor][] {
  const b = indices.length / k;
  return Array.from({ length: k }, (_, i) =>
    tf.tidy(() => {
      const part = tf.tensor1d(indices.slice(i * b, (i + 1) * b), 'int32');
      return [tf.gather(x, part), tf.gather(y, part)] as [tf.Tensor, tf.Tensor];
    }),
  );
}

function sequentialSampler(size: number) {
  let position = 0;
  return {
    next(count: number): number[] {
      return Array.from({ length: count }, () => {
        const index = position;
        position = (position + 1) % size;
        return index;
      });
    },
  };
}

/** Passes timed at each of the two batches for the probe (medians taken), after one untimed. */
const PROBE_REPEATS = 5;

/**
 * Before the first decision, times the passes of a step at 2B against a step at B (one untimed
 * pass each, then interleaved, medians of PROBE_REPEATS, weights untouched) and gives the
 * controller the step time at 2B that implies: its measured steps at B plus the difference. The first growth then rests on a measured
 * step-time line, not on the one-size prior (on a CPU, where a step costs nearly in proportion to
 * its batch, the prior overstated t0·R 2.5x and grew past the optimum; docs/adaptive.md). Skipped
 * when 2B exceeds the memory cap or the data. Returns the seconds it took (counted as training).
 */
function probeDoubleBatch(
  input: TrainAdaptiveInput,
  controller: AdaptiveController,
  steps: readonly AdaptiveStepRecord[],
  k: number,
): number {
  const batch = controller.batchSize;
  const n = defined(input.x.shape[0], 'the example count');
  if (2 * batch > controller.maxBatchSize || 2 * batch > n) return 0;
  const started = performance.now();
  // As a training step is timed (gathering its examples included), less the update, whose cost
  // does not depend on the batch and cancels in the difference. The first examples: timing does
  // not care which, and the epoch's order stays untouched.
  const timed = (size: number) => {
    const indices = Array.from({ length: size }, (_, i) => i);
    const begun = performance.now();
    const parts = microBatches(input.x, input.y, indices, k);
    microBatchPasses(input.model, parts);
    tf.dispose(parts);
    return (performance.now() - begun) / 1000;
  };
  // Untimed first: a new shape allocates.
  timed(batch);
  timed(2 * batch);
  const at1: number[] = [];
  const at2: number[] = [];
  for (let i = 0; i < PROBE_REPEATS; i++) {
    at1.push(timed(batch));
    at2.push(timed(2 * batch));
  }
  // The controller's own point at B is the mean of every timed step there: the 2B point sits the
  // probe's difference above it, so the line's slope is the probe's.
  const atB = steps.filter((s) => s.batch === batch && s.seconds > 0).map((s) => s.seconds);
  const stepAt1 = atB.length > 0 ? atB.reduce((a, b) => a + b, 0) / atB.length : Number.NaN;
  const extra = median(at2) - median(at1);
  if (Number.isFinite(stepAt1) && Number.isFinite(extra)) {
    controller.observeStepTime(2 * batch, stepAt1 + extra);
  }
  return (performance.now() - started) / 1000;
}

export function trainAdaptive(input: TrainAdaptiveInput): AdaptiveHistory {
  const { model, optimizer, x, y, validation, resolved, callbacks } = input;
  const n = defined(x.shape[0], 'the example count');
  const controller = new AdaptiveController(input.controller);
  const sampler = resolved.shuffle ? createEpochSampler(n, resolved.seed) : sequentialSampler(n);
  const k = resolved.microBatches;
  const beta = resolved.lossSmoothing;
  const steps: AdaptiveStepRecord[] = [];
  const validations: AdaptiveValidationRecord[] = [];
  let emaLoss = 0;
  let elapsedSeconds = 0;
  let examples = 0;
  let epochsDone = 0;
  let targetStep: number | undefined;
  let outcome: AdaptiveOutcome | undefined;
  const validate = (epoch: number) => {
    if (!validation) return;
    const result = evaluateHeldOut(model, validation);
    const record = { epoch, step: steps.length, ...result };
    validations.push(record);
    callbacks.onEpochEnd?.(record);
  };
  let probed = false;
  while (outcome === undefined) {
    const batch = controller.batchSize;
    const lr = controller.learningRate;
    const started = performance.now();
    const parts = microBatches(x, y, sampler.next(batch), k);
    const result = microBatchStep(model, optimizer, parts);
    const seconds = (performance.now() - started) / 1000;
    tf.dispose(parts);
    const step = steps.length + 1;
    if (!result.applied) {
      outcome = {
        kind: 'diverged',
        message: `step ${step}: the training loss is ${result.loss} (or a gradient is not finite) at batch ${batch} and learning rate ${lr.toPrecision(3)}; the run stopped with the weights of step ${step - 1}: lower the learning rate or use lrRule 'sqrt'`,
      };
      break;
    }
    elapsedSeconds += seconds;
    examples += batch;
    controller.observe({
      microBatchSize: batch / k,
      microSqNorms: result.microSqNorms,
      bigSqNorm: result.bigSqNorm,
      stepSeconds: seconds,
    });
    emaLoss = beta * emaLoss + (1 - beta) * result.loss;
    const smoothedLoss = emaLoss / (1 - beta ** step);
    const record: AdaptiveStepRecord = {
      step,
      examples,
      batch,
      microBatchSize: batch / k,
      lr,
      loss: result.loss,
      smoothedLoss,
      bNoise: controller.bNoise() ?? null,
      seconds,
      elapsedSeconds,
    };
    steps.push(record);
    callbacks.onStep?.(record);
    if (resolved.adapt) {
      if (!probed && step >= controller.minStepsBeforeGrow) {
        probed = true;
        elapsedSeconds += probeDoubleBatch(input, controller, steps, k);
      }
      const change = controller.decide();
      if (change) {
        optimizer.setLearningRate(change.toLr);
        callbacks.onChange?.(change);
      }
    }
    if (Math.floor(examples / n) > epochsDone) {
      epochsDone = Math.floor(examples / n);
      validate(epochsDone);
    }
    if (resolved.targetLoss !== undefined && smoothedLoss <= resolved.targetLoss) {
      targetStep = step;
      outcome = {
        kind: 'reached-target',
        message: `the smoothed training loss reached ${resolved.targetLoss} at step ${step} after ${elapsedSeconds.toFixed(2)} s of training (${examples} examples)`,
      };
    } else if (resolved.epochs !== undefined && examples >= resolved.epochs * n) {
      outcome = {
        kind: 'epochs-done',
        message: `trained ${resolved.epochs} epoch(s) in ${step} steps`,
      };
    } else if (resolved.maxSteps !== undefined && step >= resolved.maxSteps) {
      outcome = { kind: 'max-steps', message: `stopped at maxSteps (${step})` };
    } else if (resolved.maxSeconds !== undefined && elapsedSeconds >= resolved.maxSeconds) {
      outcome = {
        kind: 'max-seconds',
        message: `stopped after ${elapsedSeconds.toFixed(2)} s of training (maxSeconds ${resolved.maxSeconds}) at step ${step}`,
      };
    }
  }
  if (validation && (validations.at(-1)?.step ?? -1) !== steps.length && steps.length > 0) {
    validate(examples / n);
  }
  const settings = {
    optimizer: optimizer.name,
    lrRule: input.controller.lrRule,
    initialBatchSize: resolved.initialBatchSize,
    microBatches: k,
    maxBatchSize: controller.maxBatchSize,
    learningRate: input.controller.learningRate,
    checkEverySteps: controller.checkEverySteps,
    minStepsBeforeGrow: controller.minStepsBeforeGrow,
    adapt: resolved.adapt,
    datasetSize: n,
    seed: resolved.seed,
  };
  return {
    settings,
    steps,
    changes: controller.changes,
    validation: validations,
    outcome: defined(outcome, 'the outcome'),
    trainingSeconds: elapsedSeconds,
    targetStep,
  };
}
