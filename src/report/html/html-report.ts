// The `find` report as ONE self-contained HTML file: summary, plan and candidates, and four
// charts drawn in the browser by the inline vega and vega-lite builds from Vega-Lite specs built
// here (one builder per chart). The report JSON is inline too. It makes no network request.

import { findReportToJson } from '../find-report.js';
import type { FindReport } from '../find-report-schema.js';
import type { ChartResult } from './chart-spec.js';
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

/** A chart of a report: its container id, title, caption and spec (or why there is none). */
export interface HtmlChart {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly result: ChartResult;
}

export function list(items: readonly string[]): string {
  return items.length > 0
    ? `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`
    : '';
}

/** One panel per chart: its container (drawn by the embed script), or the reason in its place. */
export function chartSectionsHtml(charts: readonly HtmlChart[]): string {
  return charts
    .map((c) => {
      const body =
        c.result.kind === 'chart'
          ? `<div class="chart-view" id="chart-${c.id}" role="img" aria-label="${escapeHtml(c.title)}"></div>`
          : `<p class="empty" id="chart-${c.id}">${escapeHtml(c.result.reason)}</p>`;
      return `<section class="chart" data-chart="${c.id}"><h2>${escapeHtml(c.title)}</h2><p class="caption">${escapeHtml(c.caption)}</p>${body}</section>`;
    })
    .join('\n');
}

/** The <head> of a report page: no network, the shared stylesheet. */
export function reportHead(title: string): string {
  return `<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${HTML_REPORT_CSS}</style>
</head>`;
}

/** The report JSON, the chart specs, vega, vega-lite and the embed script, inline. */
export function reportScripts(reportJson: unknown, charts: readonly HtmlChart[]): string {
  const sources = vegaSources();
  const specs = charts.flatMap((c) =>
    c.result.kind === 'chart' ? [{ id: c.id, spec: c.result.spec }] : [],
  );
  return [
    inlineJson('batchwise-report', reportJson),
    inlineJson('batchwise-chart-specs', specs),
    inlineScript(sources.vega),
    inlineScript(sources.vegaLite),
    inlineScript(EMBED_SCRIPT),
  ].join('\n');
}

export function findReportToHtml(report: FindReport): string {
  const w = report.workload;
  const r = report.recommendation;
  const charts = reportCharts(report, { titles: false });
  const title = `batchwise find: ${w.model} on ${w.data}`;
  const meta = [
    report.createdAt,
    `batchwise ${report.tool.version}`,
    `engine ${report.engine.name} on ${report.engine.backend}`,
    `${report.machine.cpus} × ${report.machine.cpuModel}`,
    `${w.datasetSize.toLocaleString('en-US')} examples, ${w.parameterCount.toLocaleString('en-US')} parameters, ${w.optimizer}`,
  ].join(' · ');
  const notes = r
    ? [...r.explanation, ...r.tradeOffs, ...(r.beyondMemory ? [r.beyondMemory.note] : [])]
    : [];

  return `<!doctype html>
<html lang="en">
${reportHead(title)}
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
${chartSectionsHtml(charts)}
<details><summary>The report data (JSON, schema version ${report.schemaVersion})</summary><p>Embedded in this file as <code>#batchwise-report</code>; see docs/report.md.</p></details>
<footer>Written by batchwise ${escapeHtml(report.tool.version)}. Opens offline: vega and vega-lite are embedded.</footer>
</main>
${reportScripts(JSON.parse(findReportToJson(report)), charts)}
</body>
</html>
`;
}
