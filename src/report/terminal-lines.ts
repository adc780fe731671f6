// Pieces of the terminal summaries of `find` and `analyze`: aligned key/value rows and the
// recommendation's table and sentences.

import type { Table } from './candidates-table.js';
import { formatTable } from './format.js';

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
