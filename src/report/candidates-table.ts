// The table of candidate batches that every human-readable output shows: the recommendation
// beside the time-optimal, compute-optimal, saturation, memory-max and framework-default batches.

import type { FindReport } from './find-report-schema.js';
import { formatNumber } from './format.js';

const LABELS: Readonly<Record<string, string>> = {
  recommended: 'recommended',
  'time-optimal': 'time-optimal (exact)',
  'compute-optimal': 'compute-optimal',
  saturation: 'throughput saturation (90%)',
  'memory-max': 'memory ceiling',
  'framework-default': 'framework default',
};

export interface CandidateLike {
  readonly name: string;
  readonly batchSize: number;
  readonly relativeTime?: number | null | undefined;
  readonly relativeSteps?: number | null | undefined;
  readonly relativeExamples?: number | null | undefined;
}

export interface Table {
  readonly header: string[];
  readonly rows: string[][];
}

/** Batch, label and time / steps / examples relative to the recommendation. */
export function candidateTable(candidates: readonly CandidateLike[]): Table {
  const ratio = (v: number | null | undefined) =>
    v === undefined || v === null ? '–' : `${formatNumber(v, 2)}x`;
  return {
    header: ['batch', 'what', 'time', 'steps', 'examples'],
    rows: candidates.map((c) => [
      String(c.batchSize),
      LABELS[c.name] ?? c.name,
      ratio(c.relativeTime),
      ratio(c.relativeSteps),
      ratio(c.relativeExamples),
    ]),
  };
}

export function candidateRows(report: FindReport): Table {
  return candidateTable(report.recommendation?.candidates ?? []);
}
