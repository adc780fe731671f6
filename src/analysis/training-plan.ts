// What a batch size means for one training run: its regime (SGD, mini-batch, batch gradient
// descent are B = 1, 1 < B < N and B = N of one model), steps per epoch, and — given the noise
// model — steps, examples and epochs to the target; tokens for sequence data.

import { BatchwiseError, requireInteger } from '../errors.js';
import { type NoiseModel, stepsToTarget } from './time-to-target.js';

export type BatchRegime = 'sgd' | 'mini-batch' | 'batch-gd';

function requireBatchWithinData(batchSize: number, datasetSize: number): void {
  requireInteger('batchSize', batchSize);
  requireInteger('datasetSize', datasetSize);
  if (batchSize > datasetSize) {
    throw new BatchwiseError(
      'invalid-argument',
      `batch size ${batchSize} is larger than the data (${datasetSize} examples): use at most ${datasetSize} (batch gradient descent)`,
    );
  }
}

/** B = N is batch gradient descent (checked first, so N = 1 is too), B = 1 is SGD. */
export function batchRegime(batchSize: number, datasetSize: number): BatchRegime {
  requireBatchWithinData(batchSize, datasetSize);
  if (batchSize === datasetSize) return 'batch-gd';
  if (batchSize === 1) return 'sgd';
  return 'mini-batch';
}

/** Optimizer steps in one pass over the data; the last partial batch counts unless dropped. */
export function stepsPerEpoch(datasetSize: number, batchSize: number, dropLast = false): number {
  requireBatchWithinData(batchSize, datasetSize);
  return dropLast ? Math.floor(datasetSize / batchSize) : Math.ceil(datasetSize / batchSize);
}

export interface TrainingPlanInput {
  readonly datasetSize: number;
  readonly batchSize: number;
  /** When given, the plan includes steps, examples and epochs to the target. */
  readonly noise?: Omit<NoiseModel, 'datasetSize'>;
  /** Tokens per example for sequence data (a fixed length, or the mean of real tokens). */
  readonly tokensPerExample?: number;
  readonly dropLast?: boolean;
}

export interface TrainingPlan {
  readonly regime: BatchRegime;
  readonly batchSize: number;
  readonly stepsPerEpoch: number;
  readonly steps?: number;
  readonly examples?: number;
  /** E(B) / N (McCandlish et al. 2018, Eq. 2.11: epochs needed grow with B). */
  readonly epochs?: number;
  readonly tokensPerBatch?: number;
  readonly tokens?: number;
}

export function trainingPlan(input: TrainingPlanInput): TrainingPlan {
  const { datasetSize, batchSize } = input;
  const plan: {
    -readonly [K in keyof TrainingPlan]: TrainingPlan[K];
  } = {
    regime: batchRegime(batchSize, datasetSize),
    batchSize,
    stepsPerEpoch: stepsPerEpoch(datasetSize, batchSize, input.dropLast),
  };
  if (input.tokensPerExample !== undefined)
    plan.tokensPerBatch = tokensPerBatch(batchSize, input.tokensPerExample);
  if (input.noise) {
    const steps = Math.ceil(stepsToTarget({ ...input.noise, datasetSize }, batchSize));
    plan.steps = steps;
    plan.examples = steps * batchSize;
    plan.epochs = plan.examples / datasetSize;
    if (plan.tokensPerBatch !== undefined) plan.tokens = steps * plan.tokensPerBatch;
  }
  return plan;
}

/** Tokens in a batch of sequences: B · tokens per example. */
export function tokensPerBatch(batchSize: number, tokensPerExample: number): number {
  if (!(tokensPerExample > 0)) {
    throw new BatchwiseError(
      'invalid-argument',
      `tokens per example must be > 0, got ${tokensPerExample}`,
    );
  }
  return batchSize * tokensPerExample;
}

/** Sequences in a batch of a given token count, rounded down, at least 1. */
export function sequencesForTokens(tokens: number, tokensPerSequence: number): number {
  if (!(tokens > 0 && tokensPerSequence > 0)) {
    throw new BatchwiseError('invalid-argument', 'tokens and tokens per sequence must be > 0');
  }
  return Math.max(1, Math.floor(tokens / tokensPerSequence));
}
