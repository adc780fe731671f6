// What `batchwise sweep` prints: a line per trial as it ends, then the findings and the table of
// batches (src/sweep/sweep-markdown.ts shares it with the Markdown report).

import { formatNumber, formatSeconds } from '../report/format.js';
import { batchTable, targetText } from '../sweep/sweep-markdown.js';
import type { SweepReport } from '../sweep/sweep-report.js';
import type { TrialEnd } from '../sweep/trial-events.js';
import { terminalText } from '../terminal-text.js';

export function renderTrialLine(end: TrialEnd, finished: number, total: number): string {
  const where =
    end.outcome === 'reached'
      ? `reached in ${formatNumber(end.stepsToTarget)} steps, ${formatSeconds(end.secondsToTarget)}`
      : `${end.outcome}${end.message ? `: ${end.message}` : ''}`;
  const accuracy =
    end.validationAccuracy !== undefined
      ? `, validation accuracy ${(100 * end.validationAccuracy).toFixed(1)}%`
      : '';
  return terminalText(`  [${finished}/${total}] ${end.id}: ${where}${accuracy}`);
}

export function renderSweepSummary(report: SweepReport, options: { quiet: boolean }): string {
  const a = report.analysis;
  if (options.quiet) {
    const best = a.best ? `fastest batch ${a.best.batchSize}` : 'no batch reached the target';
    const regret =
      a.prediction?.recommendedRegret !== undefined
        ? `, recommendation ${a.prediction.recommendedBatch} at ${a.prediction.recommendedRegret.toFixed(2)}x`
        : '';
    return `${best}${regret}\n`;
  }
  const lines = [
    '',
    `batchwise sweep — ${report.status}: ${report.trials.length} trial(s) to ${targetText(report)}`,
    '',
    ...a.summary.map((s) => terminalText(`  ${s}`)),
    '',
    ...batchTable(report)
      .split('\n')
      .map((l) => `  ${l}`),
    ...report.messages.map((m) => terminalText(`  note: ${m}`)),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
