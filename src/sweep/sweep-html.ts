// The sweep report as ONE self-contained HTML page, in the look of find's (the same stylesheet,
// vega builds and embed script, src/report/html/): the findings, the per-batch table, four charts
// (src/report/html/sweep-charts.ts), the trials and the report JSON inline. No network request.

import { formatNumber, formatSeconds } from '../report/format.js';
import {
  chartSectionsHtml,
  type HtmlChart,
  list,
  reportHead,
  reportScripts,
} from '../report/html/html-report.js';
import { card, escapeHtml, table } from '../report/html/html-summary.js';
import { sweepCharts } from '../report/html/sweep-charts.js';
import { BATCH_TABLE_HEADER, batchRows, sweepReportToJson, targetText } from './sweep-markdown.js';
import type { SweepReport } from './sweep-report.js';

export interface SweepHtmlOptions {
  /** HTML put at the top of <main> (the dashboard's links). */
  readonly banner?: string;
  /** The charts to draw; default: the four charts of this report. */
  readonly charts?: readonly HtmlChart[];
}

function percent(value: number | undefined): string {
  return value !== undefined && Number.isFinite(value) ? `${(100 * value).toFixed(1)}%` : '–';
}

/** The key numbers: fastest batch, measured B_crit, find's recommendation, trials. */
export function sweepCards(report: SweepReport): string {
  const a = report.analysis;
  const fit = a.fit;
  const p = a.prediction;
  const reached = report.trials.filter((t) => t.outcome === 'reached').length;
  const ci = fit.kind === 'fitted' ? fit.bCrit.ci : null;
  return `<div class="cards">${[
    a.best
      ? card(
          'Fastest batch',
          formatNumber(a.best.batchSize),
          `${formatSeconds(a.best.seconds)} to the target (median)`,
          true,
        )
      : card('Fastest batch', '–', 'no batch reached the target', true),
    fit.kind === 'fitted'
      ? card(
          'Measured B_crit',
          formatNumber(fit.bCrit.value),
          ci
            ? `95% ${ci[0] === null ? '0' : formatNumber(ci[0])}–${ci[1] === null ? '∞' : formatNumber(ci[1])}`
            : '',
        )
      : card('Measured B_crit', '–', 'not fitted'),
    p
      ? card(
          "find's recommendation",
          formatNumber(p.recommendedBatch),
          p.recommendedRegret !== undefined
            ? `${p.recommendedRegret.toFixed(2)}× the fastest's time`
            : 'regret unknown',
        )
      : card("find's recommendation", '–', 'no find report given'),
    card('Trials', `${reached}/${report.trials.length}`, 'reached the target'),
  ].join('')}</div>`;
}

/** The per-batch table, the fastest batch highlighted. */
export function sweepBatchTable(report: SweepReport): string {
  const rows = batchRows(report);
  if (rows.length === 0) return '<p class="empty">No trial finished yet.</p>';
  const best = report.analysis.best?.batchSize;
  return table(
    BATCH_TABLE_HEADER,
    rows,
    report.analysis.batches.map((b) => (b.batchSize === best ? 'fastest' : '')),
  );
}

/** Every trial: batch, learning rate, outcome, where it reached the target or stopped. */
export function sweepTrialsTable(report: SweepReport): string {
  if (report.trials.length === 0) return '<p class="empty">No trial finished yet.</p>';
  return table(
    [
      'trial',
      'batch',
      'learning rate',
      'outcome',
      'steps',
      'examples',
      'training time',
      'val acc',
      'val loss',
      'gap',
      'message',
    ],
    report.trials.map((t) => [
      t.id,
      String(t.batchSize),
      t.learningRate.toPrecision(3),
      t.outcome,
      formatNumber(t.stepsToTarget ?? t.steps),
      formatNumber(t.examplesToTarget ?? t.examples),
      formatSeconds(t.secondsToTarget ?? t.seconds),
      percent(t.validationAccuracy),
      formatNumber(t.validationLoss),
      formatNumber(t.generalisationGap),
      t.message ?? '',
    ]),
  );
}

export function sweepTitle(report: Pick<SweepReport, 'settings'>): string {
  const s = report.settings as { model?: unknown; data?: unknown };
  const model = typeof s.model === 'string' ? s.model : 'a model';
  return `batchwise sweep: ${model}${typeof s.data === 'string' ? ` on ${s.data}` : ''}`;
}

export function sweepReportToHtml(report: SweepReport, options: SweepHtmlOptions = {}): string {
  const charts = options.charts ?? sweepCharts(report);
  const s = report.settings as { engine?: unknown; optimizer?: unknown };
  const title = sweepTitle(report);
  const meta = [
    report.createdAt,
    `batchwise ${report.tool.version}`,
    ...(typeof s.engine === 'string' ? [`engine ${s.engine}`] : []),
    `${report.trainingSize.toLocaleString('en-US')} training examples${typeof s.optimizer === 'string' ? `, ${s.optimizer}` : ''}`,
    `target: ${targetText(report)}`,
    `batches ${report.batches.join(', ')}`,
    `learning rate: ${report.rule} rule from ${report.basis.learningRate.toPrecision(3)} at batch ${report.basis.learningRateBatchSize}`,
  ].join(' · ');

  return `<!doctype html>
<html lang="en">
${reportHead(title)}
<body>
<main>
${options.banner ?? ''}
<header>
<h1>${escapeHtml(title)} <span class="status ${escapeHtml(report.status)}">${escapeHtml(report.status)}</span></h1>
<p class="meta">${escapeHtml(meta)}</p>
</header>
${report.messages.length > 0 ? `<div class="messages">${list(report.messages)}</div>` : ''}
${sweepCards(report)}
<section id="summary">
<h2>Findings</h2>
${report.analysis.summary.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n')}
</section>
<section id="batches">
<h2>Batches</h2>
<p class="caption">Medians over repeats, each repeat at its best learning rate; vs best: time to the target over the fastest batch's; gap: validation loss − training loss at the end.</p>
${sweepBatchTable(report)}
</section>
${chartSectionsHtml(charts)}
<section id="trials">
<h2>Trials</h2>
<p class="caption">Steps, examples and time to the target when reached, else where the trial stopped.</p>
${sweepTrialsTable(report)}
</section>
<details><summary>The report data (JSON, schema version ${report.schemaVersion})</summary><p>Embedded in this file as <code>#batchwise-report</code>.</p></details>
<footer>Written by batchwise ${escapeHtml(report.tool.version)}. Opens offline: vega and vega-lite are embedded.</footer>
</main>
${reportScripts(JSON.parse(sweepReportToJson(report)), charts)}
</body>
</html>
`;
}
