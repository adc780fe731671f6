// The written part of the HTML report: key-number cards, a short summary in sentences, the
// plan and the candidates table (src/report/candidates-table.ts), as HTML fragments.

import { candidateRows } from '../candidates-table.js';
import type { FindReport } from '../find-report-schema.js';
import { formatBytes, formatNumber } from '../format.js';
import { planRows } from '../plan-rows.js';
import { bestMeasuredThroughput, ceilingPeak, formatPeakBytes } from '../terminal-lines.js';

/** Text safe inside HTML elements and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function card(label: string, value: string, note: string, primary = false): string {
  return `<div class="card${primary ? ' primary' : ''}"><div class="label">${escapeHtml(label)}</div><div class="value">${escapeHtml(value)}</div><div class="note">${escapeHtml(note)}</div></div>`;
}

/**
 * The memory card's note: the peak at the ceiling batch, then the budget, so that the budget is
 * not read as that batch's memory ("64.0 MiB at that batch; budget 2.50 GiB (capped)").
 */
function memoryCardNote(report: FindReport): string {
  const peak = ceilingPeak(report);
  const budget = `budget ${formatBytes(report.settings.memoryBudgetBytes)}${report.memory.capped ? ' (capped)' : ''}`;
  return peak
    ? `${formatPeakBytes(peak.bytes)} at that batch${peak.basis === 'fitted' ? ' (fitted)' : ''}; ${budget}`
    : budget;
}

export function summaryCards(report: FindReport): string {
  const r = report.recommendation;
  const b = report.noise.bSimple;
  const fit = report.throughput.fit;
  const best = bestMeasuredThroughput(report);
  return `<div class="cards">${[
    r
      ? card('Recommended batch', formatNumber(r.batchSize), `${r.regime}; ${r.basis}`, true)
      : card('Recommended batch', '–', 'no recommendation', true),
    r
      ? card('Learning rate', formatNumber(r.learningRate), `${r.learningRateRule} rule`)
      : card('Learning rate', '–', ''),
    card('Memory ceiling', formatNumber(report.memory.maxBatch), memoryCardNote(report)),
    fit.kind === 'fitted'
      ? card(
          'Peak throughput (fitted)',
          formatNumber(fit.peakExamplesPerSecond),
          best
            ? `examples/s; best measured ${formatNumber(best.examplesPerSecond)} at batch ${formatNumber(best.batchSize)}`
            : 'examples/s',
        )
      : card(
          'Best measured throughput',
          best ? formatNumber(best.examplesPerSecond) : '–',
          best ? `examples/s at batch ${formatNumber(best.batchSize)}; no fit` : 'examples/s',
        ),
    card(
      'Noise scale B_simple',
      b.kind === 'measured' ? formatNumber(b.value) : 'not yet',
      b.kind === 'measured' && b.ci95
        ? `95% CI ${formatNumber(b.ci95[0])}–${formatNumber(b.ci95[1])}`
        : (b.reason ?? ''),
    ),
    r ? card('Confidence', r.confidence.level, '') : card('Confidence', '–', ''),
  ].join('')}</div>`;
}

/** A few sentences: what to use, why, and how sure. */
export function summarySentences(report: FindReport): string[] {
  const r = report.recommendation;
  const w = report.workload;
  const out: string[] = [];
  if (!r) {
    out.push(
      `No batch size could be recommended for ${w.model} on ${w.data}${report.messages.length > 0 ? `: ${report.messages.join('; ')}` : '.'}`,
    );
  } else {
    out.push(
      `Train ${w.model} on ${w.data} with a batch of ${formatNumber(r.batchSize)} (${r.regime}, ${r.basis}) at a learning rate of ${formatNumber(r.learningRate)}` +
        `${r.accumulationSteps > 1 ? `, as ${r.microBatch} × ${r.accumulationSteps} accumulation steps` : ''}.`,
    );
  }
  const maxBatch = report.memory.maxBatch;
  const ceiling = ceilingPeak(report);
  out.push(
    maxBatch !== null
      ? `Batches up to ${formatNumber(maxBatch)} fit the ${formatBytes(report.settings.memoryBudgetBytes)} memory budget${report.memory.capped ? ' (the data or --max-batch caps the search)' : ''}${ceiling ? `; batch ${formatNumber(maxBatch)} itself peaks at ${formatPeakBytes(ceiling.bytes)}${ceiling.basis === 'fitted' ? ' (fitted)' : ''}` : ''}.`
      : `No batch was measured to fit the ${formatBytes(report.settings.memoryBudgetBytes)} memory budget.`,
  );
  const fit = report.throughput.fit;
  if (fit.kind === 'fitted') {
    const s = fit.saturation;
    const best = bestMeasuredThroughput(report);
    out.push(
      `Throughput approaches ${formatNumber(fit.peakExamplesPerSecond)} examples/s (the fitted peak${best ? `; the best measured was ${formatNumber(best.examplesPerSecond)} at batch ${formatNumber(best.batchSize)}` : ''})` +
        (s && s.batchSize !== null
          ? `, reaching ${Math.round(s.fraction * 100)}% of it at batch ${formatNumber(s.batchSize)}${s.extrapolated ? ' (extrapolated)' : ''}.`
          : '.'),
    );
  }
  const b = report.noise.bSimple;
  out.push(
    b.kind === 'measured'
      ? `The gradient noise scale is about ${formatNumber(b.value)} examples (95% CI ${formatNumber(b.ci95?.[0])}–${formatNumber(b.ci95?.[1])}): beyond it, a larger batch buys few fewer steps.`
      : `The gradient noise scale is not measurable yet${b.reason ? ` (${b.reason})` : ''}.`,
  );
  if (r) out.push(`Confidence ${r.confidence.level}: ${r.confidence.statement}`);
  return out;
}

export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  classes: readonly string[] = [],
  tableClass = '',
): string {
  const head = header.some((h) => h !== '')
    ? `<thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`
    : '';
  const body = rows
    .map((row, i) => {
      const cls = classes[i] ? ` class="${classes[i]}"` : '';
      return `<tr${cls}>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    })
    .join('');
  return `<table${tableClass ? ` class="${tableClass}"` : ''}>${head}<tbody>${body}</tbody></table>`;
}

/** The plan that goes with the recommended batch. */
export function planTable(report: FindReport): string {
  const r = report.recommendation;
  if (!r) return '<p class="empty">No recommendation: see the messages above.</p>';
  const rows: string[][] = planRows(r);
  return table(['', ''], rows, [], 'plan');
}

/** The candidates table, the recommended row highlighted. */
export function candidatesTable(report: FindReport): string {
  const { header, rows } = candidateRows(report);
  if (rows.length === 0) return '';
  const names = report.recommendation?.candidates.map((c) => c.name) ?? [];
  return table(
    header,
    rows,
    names.map((n) => (n === 'recommended' ? 'recommended' : '')),
  );
}
