// Per-feature statistics of numeric inputs (min, max, mean, standard deviation, non-finite
// values), computed once by the loaders in one pass over the rows (Welford's update, so that a
// feature with a large mean and a small spread keeps its variance), kept on the Dataset. They
// drive the data findings (data-findings.ts) and the normalisation of the inputs (normalize.ts).

// biome-ignore-all lint/style/noNonNullAssertion: tight loops over typed arrays whose indices are in range by construction (bounded by the arrays' lengths)

export interface FeatureStatistics {
  /** Examples the statistics were computed over. */
  readonly rows: number;
  /** Values per example. */
  readonly features: number;
  /** Per feature, over its finite values (NaN where a feature has none). */
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly mean: Float64Array;
  /** Population standard deviation. */
  readonly std: Float64Array;
  /** Per feature, the NaN and ±Infinity values. */
  readonly nonFinite: Int32Array;
  /** Examples holding at least one non-finite value. */
  readonly nonFiniteRows: number;
}

/** Statistics of `rows` examples of `features` values each, stored row-major in `inputs`. */
export function computeFeatureStatistics(
  inputs: Float32Array,
  rows: number,
  features: number,
): FeatureStatistics {
  const min = new Float64Array(features).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(features).fill(Number.NEGATIVE_INFINITY);
  const mean = new Float64Array(features);
  const m2 = new Float64Array(features);
  const count = new Float64Array(features);
  const nonFinite = new Int32Array(features);
  let nonFiniteRows = 0;
  for (let r = 0; r < rows; r++) {
    const offset = r * features;
    let bad = false;
    for (let j = 0; j < features; j++) {
      const x = inputs[offset + j]!;
      if (!Number.isFinite(x)) {
        nonFinite[j]!++;
        bad = true;
        continue;
      }
      const n = ++count[j]!;
      const delta = x - mean[j]!;
      mean[j]! += delta / n;
      m2[j]! += delta * (x - mean[j]!);
      if (x < min[j]!) min[j] = x;
      if (x > max[j]!) max[j] = x;
    }
    if (bad) nonFiniteRows++;
  }
  const std = new Float64Array(features);
  for (let j = 0; j < features; j++) {
    if (count[j] === 0) {
      min[j] = Number.NaN;
      max[j] = Number.NaN;
      mean[j] = Number.NaN;
      std[j] = Number.NaN;
    } else std[j] = Math.sqrt(Math.max(0, m2[j]! / count[j]!));
  }
  return { rows, features, min, max, mean, std, nonFinite, nonFiniteRows };
}

/** Whether a feature takes a single value (its finite values all equal). */
export function isConstantFeature(statistics: FeatureStatistics, j: number): boolean {
  return statistics.min[j] === statistics.max[j];
}

/**
 * The mean and standard deviation of the values of a set of features taken together (each
 * feature weighted equally, as when every example holds every feature).
 */
export function pooledMoments(
  statistics: FeatureStatistics,
  indices: readonly number[],
): { mean: number; std: number } {
  if (indices.length === 0) return { mean: Number.NaN, std: Number.NaN };
  let sum = 0;
  for (const j of indices) sum += statistics.mean[j]!;
  const mean = sum / indices.length;
  let variance = 0;
  for (const j of indices) {
    const offset = statistics.mean[j]! - mean;
    variance += statistics.std[j]! ** 2 + offset * offset;
  }
  return { mean, std: Math.sqrt(variance / indices.length) };
}
