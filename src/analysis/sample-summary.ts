// Summary of repeated measurements of one quantity (e.g. the seconds of one step at one batch
// size), in the manner of hyperfine: centre, spread, range and the outliers flagged by modified
// z-scores. Non-finite values are counted and left out, never averaged in.

// biome-ignore-all lint/style/noNonNullAssertion: tight numeric loops over arrays whose indices are in range by construction (loop bounds are the arrays' lengths, or lengths checked on entry)

import {
  mean,
  median,
  medianAbsoluteDeviation,
  outlierIndices,
  quantile,
  standardDeviation,
} from './statistics.js';

export interface SampleSummary {
  readonly count: number;
  readonly invalidCount: number;
  readonly mean: number;
  readonly standardDeviation: number;
  readonly median: number;
  readonly medianAbsoluteDeviation: number;
  readonly min: number;
  readonly max: number;
  readonly q25: number;
  readonly q75: number;
  /** Indices (into the input) of values whose |modified z| exceeds 3.5. */
  readonly outlierIndices: readonly number[];
}

export function summarizeSamples(values: readonly number[]): SampleSummary {
  const finiteIndices: number[] = [];
  values.forEach((v, i) => {
    if (Number.isFinite(v)) finiteIndices.push(i);
  });
  const finite = finiteIndices.map((i) => values[i]!);
  return {
    count: finite.length,
    invalidCount: values.length - finite.length,
    mean: mean(finite),
    standardDeviation: standardDeviation(finite),
    median: median(finite),
    medianAbsoluteDeviation: medianAbsoluteDeviation(finite),
    min: finite.length > 0 ? Math.min(...finite) : Number.NaN,
    max: finite.length > 0 ? Math.max(...finite) : Number.NaN,
    q25: quantile(finite, 0.25),
    q75: quantile(finite, 0.75),
    outlierIndices: outlierIndices(finite).map((i) => finiteIndices[i]!),
  };
}
