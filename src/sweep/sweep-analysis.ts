// What a sweep's trials show, for the report: the best learning rate per batch, steps and
// examples to the target fitted to McCandlish et al. 2018 eq. 2.11 (the measured B_crit), the
// measured time to the target and each batch's regret, the comparison with find's prediction,
// and generalisation across batch sizes. The numbers come from src/analysis/sweep-fit.ts (pure);
// this file picks them for the report and says in words what they mean.

import { z } from 'zod';
import {
  bestPerBatch,
  compareWithPrediction,
  fitStepsExamples,
  generalisation,
  measuredTimeToTarget,
  type SweepEstimate,
  stepsPoints,
} from '../analysis/sweep-fit.js';
import type { SweepConfig } from './sweep-config.js';
import { TRIAL_OUTCOMES } from './trial-events.js';

/** JSON has no Infinity: an end the data do not bound is null. */
const bound = z.number().nullable();
const estimate = z.object({ value: z.number(), ci: z.tuple([bound, bound]).nullable() });
const spread = z.object({ median: z.number(), min: z.number(), max: z.number() });

export const sweepAnalysisSchema = z.object({
  batches: z.array(
    z.object({
      batchSize: z.number(),
      trialCount: z.number(),
      outcomes: z.partialRecord(z.enum(TRIAL_OUTCOMES), z.number()),
      repeatCount: z.number(),
      reachedCount: z.number(),
      stepsToTarget: spread.optional(),
      examplesToTarget: spread.optional(),
      secondsToTarget: spread.optional(),
      bestLearningRateFactors: z.array(z.number()),
      bestAtGridEdge: z.boolean(),
      /** Median seconds to the target over the best batch's; absent when not reached. */
      regret: z.number().optional(),
      pareto: z.boolean(),
    }),
  ),
  fit: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('fitted'),
      bCrit: estimate,
      minSteps: estimate,
      minExamples: estimate,
      bCritPosition: z.enum(['below-range', 'within-range', 'above-range']),
      relativeRmsError: z.number(),
      predicted: z.array(
        z.object({ batchSize: z.number(), predictedSteps: z.number(), medianSteps: z.number() }),
      ),
      pointCount: z.number(),
    }),
    z.object({ kind: z.literal('insufficient'), reason: z.string() }),
  ]),
  best: z.object({ batchSize: z.number(), seconds: z.number() }).optional(),
  prediction: z
    .object({
      recommendedBatch: z.number(),
      predictedBSimple: z.number().optional(),
      bCritRatio: z.number().optional(),
      bCritRatioCi: z.tuple([bound, bound]).optional(),
      withinInterval: z.boolean().optional(),
      recommendedRegret: z.number().optional(),
    })
    .optional(),
  generalisation: z.object({
    verdict: z.enum(['worse', 'better', 'no-significant-difference', 'not-enough-trials']),
    metric: z.enum(['validation-accuracy', 'validation-loss']).optional(),
    slopePerDoubling: z.number().optional(),
    pValue: z.number().optional(),
    statement: z.string(),
    batches: z.array(
      z.object({
        batchSize: z.number(),
        trialCount: z.number(),
        validationAccuracy: z.number().optional(),
        validationLoss: z.number().optional(),
        generalisationGap: z.number().optional(),
      }),
    ),
  }),
  /** The findings in plain sentences, most important first. */
  summary: z.array(z.string()),
});
export type SweepAnalysis = z.output<typeof sweepAnalysisSchema>;

interface TrialLike {
  readonly batchSize: number;
  readonly learningRate: number;
  readonly learningRateFactor: number;
  readonly repeat: number;
  readonly outcome: (typeof TRIAL_OUTCOMES)[number];
  readonly stepsToTarget?: number | undefined;
  readonly examplesToTarget?: number | undefined;
  readonly secondsToTarget?: number | undefined;
  readonly steps: number;
  readonly examples: number;
  readonly seconds: number;
  readonly trainLoss?: number | null | undefined;
  readonly validationLoss?: number | null | undefined;
  readonly validationAccuracy?: number | undefined;
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

function estimateJson(e: SweepEstimate): z.output<typeof estimate> {
  return { value: e.value, ci: e.ci ? [finiteOrNull(e.ci[0]), finiteOrNull(e.ci[1])] : null };
}

const round = (v: number) => (v >= 100 ? Math.round(v).toString() : v.toPrecision(3));

function ciText(ci: readonly [number | null, number | null] | null | undefined): string {
  if (!ci) return '';
  const [low, high] = ci;
  return ` (95% ${low === null ? '0' : round(low)}–${high === null ? '∞' : round(high)})`;
}

/** Drops undefined fields: the analysis functions take exact optional properties. */
function resultOf(t: TrialLike) {
  return {
    batchSize: t.batchSize,
    learningRate: t.learningRate,
    learningRateFactor: t.learningRateFactor,
    repeat: t.repeat,
    outcome: t.outcome,
    steps: t.steps,
    examples: t.examples,
    seconds: t.seconds,
    ...(t.stepsToTarget !== undefined ? { stepsToTarget: t.stepsToTarget } : {}),
    ...(t.examplesToTarget !== undefined ? { examplesToTarget: t.examplesToTarget } : {}),
    ...(t.secondsToTarget !== undefined ? { secondsToTarget: t.secondsToTarget } : {}),
    ...(t.trainLoss !== undefined ? { trainLoss: t.trainLoss } : {}),
    ...(t.validationLoss !== undefined ? { validationLoss: t.validationLoss } : {}),
    ...(t.validationAccuracy !== undefined ? { validationAccuracy: t.validationAccuracy } : {}),
  };
}

export function analyseSweep(config: SweepConfig, trials: readonly TrialLike[]): SweepAnalysis {
  const results = trials.filter((t) => t.outcome !== 'aborted').map(resultOf);
  const best = bestPerBatch(results);
  const fit = fitStepsExamples(stepsPoints(best));
  const timing = measuredTimeToTarget(best.batches);
  const regrets = new Map(timing.regrets.map((r) => [r.batchSize, r.regret]));
  const pareto = new Set(timing.paretoBatchSizes);
  const general = generalisation(results);
  const summary: string[] = [];

  const recommended = config.basis.recommendedBatch;
  let prediction: SweepAnalysis['prediction'];
  if (recommended !== undefined) {
    const compared =
      fit.kind === 'fitted' && config.basis.bNoise !== undefined
        ? compareWithPrediction({
            measuredBCrit: fit.bCrit,
            predictedBSimple: config.basis.bNoise,
            recommendedBatch: recommended,
            timing,
          })
        : undefined;
    const recommendedRegret = compared?.recommendedRegret ?? regrets.get(recommended);
    prediction = {
      recommendedBatch: recommended,
      ...(config.basis.bNoise !== undefined ? { predictedBSimple: config.basis.bNoise } : {}),
      ...(compared ? { bCritRatio: compared.ratio } : {}),
      ...(compared?.ratioCi
        ? { bCritRatioCi: [finiteOrNull(compared.ratioCi[0]), finiteOrNull(compared.ratioCi[1])] }
        : {}),
      ...(compared?.withinInterval !== undefined
        ? { withinInterval: compared.withinInterval }
        : {}),
      ...(recommendedRegret !== undefined ? { recommendedRegret } : {}),
    };
    if (recommendedRegret !== undefined && timing.best) {
      summary.push(
        recommendedRegret <= 1.0001
          ? `find's recommendation, batch ${recommended}, was the fastest batch measured to the target.`
          : `find's recommendation, batch ${recommended}, took ${recommendedRegret.toFixed(2)}x the time of the fastest batch measured (${timing.best.batchSize}).`,
      );
    } else {
      summary.push(
        `find's recommendation, batch ${recommended}, ${config.batches.includes(recommended) ? 'did not reach the target in most repeats' : 'was not among the batches trained'}: its regret is unknown.`,
      );
    }
  }
  if (timing.best) {
    summary.push(
      `Fastest to the target: batch ${timing.best.batchSize}, ${timing.best.seconds.toPrecision(3)} s of training (median over repeats).`,
    );
  } else {
    summary.push('No batch reached the target in most of its repeats: nothing to compare.');
  }
  if (fit.kind === 'fitted') {
    const b = estimateJson(fit.bCrit);
    const where =
      fit.bCritPosition === 'within-range'
        ? ''
        : fit.bCritPosition === 'below-range'
          ? ' (below the batches trained: every batch was already near the fewest steps)'
          : ' (above the batches trained: every batch was still in perfect scaling)';
    const vsPrediction =
      prediction?.bCritRatio !== undefined && config.basis.bNoise !== undefined
        ? `; find predicted B_simple ${round(config.basis.bNoise)} (measured/predicted ${prediction.bCritRatio.toFixed(2)})`
        : '';
    summary.push(
      `Measured critical batch B_crit = E_min/S_min ≈ ${round(b.value)}${ciText(b.ci)}${where}, from steps and examples to the target fitted to (S/S_min − 1)(E/E_min − 1) = 1 (McCandlish et al. 2018, eq. 2.11)${vsPrediction}.`,
    );
  } else {
    summary.push(`B_crit not measured: ${fit.reason}.`);
  }
  summary.push(general.statement);

  return {
    batches: best.batches.map((b) => ({
      batchSize: b.batchSize,
      trialCount: b.trialCount,
      outcomes: { ...b.outcomes },
      repeatCount: b.repeatCount,
      reachedCount: b.reachedCount,
      ...(b.stepsToTarget ? { stepsToTarget: b.stepsToTarget } : {}),
      ...(b.examplesToTarget ? { examplesToTarget: b.examplesToTarget } : {}),
      ...(b.secondsToTarget ? { secondsToTarget: b.secondsToTarget } : {}),
      bestLearningRateFactors: [...b.bestLearningRateFactors],
      bestAtGridEdge: b.bestAtGridEdge,
      ...(regrets.has(b.batchSize) ? { regret: regrets.get(b.batchSize) as number } : {}),
      pareto: pareto.has(b.batchSize),
    })),
    fit:
      fit.kind === 'fitted'
        ? {
            kind: 'fitted',
            bCrit: estimateJson(fit.bCrit),
            minSteps: estimateJson(fit.minSteps),
            minExamples: estimateJson(fit.minExamples),
            bCritPosition: fit.bCritPosition,
            relativeRmsError: fit.relativeRmsError,
            predicted: fit.predicted.map((p) => ({ ...p })),
            pointCount: fit.pointCount,
          }
        : { kind: 'insufficient', reason: fit.reason },
    ...(timing.best ? { best: { ...timing.best } } : {}),
    ...(prediction ? { prediction } : {}),
    generalisation: {
      verdict: general.verdict,
      ...(general.metric ? { metric: general.metric } : {}),
      ...(general.slopePerDoubling !== undefined
        ? { slopePerDoubling: general.slopePerDoubling }
        : {}),
      ...(general.pValue !== undefined ? { pValue: general.pValue } : {}),
      statement: general.statement,
      batches: general.batches.map((b) => ({ ...b })),
    },
    summary,
  };
}
