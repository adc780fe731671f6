// The prose of a recommendation: why this batch, how sure, which rule scaled the learning rate.
// Pure text from the decision recommend.ts made; the confidence level is the noise estimate's own
// (the settings' confidenceLevel), never a number written into a sentence.

import type { LearningRateRule } from '../analysis/learning-rate.js';
import type { NoiseScaleEstimate } from '../analysis/noise-scale.js';
import { NOTABLE_GROWTH, type NoiseTrend } from '../analysis/noise-trend.js';
import type { RecommendationBasis } from './recommend.js';

const percent = (confidence: number) => `${Math.round(confidence * 100)}%`;

export function describeNoise(noise: NoiseScaleEstimate): string {
  if (noise.kind === 'measured') {
    return `The gradient noise scale B_simple is about ${Math.round(noise.value)} examples (${percent(noise.confidence)} interval ${Math.round(noise.ci[0])}–${Math.round(noise.ci[1])}): much smaller batches waste optimizer steps, much larger ones waste examples (McCandlish et al. 2018).`;
  }
  const bound =
    noise.lowerBound !== undefined
      ? ` It is at least ${Math.round(noise.lowerBound)} examples.`
      : '';
  return `The gradient noise scale is not measurable yet: ${noise.reason}.${bound}`;
}

export function confidenceStatement(decision: {
  readonly noise: NoiseScaleEstimate;
  readonly basis: RecommendationBasis;
  readonly batchSize: number;
  /** The best batch over the noise scale's interval, and the worst slow-down of `batchSize`. */
  readonly batchRange?: readonly [number, number];
  readonly penalty?: number;
  /** The best batch across the step-time fit's bootstrap range alone. */
  readonly timingRange?: readonly [number, number];
  readonly trend?: NoiseTrend;
}): string {
  const { noise, basis, batchSize, batchRange, penalty, trend, timingRange } = decision;
  if (batchRange && penalty !== undefined) {
    const interval = timingRange
      ? `the noise scale's ${percent(noise.confidence)} interval and the step-time fit's bootstrap range`
      : `the noise scale's ${percent(noise.confidence)} interval`;
    const timing =
      timingRange && timingRange[0] !== timingRange[1]
        ? `Timing noise alone moves the best batch between ${timingRange[0]} and ${timingRange[1]}. `
        : '';
    const rising = trend?.rising
      ? 'The noise scale was still rising when the measurement ended, so the best batch later in training is larger. '
      : '';
    return (
      rising +
      (batchRange[0] === batchRange[1]
        ? `Anywhere in ${interval} the best batch is ${batchRange[0]}. `
        : `Anywhere in ${interval} the best batch lies between ${batchRange[0]} and ${batchRange[1]}, ` +
          `and batch ${batchSize} is at most ${(penalty * 100).toFixed(0)}% slower than it. `) +
      timing +
      'B_simple predicts the critical batch only to within about an order of magnitude (McCandlish et al. 2018), so treat the choice as a well-founded starting point.'
    );
  }
  return `Without a measured noise scale batch ${batchSize} stays within 2x of yours (${basis}): measure longer (--noise-seconds) for a statistically grounded answer.`;
}

/** Where the estimate holds, and how much it grew over the run (B_noise grows as the loss falls). */
function describeTrend(trend: NoiseTrend | undefined): string[] {
  if (!trend) return [];
  const lines: string[] = [];
  if (trend.lossAtEstimate !== undefined) {
    lines.push(
      `The noise scale, and so this batch, holds for the training state at loss ${trend.lossAtEstimate.toPrecision(3)} (the last measurements); it grows as the loss falls (McCandlish et al. 2018).`,
    );
  }
  const growth = trend.growth;
  if (growth && growth.to / growth.from >= NOTABLE_GROWTH) {
    const losses =
      growth.fromLoss !== undefined && growth.toLoss !== undefined
        ? ` while the loss fell from ${growth.fromLoss.toPrecision(3)} to ${growth.toLoss.toPrecision(3)}`
        : '';
    lines.push(
      `B_simple grew ${(growth.to / growth.from).toFixed(1)}x over the measured run (${Math.round(growth.from)} to ${Math.round(growth.to)})${losses}: a batch that grows with training (start smaller, end larger) would follow it.`,
    );
  }
  return lines;
}

export function explainChoice(decision: {
  readonly trend?: NoiseTrend;
  readonly noise: NoiseScaleEstimate;
  readonly basis: RecommendationBasis;
  readonly batchSize: number;
  readonly maxBatch: number;
  readonly learningRate: number;
  readonly baseLearningRate: number;
  readonly baseBatchSize: number;
  readonly rule: LearningRateRule;
  readonly ruleSource: string;
}): string[] {
  const { basis, batchSize, maxBatch } = decision;
  const why =
    basis === 'time-optimal'
      ? `Time to the target is steps × seconds per step, S(B)·t(B); batch ${batchSize} makes it least within the memory ceiling of ${maxBatch}.`
      : `Batch ${batchSize} stays near yours (batch ${decision.baseBatchSize}, at most 2x, toward where throughput saturates): with no measured noise scale, nothing supports a larger change.`;
  return [
    describeNoise(decision.noise),
    ...describeTrend(decision.trend),
    why,
    `Learning rate ${decision.learningRate.toPrecision(3)}: ${decision.baseLearningRate} at batch ${decision.baseBatchSize} scaled by the ${decision.rule} rule (${decision.ruleSource}).`,
  ];
}
