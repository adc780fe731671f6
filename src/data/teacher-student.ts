// The built-in `synthetic` data set: a teacher-student classification problem (Gardner & Derrida
// 1989; Saad & Solla 1995). Inputs are standard Gaussian; a fixed random teacher network with one
// tanh hidden layer labels them by the argmax of its outputs; then each label is, with
// probability labelNoise, replaced by a uniformly random class. More label noise means noisier
// per-example gradients, hence a larger gradient noise scale.

// biome-ignore-all lint/style/noNonNullAssertion: tight loops over typed arrays whose indices are in range by construction (bounded by the arrays' lengths or by sizes checked on entry)

import { createRandom } from '../analysis/random.js';
import { BatchwiseError, requireInteger } from '../errors.js';
import { type Dataset, withFeatureStatistics } from './dataset.js';

export interface TeacherStudentOptions {
  /** Default 8192. */
  readonly examples?: number | undefined;
  /** Input dimension; default 32. */
  readonly features?: number | undefined;
  /** Default 10. */
  readonly classes?: number | undefined;
  /** Probability that a label is replaced by a uniformly random class; default 0. */
  readonly labelNoise?: number | undefined;
  /** Width of the teacher's hidden layer; default 64. */
  readonly hiddenUnits?: number | undefined;
  readonly seed: number;
}

/**
 * The teacher's weights and inputs come from `seed`, the label noise from a separate stream: the
 * same seed gives the same inputs and teacher at every labelNoise, so a noiseless data set holds
 * the teacher's labels of a noisy one.
 */
export function teacherStudentDataset(options: TeacherStudentOptions): Dataset {
  const examples = requireInteger('examples', options.examples ?? 8192);
  const features = requireInteger('features', options.features ?? 32);
  const classes = requireInteger('classes', options.classes ?? 10, 2);
  const hiddenUnits = requireInteger('hiddenUnits', options.hiddenUnits ?? 64);
  const labelNoise = options.labelNoise ?? 0;
  if (!(labelNoise >= 0 && labelNoise <= 1)) {
    throw new BatchwiseError(
      'invalid-argument',
      `labelNoise must be a probability from 0 to 1, got ${labelNoise}`,
    );
  }
  const random = createRandom(options.seed);
  const noiseRandom = createRandom((options.seed ^ 0x5bd1e995) + 1);

  // Hidden pre-activations have unit variance (weights N(0, 1/features)), so tanh works in its
  // non-linear range. Output rows have equal norms, so no class wins by a larger weight norm.
  const hiddenWeights = Float64Array.from(
    { length: hiddenUnits * features },
    () => random.normal() / Math.sqrt(features),
  );
  const hiddenBias = Float64Array.from({ length: hiddenUnits }, () => 0.1 * random.normal());
  const outputWeights = Float64Array.from({ length: classes * hiddenUnits }, () => random.normal());
  for (let k = 0; k < classes; k++) {
    const row = outputWeights.subarray(k * hiddenUnits, (k + 1) * hiddenUnits);
    const norm = Math.sqrt(row.reduce((sum, w) => sum + w * w, 0));
    for (let j = 0; j < hiddenUnits; j++) row[j]! /= norm;
  }

  const inputs = new Float32Array(examples * features);
  for (let i = 0; i < inputs.length; i++) inputs[i] = random.normal();
  const targets = new Int32Array(examples);
  const hidden = new Float64Array(hiddenUnits);
  for (let n = 0; n < examples; n++) {
    const x = inputs.subarray(n * features, (n + 1) * features);
    for (let j = 0; j < hiddenUnits; j++) {
      let sum = hiddenBias[j]!;
      for (let f = 0; f < features; f++) sum += hiddenWeights[j * features + f]! * x[f]!;
      hidden[j] = Math.tanh(sum);
    }
    let best = 0;
    let bestLogit = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classes; k++) {
      let logit = 0;
      for (let j = 0; j < hiddenUnits; j++)
        logit += outputWeights[k * hiddenUnits + j]! * hidden[j]!;
      if (logit > bestLogit) {
        bestLogit = logit;
        best = k;
      }
    }
    targets[n] = best;
  }
  for (let n = 0; n < examples; n++) {
    // Two draws per example whatever labelNoise is, so noisy labels are nested as it grows.
    const flip = noiseRandom.uniform();
    const replacement = noiseRandom.integer(classes);
    if (flip < labelNoise) targets[n] = replacement;
  }

  return withFeatureStatistics({
    name: 'synthetic',
    size: examples,
    inputShape: [features],
    inputDtype: 'float32',
    inputs,
    targets,
    target: { kind: 'classes', classes },
  });
}
