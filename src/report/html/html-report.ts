// The `find` report as ONE self-contained HTML file: summary, plan and candidates, and four
// charts drawn in the browser by the inline vega and vega-lite builds from Vega-Lite specs built
// here (one builder per chart). The report JSON is inline too. It makes no network request.

import { findReportToJson } from '../find-report.js';
import type { FindReport } from '../find-report-schema.js';
import { EMBED_SCRIPT } from './embed-script.js';
import { HTML_REPORT_CSS } from './html-styles.js';
import {
  candidatesTable,
  escapeHtml,
  planTable,
  summaryCards,
  summarySentences,
} from './html-summary.js';
import { reportCharts } from './report-charts.js';
import { inlineJson, inlineScript, vegaSources } from './vega-sources.js';

function list(items: readonly string[]): string {
  return items.length > 0
    ? `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`
    : '';
}

export function findReportToHtml(report: FindReport): string {
  const w = report.workload;
  const r = report.recommendation;
  const charts = reportCharts(report);
  const sources = vegaSources();
  const title = `batchwise find: ${w.model} on ${w.data}`;
  const meta = [
    report.createdAt,
    `batchwise ${report.tool.version}`,
    `engine ${report.engine.name} on ${report.engine.backend}`,
    `${report.machine.cpus} × ${report.machine.cpuModel}`,
    `${w.datasetSize.toLocaleString('en-US')} examples, ${w.parameterCount.toLocaleString('en-US')} parameters, ${w.optimizer}`,
  ].join(' · ');
  const chartSections = charts
    .map((c) => {
      const body =
        c.result.kind === 'chart'
          ? `<div class="chart-view" id="chart-${c.id}" role="img" aria-label="${escapeHtml(c.title)}"></div>`
          : `<p class="empty" id="chart-${c.id}">${escapeHtml(c.result.reason)}</p>`;
      return `<section class="chart" data-chart="${c.id}"><h2>${escapeHtml(c.title)}</h2><p class="caption">${escapeHtml(c.caption)}</p>${body}</section>`;
    })
    .join('\n');
  const specs = charts.flatMap((c) =>
    c.result.kind === 'chart' ? [{ id: c.id, spec: c.result.spec }] : [],
  );
  const notes = r
    ? [...r.explanation, ...r.tradeOffs, ...(r.beyondMemory ? [r.beyondMemory.note] : [])]
    : [];

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${HTML_REPORT_CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(title)} <span class="status ${escapeHtml(report.status)}">${escapeHtml(report.status)}</span></h1>
<p class="meta">${escapeHtml(meta)}</p>
</header>
${report.messages.length > 0 ? `<div class="messages">${list(report.messages)}</div>` : ''}
${summaryCards(report)}
<section id="summary">
<h2>Summary</h2>
${summarySentences(report)
  .map((s) => `<p>${escapeHtml(s)}</p>`)
  .join('\n')}
${list(notes)}
${r && r.diagnostics.length > 0 ? `<div class="messages">${list(r.diagnostics)}</div>` : ''}
</section>
<section id="recommendation">
<h2>Recommendation</h2>
${planTable(report)}
${r ? '<p class="caption">Candidates: time, steps and examples to the target relative to the recommendation.</p>' : ''}
${candidatesTable(report)}
</section>
${chartSections}
<details><summary>The report data (JSON, schema version ${report.schemaVersion})</summary><p>Embedded in this file as <code>#batchwise-report</code>; see docs/report.md.</p></details>
<footer>Written by batchwise ${escapeHtml(report.tool.version)}. Opens offline: vega and vega-lite are embedded.</footer>
</main>
${inlineJson('batchwise-report', JSON.parse(findReportToJson(report)))}
${inlineJson('batchwise-chart-specs', specs)}
${inlineScript(sources.vega)}
${inlineScript(sources.vegaLite)}
${inlineScript(EMBED_SCRIPT)}
</body>
</html>
`;
}
