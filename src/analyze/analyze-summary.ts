// The terminal summary of `batchwise analyze`: what the logs hold, the noise scale, throughput,
// what is known of memory, and the recommendation with its reasons.

import { candidateTable, type Table } from '../report/candidates-table.js';
import { formatNumber, formatSeconds } from '../report/format.js';
import { keyValueLines, recommendationLines } from '../report/terminal-lines.js';
import type { AnalyzeReport } from './analyze-report.js';

/** The candidate batches as table rows (time, steps, examples relative to the recommendation). */
export function analyzeCandidateRows(report: AnalyzeReport): Table {
  return candidateTable(report.recommendation?.candidates ?? []);
}

export function describeBSimple(report: AnalyzeReport): string {
  const b = report.noise.bSimple;
  if (b.kind === 'measured')
    return `B_simple ${formatNumber(b.value)} (95% CI ${formatNumber(b.ci95?.[0])}–${formatNumber(b.ci95?.[1])}, ${b.sampleCount} steps${b.skippedCount > 0 ? `, ${b.skippedCount} skipped` : ''})`;
  return `not measurable: ${b.reason}${b.lowerBound !== undefined ? ` (at least ${formatNumber(b.lowerBound)})` : ''}`;
}

export function describeThroughput(report: AnalyzeReport): string {
  const fit = report.throughput.fit;
  if (fit.kind === 'fitted')
    return `t(B) = ${formatSeconds(fit.fixedSeconds.value)} + B / ${formatNumber(fit.peakExamplesPerSecond)} examples/s; 90% of the peak from batch ${formatNumber(fit.saturation.batchSize)}`;
  const only = report.throughput.points[0];
  if (report.throughput.points.length === 1 && only)
    return `${formatNumber(only.examplesPerSecond)} examples/s at batch ${only.batchSize} (median step ${formatSeconds(only.medianSeconds)})`;
  return '–';
}

export function renderAnalyzeSummary(report: AnalyzeReport): string {
  const lines: string[] = [];
  const files = report.sources.map((s) => `${s.file} (${s.format}, ${s.stepCount} steps)`);
  lines.push(`batchwise analyze: ${files.join(', ')} · ${report.status}`, '');
  for (const message of report.messages) lines.push(`  ! ${message}`);
  const shown = report.warnings.slice(0, 10);
  for (const warning of shown) lines.push(`  ~ ${warning}`);
  if (report.warnings.length > shown.length)
    lines.push(`  ~ … and ${report.warnings.length - shown.length} more warnings (see --json)`);
  if (report.messages.length + shown.length > 0) lines.push('');
  const r = report.recommendation;
  const rows: [string, string][] = [];
  if (r) {
    rows.push(['Recommended batch size', `${r.batchSize}  (${r.regime}; ${r.basis})`]);
    rows.push([
      'Learning rate',
      report.settings.learningRate === null
        ? `${formatNumber(r.learningRate)} × the rate at batch ${report.settings.learningRateBatchSize} (${r.learningRateRule} rule)`
        : `${formatNumber(r.learningRate)}  (${r.learningRateRule} rule, from ${report.settings.learningRate} at batch ${report.settings.learningRateBatchSize})`,
    ]);
    if (r.stepsPerEpoch !== null) rows.push(['Steps per epoch', String(r.stepsPerEpoch)]);
  }
  rows.push(
    ['Batch sizes in the logs', report.steps.batchSizes.join(', ') || '–'],
    [
      'Memory ceiling',
      `${formatNumber(report.memory.maxBatch)} (${report.memory.source === 'memory-model' ? 'memory model' : 'largest batch seen; unknown from logs'})`,
    ],
    ['Throughput', describeThroughput(report)],
    ['Gradient noise scale', describeBSimple(report)],
  );
  if (r) rows.push(['Confidence', r.confidence.level]);
  lines.push(...keyValueLines(rows), '');
  if (r) {
    lines.push(...recommendationLines(analyzeCandidateRows(report), r));
  } else {
    lines.push(`  ${report.memory.note}`);
  }
  return `${lines.join('\n')}\n`;
}
