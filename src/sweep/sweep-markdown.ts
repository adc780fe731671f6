// The sweep report as JSON (what --json and the store keep) and as Markdown; the per-batch table
// is shared with the terminal summary.

import { formatNumber, formatSeconds, formatTable } from '../report/format.js';
import type { SweepReport } from './sweep-report.js';

export function sweepReportToJson(report: SweepReport): string {
  const finite = (_key: string, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? null : value;
  return `${JSON.stringify(report, finite, 2)}\n`;
}

export function targetText(report: Pick<SweepReport, 'target'>): string {
  const t = report.target;
  if (t.kind === 'loss') return `training loss ≤ ${t.value}`;
  if (t.kind === 'metric') return `validation ${t.metric} ${t.direction} ${t.value}`;
  return `${t.value.toLocaleString('en-US')} examples`;
}

export const BATCH_TABLE_HEADER = [
  'batch',
  'reached',
  'steps',
  'examples',
  'time',
  'vs best',
  'val acc',
  'val loss',
  'gap',
  '',
] as const;

/** The rows of the per-batch table (the HTML report shows them too). */
export function batchRows(report: SweepReport): string[][] {
  const general = new Map(report.analysis.generalisation.batches.map((b) => [b.batchSize, b]));
  const recommended = report.analysis.prediction?.recommendedBatch;
  return report.analysis.batches.map((b) => {
    const g = general.get(b.batchSize);
    const marks = [
      b.batchSize === recommended ? 'recommended' : '',
      b.batchSize === report.analysis.best?.batchSize ? 'fastest' : '',
    ]
      .filter(Boolean)
      .join(', ');
    return [
      String(b.batchSize),
      `${b.reachedCount}/${b.repeatCount}`,
      formatNumber(b.stepsToTarget?.median),
      formatNumber(b.examplesToTarget?.median),
      formatSeconds(b.secondsToTarget?.median),
      b.regret !== undefined ? `${b.regret.toFixed(2)}x` : '–',
      g?.validationAccuracy !== undefined ? `${(100 * g.validationAccuracy).toFixed(1)}%` : '–',
      formatNumber(g?.validationLoss),
      formatNumber(g?.generalisationGap),
      marks,
    ];
  });
}

/** One row per batch: reached, steps/examples/seconds to target, regret, validation, gap. */
export function batchTable(report: SweepReport, markdown = false): string {
  return formatTable([...BATCH_TABLE_HEADER], batchRows(report), markdown);
}

export function sweepReportToMarkdown(report: SweepReport): string {
  const lines: string[] = ['# batchwise sweep', ''];
  lines.push(
    `Target: ${targetText(report)}. Learning rate: ${report.rule} rule from ${report.basis.learningRate.toPrecision(3)} at batch ${report.basis.learningRateBatchSize}. ${report.trainingSize.toLocaleString('en-US')} training examples.`,
    '',
    '## Findings',
    '',
    ...report.analysis.summary.map((s) => `- ${s}`),
    '',
    '## Batches',
    '',
    '(medians over repeats, each repeat at its best learning rate; gap: validation loss − training loss at the end)',
    '',
    batchTable(report, true),
    '',
    '## Trials',
    '',
    formatTable(
      ['trial', 'batch', 'learning rate', 'outcome', 'steps', 'training time', 'message'],
      report.trials.map((t) => [
        t.id,
        String(t.batchSize),
        t.learningRate.toPrecision(3),
        t.outcome,
        String(t.stepsToTarget ?? t.steps),
        formatSeconds(t.secondsToTarget ?? t.seconds),
        t.message ?? '',
      ]),
      true,
    ),
  );
  if (report.messages.length > 0) {
    lines.push('', '## Messages', '', ...report.messages.map((m) => `- ${m}`));
  }
  return `${lines.join('\n')}\n`;
}
