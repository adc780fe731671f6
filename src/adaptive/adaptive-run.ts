// A stored adaptive run (src/adaptive/adaptive-store.ts) read back: its history, parsed with its
// schema, and the plain-text summary `batchwise show` prints.

import type { StoredRun } from '../store/run-store.js';
import { type AdaptiveHistory, adaptiveHistorySchema } from './adaptive-history.js';

export function storedAdaptiveHistory(run: StoredRun): AdaptiveHistory | undefined {
  const parsed = adaptiveHistorySchema.safeParse(run.report);
  return parsed.success ? parsed.data : undefined;
}

/** The batch the run ended with (what `batchwise runs` shows in its batch column). */
export function finalAdaptiveBatch(history: AdaptiveHistory): number {
  return history.steps.at(-1)?.batch ?? history.settings.initialBatchSize;
}

export function renderAdaptiveSummary(history: AdaptiveHistory): string {
  const s = history.settings;
  const last = history.steps.at(-1);
  const lines = [
    `batchwise fitAdaptive — ${history.outcome.kind}: ${history.outcome.message}`,
    '',
    `  ${history.steps.length} steps, ${last?.examples ?? 0} examples, ${history.trainingSeconds.toFixed(2)} s of training`,
    `  batch ${s.initialBatchSize} -> ${finalAdaptiveBatch(history)} (cap ${s.maxBatchSize}), ${s.optimizer}, learning rate ${s.learningRate} by the ${s.lrRule} rule`,
  ];
  const validation = history.validation.at(-1);
  if (validation) {
    const accuracy =
      validation.accuracy !== null ? `, accuracy ${(validation.accuracy * 100).toFixed(2)}%` : '';
    lines.push(`  validation loss ${validation.loss.toPrecision(4)}${accuracy}`);
  }
  lines.push('');
  if (history.changes.length === 0) lines.push('  no change of batch');
  for (const c of history.changes) lines.push(`  step ${c.step}: ${c.reason}`);
  return `${lines.join('\n')}\n`;
}
