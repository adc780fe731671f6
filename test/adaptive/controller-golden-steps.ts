// The input sequence of test/adaptive/controller-golden.json: a run whose true gradient noise
// scale grows from 40 to about 9400 examples (|G|^2 falls while tr(Sigma) stays), micro-batch
// norms drawn around their expectations E|G_b|^2 = |G|^2 + tr(Sigma)/b (McCandlish et al.
// 2018, eq. A.1), step seconds t(B) = 0.02 + B/4000 with 5% noise. The batch of each step
// follows the controller's decisions (the loop's split: k = 2 micro-batches up to b = 256,
// then more micro-batches of 256). Regenerate with `npx tsx test/adaptive/make-controller-golden.ts`.

import {
  AdaptiveController,
  type AdaptiveControllerOptions,
} from '../../src/analysis/adaptive-controller.js';
import { createRandom } from '../../src/analysis/random.js';

export const GOLDEN_OPTIONS: AdaptiveControllerOptions = {
  initialBatchSize: 32,
  learningRate: 0.05,
  lrRule: 'noise',
  datasetSize: 60000,
  maxBatchSize: 4096,
  emaDecay: 0.95,
  checkEverySteps: 50,
  minStepsBeforeGrow: 100,
  growFactor: 2,
};

export const GOLDEN_STEP_COUNT = 1200;

export function microSplit(batchSize: number): { microBatchSize: number; microBatches: number } {
  const microBatches = Math.max(2, Math.ceil(batchSize / 256));
  return { microBatchSize: batchSize / microBatches, microBatches };
}

export interface GoldenStep {
  microBatchSize: number;
  microSqNorms: number[];
  bigSqNorm: number;
  stepSeconds: number;
}

/** Steps and the controller's decisions, step by step (the run the controller drives). */
export function generateGolden(): {
  steps: GoldenStep[];
  controller: AdaptiveController;
} {
  const random = createRandom(16);
  const controller = new AdaptiveController(GOLDEN_OPTIONS);
  const steps: GoldenStep[] = [];
  const traceCovariance = 4;
  for (let i = 0; i < GOLDEN_STEP_COUNT; i++) {
    const gradientSqNorm = 0.1 * Math.exp(-i / 220);
    const { microBatchSize: b, microBatches: k } = microSplit(controller.batchSize);
    const noisy = (mean: number, relative: number) =>
      Math.max(1e-12, mean * (1 + relative * random.normal()));
    const microSqNorms = Array.from({ length: k }, () =>
      noisy(gradientSqNorm + traceCovariance / b, 0.3),
    );
    const bigSqNorm = noisy(gradientSqNorm + traceCovariance / (k * b), 0.3 / Math.sqrt(k));
    const stepSeconds = noisy(0.02 + (k * b) / 4000, 0.05);
    const step = { microBatchSize: b, microSqNorms, bigSqNorm, stepSeconds };
    steps.push(step);
    controller.observe(step);
    controller.decide();
  }
  return { steps, controller };
}
