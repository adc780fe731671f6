// Ground truth for the gradient noise scale: least squares with Gaussian inputs.
// Model: x ~ N(0, I_d), y = x·w* + e, e ~ N(0, sigma^2); loss 1/2 (x·w − y)^2 at weights w.
// Per-example gradient g = x (x·D − e) with D = w − w*. Then G = E g = D, and by Isserlis'
// theorem E[x x^T (x·D)^2] = 2 D D^T + |D|^2 I, so
//   Sigma = E g g^T − G G^T = D D^T + (|D|^2 + sigma^2) I,
//   tr(Sigma) = |D|^2 (d + 1) + d sigma^2,   B_simple = tr(Sigma)/|G|^2 = d + 1 + d sigma^2/|D|^2.

import { createRandom, type Random } from '../../src/analysis/random.js';

export interface LinearRegressionTruth {
  readonly gradientSqNorm: number;
  readonly traceCovariance: number;
  readonly bSimple: number;
}

export class LinearRegressionModel {
  readonly dimension: number;
  readonly delta: readonly number[];
  readonly noiseStd: number;
  private readonly random: Random;

  constructor(options: { dimension: number; deltaNorm: number; noiseStd: number; seed: number }) {
    this.dimension = options.dimension;
    this.noiseStd = options.noiseStd;
    this.random = createRandom(options.seed);
    const direction = Array.from({ length: options.dimension }, () => this.random.normal());
    const norm = Math.hypot(...direction);
    this.delta = direction.map((v) => (v / norm) * options.deltaNorm);
  }

  truth(): LinearRegressionTruth {
    const d2 = this.delta.reduce((s, v) => s + v * v, 0);
    const traceCovariance = d2 * (this.dimension + 1) + this.dimension * this.noiseStd ** 2;
    return { gradientSqNorm: d2, traceCovariance, bSimple: traceCovariance / d2 };
  }

  /** One per-example gradient at the fixed weights. */
  exampleGradient(): number[] {
    const x = Array.from({ length: this.dimension }, () => this.random.normal());
    const residual =
      x.reduce((s, xi, i) => s + xi * this.delta[i]!, 0) - this.noiseStd * this.random.normal();
    return x.map((xi) => xi * residual);
  }

  /** Mean gradient of a fresh batch. */
  batchGradient(batchSize: number): number[] {
    const sum = new Array<number>(this.dimension).fill(0);
    for (let i = 0; i < batchSize; i++) {
      const g = this.exampleGradient();
      for (let j = 0; j < this.dimension; j++) sum[j]! += g[j]!;
    }
    return sum.map((v) => v / batchSize);
  }
}

export function sqNorm(vector: readonly number[]): number {
  return vector.reduce((s, v) => s + v * v, 0);
}

/** Mean of vectors weighted by counts. */
export function weightedMean(
  vectors: readonly (readonly number[])[],
  weights: readonly number[],
): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  const out = new Array<number>(vectors[0]!.length).fill(0);
  vectors.forEach((v, i) => {
    for (let j = 0; j < v.length; j++) out[j]! += (v[j]! * weights[i]!) / total;
  });
  return out;
}
