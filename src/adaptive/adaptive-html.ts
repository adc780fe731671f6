// An adaptive run as ONE self-contained HTML page (as find's report, src/report/html): summary,
// the changes with their reasons, and the batch, learning-rate and B_noise charts drawn offline
// by the inline vega builds. The history JSON is inline too.

import { chartSectionsHtml, list, reportHead, reportScripts } from '../report/html/html-report.js';
import { escapeHtml, table } from '../report/html/html-summary.js';
import { adaptiveCharts } from './adaptive-charts.js';
import type { AdaptiveHistory } from './adaptive-history.js';

export function adaptiveHistoryToHtml(history: AdaptiveHistory, title: string): string {
  const charts = adaptiveCharts(history);
  const s = history.settings;
  const last = history.steps.at(-1);
  const lastValidation = history.validation.at(-1);
  const summary = [
    history.outcome.message,
    `${history.steps.length} steps, ${last?.examples ?? 0} examples, ${history.trainingSeconds.toFixed(2)} s of training; batch ${s.initialBatchSize} -> ${last?.batch ?? s.initialBatchSize} (cap ${s.maxBatchSize}), ${s.optimizer}, learning rate ${s.learningRate} by the ${s.lrRule} rule.`,
    ...(lastValidation
      ? [
          `validation after epoch ${Number(lastValidation.epoch.toFixed(2))}: loss ${lastValidation.loss.toPrecision(4)}${lastValidation.accuracy !== null ? `, accuracy ${(lastValidation.accuracy * 100).toFixed(2)}%` : ''}`,
        ]
      : []),
  ];
  const changes = table(
    ['step', 'examples', 'batch', 'learning rate', 'B_noise', 'reason'],
    history.changes.map((c) => [
      String(c.step),
      String(c.examples),
      `${c.fromBatch} → ${c.toBatch}`,
      `${c.fromLr.toPrecision(3)} → ${c.toLr.toPrecision(3)}`,
      c.bNoise.toPrecision(3),
      c.reason,
    ]),
  );
  return `<!doctype html>
<html lang="en">
${reportHead(title)}
<body>
<main>
<header><h1>${escapeHtml(title)} <span class="status">${escapeHtml(history.outcome.kind)}</span></h1></header>
<section id="summary"><h2>Summary</h2>${list(summary)}</section>
<section id="changes"><h2>Changes of batch</h2>${history.changes.length > 0 ? changes : '<p>The batch did not change.</p>'}</section>
${chartSectionsHtml(charts)}
<footer>Written by batchwise fitAdaptive (docs/adaptive.md). Opens offline: vega and vega-lite are embedded.</footer>
</main>
${reportScripts(history, charts)}
</body>
</html>
`;
}
