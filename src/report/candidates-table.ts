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

export function candidateRows(report: FindReport): { header: string[]; rows: string[][] } {
  const recommendation = report.recommendation;
  const header = ['batch', 'what', 'time', 'steps', 'examples'];
  if (!recommendation) return { header, rows: [] };
  const ratio = (v: number | null | undefined) =>
    v === undefined || v === null ? '–' : `${formatNumber(v, 2)}x`;
  const rows = recommendation.candidates.map((c) => [
    String(c.batchSize),
    LABELS[c.name] ?? c.name,
    ratio(c.relativeTime),
    ratio(c.relativeSteps),
    ratio(c.relativeExamples),
  ]);
  return { header, rows };
}
