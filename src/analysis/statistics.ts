// Descriptive statistics used by every fit and estimator. Pure functions on arrays of numbers.
// Empty input gives NaN (never a throw), so callers decide what "no data" means.

// biome-ignore-all lint/style/noNonNullAssertion: tight numeric loops over arrays whose indices are in range by construction (loop bounds are the arrays' lengths, or lengths checked on entry)

/** Arithmetic mean; NaN for an empty array. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample variance with Bessel's correction (n - 1); NaN when n < 2. */
export function variance(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) * (v - m);
  return sum / (n - 1);
}

/** Sample standard deviation; NaN when n < 2. */
export function standardDeviation(values: readonly number[]): number {
  return Math.sqrt(variance(values));
}

/** Sample covariance with Bessel's correction; NaN when n < 2 or lengths differ. */
export function covariance(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2 || ys.length !== n) return Number.NaN;
  const mx = mean(xs);
  const my = mean(ys);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (xs[i]! - mx) * (ys[i]! - my);
  return sum / (n - 1);
}

/** Linear-interpolated quantile (type 7, the default of R and numpy), q in [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0 || !(q >= 0 && q <= 1)) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const fraction = position - lower;
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * fraction;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Median absolute deviation from the median (unscaled). */
export function medianAbsoluteDeviation(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/**
 * Modified z-scores, M_i = 0.6745 (x_i - median) / MAD (Iglewicz & Hoaglin 1993, "How to Detect
 * and Handle Outliers", Eq. 2.4); |M_i| > 3.5 marks a potential outlier. When MAD = 0 (more
 * than half the values equal) the mean absolute deviation is used instead, scaled by
 * 0.7979 = sqrt(2/pi) so that both estimate the standard deviation of a normal sample alike;
 * when that is 0 too every score is 0.
 */
export function modifiedZScores(values: readonly number[]): number[] {
  const m = median(values);
  const mad = medianAbsoluteDeviation(values);
  if (mad > 0) return values.map((v) => (0.6745 * (v - m)) / mad);
  const meanAbsolute = mean(values.map((v) => Math.abs(v - m)));
  if (!(meanAbsolute > 0)) return values.map(() => 0);
  return values.map((v) => (0.7979 * (v - m)) / meanAbsolute);
}

/** The outlier threshold on |modified z| recommended by Iglewicz & Hoaglin (1993). */
export const MODIFIED_Z_OUTLIER_THRESHOLD = 3.5;

/** Indices whose modified z-score exceeds the threshold in absolute value. */
export function outlierIndices(
  values: readonly number[],
  threshold = MODIFIED_Z_OUTLIER_THRESHOLD,
): number[] {
  const scores = modifiedZScores(values);
  const indices: number[] = [];
  scores.forEach((score, i) => {
    if (Math.abs(score) > threshold) indices.push(i);
  });
  return indices;
}

/** Kish's effective sample size of a weighted mean, (sum w)^2 / sum w^2; 0 for no weight. */
export function effectiveSampleSize(weights: readonly number[]): number {
  let sum = 0;
  let sumSquares = 0;
  for (const w of weights) {
    sum += w;
    sumSquares += w * w;
  }
  return sumSquares > 0 ? (sum * sum) / sumSquares : 0;
}
