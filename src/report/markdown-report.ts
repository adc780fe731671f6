// The `find` report for humans, as Markdown: the recommendation and why, then every
// measurement (memory trials, throughput points, noise trajectory) as tables.

import { candidateRows } from './candidates-table.js';
import type { FindReport } from './find-report-schema.js';
import { failsBy, formatBytes, formatNumber, formatSeconds, formatTable } from './format.js';
import { planRows } from './plan-rows.js';

export function findReportToMarkdown(report: FindReport): string {
  const out: string[] = [];
  const r = report.recommendation;
  out.push(`# batchwise find: ${report.workload.model} on ${report.workload.data}`, '');
  out.push(
    `${report.createdAt} · batchwise ${report.tool.version} · engine ${report.engine.name} on ${report.engine.backend} · ` +
      `${report.machine.cpus} × ${report.machine.cpuModel} · status **${report.status}**`,
    '',
  );
  if (report.messages.length > 0) out.push(...report.messages.map((m) => `> ${m}`), '');
  out.push('## Recommendation', '');
  if (!r) {
    out.push('No recommendation: see the messages above.', '');
  } else {
    out.push(
      formatTable(
        ['', ''],
        [...planRows(r), ['confidence', `${r.confidence.level}: ${r.confidence.statement}`]],
        true,
      ),
      '',
    );
    out.push(...r.explanation.map((e) => `- ${e}`), ...r.tradeOffs.map((t) => `- ${t}`), '');
    if (r.beyondMemory) out.push(`- ${r.beyondMemory.note}`, '');
    if (r.diagnostics.length > 0)
      out.push('Diagnostics:', '', ...r.diagnostics.map((d) => `- ${d}`), '');
    const table = candidateRows(report);
    out.push(
      'Candidates (time, steps and examples to the target relative to the recommendation):',
      '',
    );
    out.push(formatTable(table.header, table.rows, true), '');
  }

  out.push('## Memory', '');
  out.push(
    `Ceiling **${formatNumber(report.memory.maxBatch)}**${report.memory.capped ? ' (capped by the data or --max-batch)' : ''}${failsBy(report.memory.failedAt)} under a budget of ` +
      `${formatBytes(report.settings.memoryBudgetBytes)}, found by the \`${report.memory.strategy}\` search in ${report.memory.trials.length} trials.`,
    '',
  );
  out.push(
    formatTable(
      ['batch', 'outcome', 'peak', 'why tried'],
      report.memory.trials.map((t) => [
        String(t.batchSize),
        t.outcome,
        t.peakBytes ? formatBytes(t.peakBytes) : '–',
        t.reason,
      ]),
      true,
    ),
    '',
  );
  const fit = report.memory.fit;
  if (fit?.kind === 'fitted') {
    out.push(
      `peak(B) = ${formatBytes(fit.fixedBytes ?? Number.NaN)} + B × ${formatBytes(fit.bytesPerExample ?? Number.NaN)} (affine: ${fit.affine})`,
      '',
    );
  }

  out.push('## Throughput', '');
  out.push(
    formatTable(
      ['batch', 'outcome', 'median step', 'MAD', 'examples/s', 'steps', 'outliers'],
      report.throughput.points.map((p) => [
        String(p.batchSize),
        p.outcome,
        formatSeconds(p.medianSeconds),
        formatSeconds(p.madSeconds),
        formatNumber(p.examplesPerSecond),
        String(p.stepSeconds.length),
        String(p.outlierCount),
      ]),
      true,
    ),
    '',
  );
  const st = report.throughput.fit;
  if (st.kind === 'fitted') {
    out.push(
      `t(B) = ${formatSeconds(st.fixedSeconds?.value)} + B / ${formatNumber(st.peakExamplesPerSecond)} examples/s ` +
        `(R² ${formatNumber(st.rSquared)}, relative RMS error ${formatNumber((st.relativeRmsError ?? Number.NaN) * 100)}%); ` +
        `throughput reaches ${Math.round((st.saturation?.fraction ?? 0.9) * 100)}% of its peak at batch ${formatNumber(st.saturation?.batchSize)}` +
        `${st.saturation?.extrapolated ? ' (extrapolated)' : ''}.`,
      '',
    );
  }
  if (report.throughput.warnings.length > 0)
    out.push(...report.throughput.warnings.map((w) => `- ${w}`), '');

  out.push('## Gradient noise scale', '');
  const b = report.noise.bSimple;
  out.push(
    b.kind === 'measured'
      ? `B_simple ≈ **${formatNumber(b.value)}** (95% CI ${formatNumber(b.ci95?.[0])}–${formatNumber(b.ci95?.[1])}, ${b.interval} method, ${b.sampleCount} measurements) at batch ${report.noise.microBatchSize} × ${report.noise.microBatches} micro-batches, smoothing ${report.noise.smoothing}.`
      : `B_simple not measurable yet: ${b.reason}${b.lowerBound ? ` (at least ${formatNumber(b.lowerBound)})` : ''}.`,
    '',
  );
  out.push(
    formatTable(
      ['step', 'loss', 'B_simple', '95% CI'],
      report.noise.trajectory.map((p) => [
        String(p.step),
        formatNumber(p.loss),
        p.kind === 'measured' ? formatNumber(p.value) : 'not yet',
        p.ci95 ? `${formatNumber(p.ci95[0])}–${formatNumber(p.ci95[1])}` : '–',
      ]),
      true,
    ),
    '',
  );
  return `${out.join('\n')}\n`;
}
