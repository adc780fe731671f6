// The `batchwise analyze` report for humans, as Markdown: the recommendation and why, then the
// logs read, the noise-scale trajectory, the throughput points and the memory note.

import { formatNumber, formatSeconds, formatTable } from '../report/format.js';
import type { AnalyzeReport } from './analyze-report.js';
import { analyzeCandidateRows, describeBSimple, describeThroughput } from './analyze-summary.js';

export function analyzeReportToMarkdown(report: AnalyzeReport): string {
  const out: string[] = [];
  out.push(`# batchwise analyze: ${report.sources.map((s) => s.file).join(', ')}`, '');
  out.push(
    `${report.createdAt} · batchwise ${report.tool.version} · ${report.steps.count} steps · status **${report.status}**`,
    '',
  );
  if (report.messages.length > 0) out.push(...report.messages.map((m) => `> ${m}`), '');
  out.push('## Recommendation', '');
  const r = report.recommendation;
  if (!r) out.push('No recommendation: see the messages above.', '');
  else {
    out.push(
      formatTable(
        ['', ''],
        [
          [
            'batch size',
            `**${r.batchSize}** (${r.regime}; ${r.basis}; exact optimum ${r.exactBatchSize})`,
          ],
          [
            'learning rate',
            report.settings.learningRate === null
              ? `${formatNumber(r.learningRate)} × the rate at batch ${report.settings.learningRateBatchSize} (${r.learningRateRule} rule)`
              : `${formatNumber(r.learningRate)} (${r.learningRateRule} rule: ${r.learningRateSource})`,
          ],
          [
            'steps per epoch',
            r.stepsPerEpoch === null ? '– (data set size unknown)' : String(r.stepsPerEpoch),
          ],
          ['confidence', `${r.confidence.level}: ${r.confidence.statement}`],
        ],
        true,
      ),
      '',
    );
    out.push(...r.explanation.map((e) => `- ${e}`), ...r.tradeOffs.map((t) => `- ${t}`), '');
    if (r.diagnostics.length > 0)
      out.push('Diagnostics:', '', ...r.diagnostics.map((d) => `- ${d}`), '');
    const table = analyzeCandidateRows(report);
    out.push(formatTable(table.header, table.rows, true), '');
  }
  out.push('## Logs', '');
  out.push(
    formatTable(
      ['file', 'format', 'steps'],
      report.sources.map((s) => [s.file, s.format, String(s.stepCount)]),
      true,
    ),
    '',
  );
  if (report.warnings.length > 0) out.push(...report.warnings.map((w) => `- ${w}`), '');
  out.push(
    '## Gradient noise scale',
    '',
    `${describeBSimple(report)}, smoothing ${report.settings.smoothing}.`,
    '',
  );
  out.push(
    formatTable(
      ['step', 'loss', 'B_simple', '95% CI'],
      report.noise.trajectory.map((p) => [
        String(p.step ?? '–'),
        formatNumber(p.loss),
        p.kind === 'measured' ? formatNumber(p.value) : 'not yet',
        p.ci95 ? `${formatNumber(p.ci95[0])}–${formatNumber(p.ci95[1])}` : '–',
      ]),
      true,
    ),
    '',
  );
  out.push('## Throughput', '', `${describeThroughput(report)}.`, '');
  out.push(
    formatTable(
      ['batch', 'steps', 'median step', 'MAD', 'examples/s'],
      report.throughput.points.map((p) => [
        String(p.batchSize),
        String(p.stepCount),
        formatSeconds(p.medianSeconds),
        formatSeconds(p.madSeconds),
        formatNumber(p.examplesPerSecond),
      ]),
      true,
    ),
    '',
  );
  out.push(
    '## Memory',
    '',
    `Ceiling ${formatNumber(report.memory.maxBatch)}: ${report.memory.note}.`,
    '',
  );
  return `${out.join('\n')}\n`;
}
