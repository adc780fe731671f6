// Ground truth for the gradient noise scale: the exact linear least-squares problem that the fake
// engine trains (src/engines/fake/linear-regression.ts), with the per-example API the tests use.

import { LinearRegressionProblem } from '../../src/engines/fake/linear-regression.js';

export { sqNorm, weightedMean } from '../../src/engines/fake/linear-regression.js';

export class LinearRegressionModel {
  private readonly problem: LinearRegressionProblem;

  constructor(options: { dimension: number; deltaNorm: number; noiseStd: number; seed: number }) {
    this.problem = new LinearRegressionProblem(options);
  }

  truth() {
    return this.problem.truth();
  }

  exampleGradient(): number[] {
    return this.problem.example().gradient;
  }

  batchGradient(batchSize: number): number[] {
    return this.problem.batch(batchSize).gradient;
  }
}
