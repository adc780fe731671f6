// A training problem whose gradient noise is known exactly: least squares with Gaussian inputs.
// x ~ N(0, I_d), y = x·w* + e, e ~ N(0, sigma^2), loss 1/2 (x·w − y)^2. With D = w − w*, the
// per-example gradient is g = x (x·D − e), so G = D and, by Isserlis' theorem,
//   Sigma = D D^T + (|D|^2 + sigma^2) I,  tr(Sigma) = (d + 1)|D|^2 + d sigma^2,
//   B_simple = tr(Sigma)/|G|^2 = d + 1 + d sigma^2 / |D|^2,
// and the expected loss is (|D|^2 + sigma^2)/2. The fake engine trains it with real SGD, and
// tests use it as ground truth for every noise-scale estimator. Training draws fresh examples
// at every step; a validation set is a fixed sample of the same distribution (drawExamples),
// whose loss tends to the expected loss as it grows.

// biome-ignore-all lint/style/noNonNullAssertion: tight numeric loops over arrays whose indices are in range by construction (loop bounds are the arrays' lengths, or lengths checked on entry)

import { createRandom, type Random } from '../../analysis/random.js';

export interface LinearRegressionTruth {
  readonly gradientSqNorm: number;
  readonly traceCovariance: number;
  readonly bSimple: number;
  readonly expectedLoss: number;
}

/** Fixed examples of the problem (a validation set): inputs x and standard-normal noise draws. */
export interface LinearRegressionExamples {
  readonly size: number;
  /** size × dimension values, row-major. */
  readonly inputs: Float64Array;
  /** e / sigma per example: the label noise is scaled by the problem's noiseStd. */
  readonly noise: Float64Array;
}

/** `size` examples drawn from `seed`: x ~ N(0, I_d), e/sigma ~ N(0, 1). */
export function drawExamples(
  dimension: number,
  size: number,
  seed: number,
): LinearRegressionExamples {
  const random = createRandom(seed);
  const inputs = new Float64Array(size * dimension);
  const noise = new Float64Array(size);
  for (let n = 0; n < size; n++) {
    for (let j = 0; j < dimension; j++) inputs[n * dimension + j] = random.normal();
    noise[n] = random.normal();
  }
  return { size, inputs, noise };
}

export interface LinearRegressionOptions {
  readonly dimension: number;
  /** |w0 − w*| at the start. */
  readonly deltaNorm: number;
  /** Standard deviation of the label noise. */
  readonly noiseStd: number;
  readonly seed: number;
}

export class LinearRegressionProblem {
  readonly dimension: number;
  readonly noiseStd: number;
  /** w − w*, the only state that matters. */
  readonly delta: number[];
  private readonly random: Random;

  constructor(options: LinearRegressionOptions) {
    this.dimension = options.dimension;
    this.noiseStd = options.noiseStd;
    this.random = createRandom(options.seed);
    const direction = Array.from({ length: options.dimension }, () => this.random.normal());
    const norm = Math.hypot(...direction);
    this.delta = direction.map((v) => (v / norm) * options.deltaNorm);
  }

  truth(): LinearRegressionTruth {
    const d2 = sqNorm(this.delta);
    const traceCovariance = d2 * (this.dimension + 1) + this.dimension * this.noiseStd ** 2;
    return {
      gradientSqNorm: d2,
      traceCovariance,
      bSimple: traceCovariance / d2,
      expectedLoss: (d2 + this.noiseStd ** 2) / 2,
    };
  }

  /** One example's gradient and loss at the current weights. */
  example(): { gradient: number[]; loss: number } {
    const x = Array.from({ length: this.dimension }, () => this.random.normal());
    const residual =
      x.reduce((s, xi, i) => s + xi * this.delta[i]!, 0) - this.noiseStd * this.random.normal();
    return { gradient: x.map((xi) => xi * residual), loss: 0.5 * residual * residual };
  }

  /** Mean loss 1/2 (x·w − y)^2 over fixed examples at the current weights (the batch loss). */
  lossOn(examples: LinearRegressionExamples): number {
    let loss = 0;
    for (let n = 0; n < examples.size; n++) {
      let residual = -this.noiseStd * examples.noise[n]!;
      for (let j = 0; j < this.dimension; j++) {
        residual += examples.inputs[n * this.dimension + j]! * this.delta[j]!;
      }
      loss += (0.5 * residual * residual) / examples.size;
    }
    return loss;
  }

  /** Mean gradient and loss of a fresh batch. */
  batch(batchSize: number): { gradient: number[]; loss: number } {
    const gradient = new Array<number>(this.dimension).fill(0);
    let loss = 0;
    for (let i = 0; i < batchSize; i++) {
      const e = this.example();
      for (let j = 0; j < this.dimension; j++) gradient[j]! += e.gradient[j]! / batchSize;
      loss += e.loss / batchSize;
    }
    return { gradient, loss };
  }

  /** w ← w − lr · g. */
  step(gradient: readonly number[], learningRate: number): void {
    for (let j = 0; j < this.dimension; j++) this.delta[j]! -= learningRate * gradient[j]!;
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
