// Pieces of the terminal summaries of `find` and `analyze`: aligned key/value rows and the
// recommendation's table and sentences.

import type { Table } from './candidates-table.js';
import { formatBytes, formatNumber, formatTable } from './format.js';

export function keyValueLines(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`);
}

export interface ExplainedRecommendation {
  readonly explanation: readonly string[];
  readonly tradeOffs: readonly string[];
  readonly confidence: { readonly statement: string };
  readonly beyondMemory?: { readonly note: string } | undefined;
  readonly diagnostics: readonly string[];
}

/** The candidates table, then the sentences that explain the recommendation. */
export function recommendationLines(table: Table, r: ExplainedRecommendation): string[] {
  const lines = formatTable(table.header, table.rows)
    .split('\n')
    .map((l) => `  ${l}`);
  lines.push('');
  for (const sentence of [...r.explanation, ...r.tradeOffs, r.confidence.statement])
    lines.push(`  ${sentence}`);
  if (r.beyondMemory) lines.push(`  Note: ${r.beyondMemory.note}.`);
  for (const d of r.diagnostics) lines.push(`  ! ${d}`);
  return lines;
}

/**
 * Bytes as formatBytes writes them, without its exponent just under the next unit
 * ("1.01e+3 MiB" for 1,010 MiB reads "1,010 MiB").
 */
export function formatPeakBytes(bytes: number): string {
  const text = formatBytes(bytes);
  const match = /^(-?[\d.]+e[+-]\d+) (\w+)$/.exec(text);
  return match ? `${Math.round(Number(match[1])).toLocaleString('en-US')} ${match[2]}` : text;
}

/** The throughput points as the find report stores them (enough of them for the helpers here). */
interface ThroughputPoints {
  readonly throughput: {
    readonly points: readonly {
      readonly batchSize: number;
      readonly outcome: string;
      readonly examplesPerSecond: number | null;
    }[];
  };
}

/** The highest median throughput measured and its batch; undefined when none was measured. */
export function bestMeasuredThroughput(
  report: ThroughputPoints,
): { readonly examplesPerSecond: number; readonly batchSize: number } | undefined {
  let best: { examplesPerSecond: number; batchSize: number } | undefined;
  for (const p of report.throughput.points) {
    const rate = p.examplesPerSecond;
    if (p.outcome !== 'ok' || rate === null || !Number.isFinite(rate)) continue;
    if (!best || rate > best.examplesPerSecond)
      best = { examplesPerSecond: rate, batchSize: p.batchSize };
  }
  return best;
}

interface MemoryOfReport {
  readonly memory: {
    readonly maxBatch: number | null;
    readonly trials: readonly {
      readonly batchSize: number;
      readonly outcome: string;
      readonly peakBytes?: number | null | undefined;
    }[];
    readonly fit?:
      | {
          readonly kind: string;
          readonly fixedBytes?: number | null | undefined;
          readonly bytesPerExample?: number | null | undefined;
        }
      | null
      | undefined;
  };
}

/**
 * The peak memory at the memory ceiling: measured by a trial at that batch, else from the fitted
 * line fixed + B·perExample; undefined when there is neither (or no ceiling).
 */
export function ceilingPeak(
  report: MemoryOfReport,
): { readonly bytes: number; readonly basis: 'measured' | 'fitted' } | undefined {
  const { maxBatch, trials, fit } = report.memory;
  if (maxBatch === null) return undefined;
  const measured = trials
    .filter((t) => t.batchSize === maxBatch && t.outcome === 'ok')
    .map((t) => t.peakBytes)
    .filter((b): b is number => b !== null && b !== undefined && Number.isFinite(b));
  if (measured.length > 0) return { bytes: Math.max(...measured), basis: 'measured' };
  const fixed = fit?.fixedBytes;
  const perExample = fit?.bytesPerExample;
  if (fit?.kind !== 'fitted' || typeof fixed !== 'number' || typeof perExample !== 'number')
    return undefined;
  const bytes = fixed + perExample * maxBatch;
  return Number.isFinite(bytes) && bytes > 0 ? { bytes, basis: 'fitted' } : undefined;
}

/**
 * What qualifies the memory ceiling, in order: why it stops there, the peak at that batch (so
 * the budget is not read as that batch's memory) and the budget, e.g.
 * ["capped by the data or --max-batch", "64.0 MiB at that batch", "budget 2.50 GiB"].
 */
export function memoryCeilingNotes(
  report: MemoryOfReport & {
    readonly memory: { readonly capped: boolean; readonly failedAt?: number | null | undefined };
    readonly settings: { readonly memoryBudgetBytes: number };
  },
): string[] {
  const { capped, failedAt } = report.memory;
  const peak = ceilingPeak(report);
  return [
    ...(capped ? ['capped by the data or --max-batch'] : []),
    ...(failedAt !== undefined && failedAt !== null ? [`fails by ${formatNumber(failedAt)}`] : []),
    ...(peak
      ? [
          `${formatPeakBytes(peak.bytes)} at that batch${peak.basis === 'fitted' ? ' (fitted)' : ''}`,
        ]
      : []),
    `budget ${formatBytes(report.settings.memoryBudgetBytes)}`,
  ];
}
