// The dashboard's HTML: the list of stored runs, a finished run's page (the HTML report itself,
// with a link back), and the live page of a run still measuring, which draws the charts of what
// is stored so far and follows the run through server-sent events. Everything inline: vega and
// vega-lite, styles and scripts; the pages load nothing from elsewhere.

import type { FindReport } from '../report/find-report-schema.js';
import { findReportToHtml } from '../report/html/html-report.js';
import { HTML_REPORT_CSS } from '../report/html/html-styles.js';
import { escapeHtml } from '../report/html/html-summary.js';
import { inlineJson, inlineScript, vegaSources } from '../report/html/vega-sources.js';
import { sweepBatchTable, sweepReportToHtml, sweepTrialsTable } from '../sweep/sweep-html.js';
import type { SweepReport } from '../sweep/sweep-report.js';
import { LIVE_RUN_SCRIPT } from './live-run-script.js';
import type { RunListEntry, RunView } from './run-view.js';

const DASHBOARD_CSS = `${HTML_REPORT_CSS}
nav.dashboard { font-size: 13.5px; margin-bottom: 12px; }
nav.dashboard a, table.runs a { color: #1f5fa8; }
.status.running { background: #dbeafe; color: #1e40af; }
#live { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; margin: 16px 0; font-size: 14px; }
#live .latest { font-family: ui-monospace, monospace; }
`;

const NAV = '<nav class="dashboard"><a href="/">← all runs</a> · <a href="/plan">plan</a></nav>';

function page(title: string, body: string, scripts = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${DASHBOARD_CSS}</style>
</head>
<body>
<main>
${body}
</main>
${scripts}
</body>
</html>
`;
}

/** Local time to the second (the server's zone), as `batchwise runs` shows it. */
function when(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** `/`: the stored runs, newest first, each linking to its page; and the plan calculator. */
export function runListPage(runs: readonly RunListEntry[], storePath: string): string {
  const rows = runs
    .map(
      (r) =>
        `<tr data-run="${escapeHtml(r.id)}"><td><a href="/runs/${escapeHtml(r.id)}">${escapeHtml(r.id)}</a></td><td>${escapeHtml(when(r.created))}</td><td>${escapeHtml(r.kind)}</td><td>${escapeHtml(r.model)}</td><td>${escapeHtml(r.data)}</td><td><span class="status ${escapeHtml(r.status)}">${escapeHtml(r.status)}</span></td><td>${r.batchSize ?? '–'}</td></tr>`,
    )
    .join('\n');
  const table =
    runs.length > 0
      ? `<table class="runs"><thead><tr><th>run</th><th>time</th><th>job</th><th>model</th><th>data</th><th>status</th><th>batch</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
      : `<p class="empty" id="no-runs">No runs in ${escapeHtml(storePath)} yet: <code>batchwise find</code> stores each run there.</p>`;
  return page(
    'batchwise',
    `<header><h1>batchwise</h1><p class="meta">Runs of ${escapeHtml(storePath)} · <a href="/plan">plan</a>: memory per device, the largest micro-batch, the global batch and its split, from a model's configuration</p></header>
<h2>Runs</h2>
${table}`,
  );
}

/** A run with a report: the HTML report itself, with the dashboard's links above it. */
export function finishedRunPage(report: FindReport): string {
  return findReportToHtml(report).replace('<main>', `<main>${NAV_STYLE}${NAV}`);
}

const NAV_STYLE =
  '<style>nav.dashboard{font-size:13.5px;margin-bottom:12px}nav.dashboard a{color:#1f5fa8}</style>';

/** A sweep run with a report: the sweep's HTML report itself, with the dashboard's links. */
export function finishedSweepPage(report: SweepReport): string {
  return sweepReportToHtml(report, { banner: `${NAV_STYLE}${NAV}` });
}

/**
 * A run without a report: its charts so far, live while it runs (a final one is not followed);
 * `extra` is HTML shown below the charts as it was when the page was made (a sweep's tables).
 */
export function liveRunPage(view: RunView, extra = ''): string {
  const sources = vegaSources();
  const { charts: _charts, ...initial } = view;
  const title = `batchwise ${view.kind}: ${view.model} on ${view.data}`;
  return page(
    title,
    `${NAV}
<header>
<h1>${escapeHtml(title)} <span class="status ${escapeHtml(view.status)}" id="status">${escapeHtml(view.status)}</span></h1>
<p class="meta">run ${escapeHtml(view.id)} · started ${escapeHtml(when(view.created))}</p>
</header>
<div id="live" aria-live="polite">Phase <b id="phase">${escapeHtml(view.phase)}</b> · <span id="event-count">${view.eventCount}</span> events stored · <span class="latest" id="latest">${escapeHtml(view.latest)}</span> · <span id="connection">${view.status === 'running' ? 'connecting' : 'ended'}</span></div>
<div id="charts"></div>
${extra}`,
    [
      inlineJson('batchwise-run', initial),
      inlineJson('batchwise-charts', view.charts),
      inlineScript(sources.vega),
      inlineScript(sources.vegaLite),
      inlineScript(LIVE_RUN_SCRIPT),
    ].join('\n'),
  );
}

/**
 * A sweep run without a report: the live page of its charts, and below them the findings, the
 * batches and the trials finished when the page was made (`soFar`: the trials so far, analysed).
 */
export function liveSweepPage(view: RunView, soFar: SweepReport | undefined): string {
  const extra = soFar
    ? [
        `<section id="summary"><h2>Findings so far</h2>${soFar.analysis.summary
          .map((line) => `<p>${escapeHtml(line)}</p>`)
          .join(
            '',
          )}${soFar.messages.map((m) => `<p class="caption">${escapeHtml(m)}</p>`).join('')}</section>`,
        `<section id="batches"><h2>Batches</h2>${sweepBatchTable(soFar)}</section>`,
        `<section id="trials"><h2>Trials finished</h2>${sweepTrialsTable(soFar)}</section>`,
      ].join('\n')
    : '';
  return liveRunPage(view, extra);
}
