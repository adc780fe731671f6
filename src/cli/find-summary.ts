// The terminal summary of a `find` run: a short table, the candidates, and a few sentences that
// explain the trade-off in plain words.

import { candidateRows } from '../report/candidates-table.js';
import type { FindReport } from '../report/find-report-schema.js';
import { formatNumber } from '../report/format.js';
import {
  bestMeasuredThroughput,
  keyValueLines,
  memoryCeilingNotes,
  recommendationLines,
} from '../report/terminal-lines.js';

export function renderFindSummary(report: FindReport): string {
  const w = report.workload;
  const lines: string[] = [];
  lines.push(
    `batchwise find: ${w.model} on ${w.data} (${w.datasetSize.toLocaleString('en-US')} examples, ` +
      `${w.parameterCount.toLocaleString('en-US')} parameters) · ${report.engine.name} on ${report.engine.backend} · ${report.status}`,
    '',
  );
  if (report.data) lines.push(`  Inputs: ${report.data.statement}`);
  for (const message of report.messages) lines.push(`  ! ${message}`);
  const r = report.recommendation;
  if (!r) {
    lines.push('  No recommendation could be made (see the messages above).');
    return `${lines.join('\n')}\n`;
  }
  const b = report.noise.bSimple;
  const rows: [string, string][] = [
    ['Recommended batch size', `${r.batchSize}  (${r.regime}; ${r.basis})`],
    [
      'Learning rate',
      `${formatNumber(r.learningRate)}  (${r.learningRateRule} rule, from ${w.learningRate} at batch ${w.learningRateBatchSize})`,
    ],
    [
      'Warmup',
      r.warmup ? `${r.warmup.steps} steps (${formatNumber(r.warmup.epochs)} epochs)` : 'not needed',
    ],
    ['Steps per epoch', String(r.stepsPerEpoch)],
  ];
  if (r.ramp) {
    const [first, ...later] = r.ramp.stages;
    if (first && later.length > 0)
      rows.push([
        'Schedule to target',
        `batch ${first.batchSize}, then ${later
          .map(
            (s) =>
              `${s.batchSize} from loss ${formatNumber(s.fromLoss)} (learning rate ${formatNumber(s.learningRate)})`,
          )
          .join(', ')}${r.ramp.extrapolated ? '; extrapolated' : ''}`,
      ]);
  }
  if (r.stepsToTarget !== undefined && r.stepsToTarget !== null) {
    rows.push(['Steps to target', `${r.stepsToTarget} (${formatNumber(r.epochsToTarget)} epochs)`]);
  }
  if (r.tokensPerBatch !== undefined && r.tokensPerBatch !== null)
    rows.push(['Tokens per batch', formatNumber(r.tokensPerBatch)]);
  rows.push(
    [
      'Memory ceiling',
      `${formatNumber(report.memory.maxBatch)} (${memoryCeilingNotes(report).join('; ')})`,
    ],
    [
      'Throughput',
      report.throughput.fit.kind === 'fitted'
        ? describeThroughput(report.throughput.fit, bestMeasuredThroughput(report))
        : describeMeasured(bestMeasuredThroughput(report)),
    ],
    [
      'Gradient noise scale',
      b.kind === 'measured'
        ? `B_simple ${formatNumber(b.value)} (95% CI ${formatNumber(b.ci95?.[0])}–${formatNumber(b.ci95?.[1])})`
        : `not measurable yet${b.lowerBound ? `, at least ${formatNumber(b.lowerBound)}` : ''}`,
    ],
    ['Confidence', r.confidence.level],
  );
  lines.push(...keyValueLines(rows), '');
  lines.push(...recommendationLines(candidateRows(report), r));
  return `${lines.join('\n')}\n`;
}

/** The best measured throughput, when the step time could not be fitted. */
function describeMeasured(best: ReturnType<typeof bestMeasuredThroughput>): string {
  return best
    ? `best measured ${formatNumber(best.examplesPerSecond)} examples/s at batch ${formatNumber(best.batchSize)} (no fit)`
    : '–';
}

function describeThroughput(
  fit: FindReport['throughput']['fit'],
  best: ReturnType<typeof bestMeasuredThroughput>,
): string {
  const saturation = fit.saturation;
  // The fitted peak R = 1/s is a limit the batches measured approach, not one they reached.
  const measured = best
    ? `; best measured ${formatNumber(best.examplesPerSecond)} at batch ${formatNumber(best.batchSize)}`
    : '';
  const peak = `peak ${formatNumber(fit.peakExamplesPerSecond)} examples/s (fitted${measured})`;
  if (!saturation || saturation.batchSize === null)
    return `${peak}; still rising at the largest batch measured`;
  const where = `${Math.round(saturation.fraction * 100)}% of it from batch ${formatNumber(saturation.batchSize)}`;
  return saturation.extrapolated
    ? `${peak}; ${where} (extrapolated beyond the batches measured)`
    : `${peak}; ${where}`;
}
