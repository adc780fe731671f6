// The HTML report as a file: self-contained (vega, vega-lite, specs and report inline; nothing
// fetched), safe against markup in report strings, and readable when sections are empty.

import { beforeAll, describe, expect, it } from 'vitest';
import type { FindReport } from '../../../src/report/find-report-schema.js';
import { formatNumber } from '../../../src/report/format.js';
import { findReportToHtml } from '../../../src/report/html/html-report.js';
import { inlineJson, inlineScript } from '../../../src/report/html/vega-sources.js';
import { fakeFindReport } from '../../support/fake-find-report.js';

let report: FindReport;
let html: string;
beforeAll(async () => {
  report = await fakeFindReport();
  html = findReportToHtml(report);
});

function embedded(text: string, id: string): unknown {
  const match = new RegExp(`<script type="application/json" id="${id}">([^<]*)</script>`).exec(
    text,
  );
  if (!match) throw new Error(`no #${id}`);
  return JSON.parse(match[1]!);
}

describe('findReportToHtml', () => {
  it('is one self-contained file: no src or href to load, vega and vega-lite inline', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link[^>]*href=/i);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('vegaLite');
    expect(html.match(/<script>/g)).toHaveLength(3);
    // The only "</script" are the closers of the 5 script elements.
    expect(html.match(/<\/script/gi)).toHaveLength(5);
  });

  it('embeds the report and one spec per chart container', () => {
    expect(embedded(html, 'batchwise-report')).toEqual(JSON.parse(JSON.stringify(report)));
    const specs = embedded(html, 'batchwise-chart-specs') as { id: string }[];
    expect(specs.map((s) => s.id)).toEqual(['memory', 'throughput', 'noise', 'time-to-target']);
    for (const s of specs) expect(html).toContain(`<div class="chart-view" id="chart-${s.id}"`);
  });

  it('has the summary, the plan and the candidates table', () => {
    expect(html).toContain('<section id="summary">');
    expect(html).toContain(`with a batch of ${report.recommendation!.batchSize}`);
    expect(html).toContain('<tr class="recommended">');
    expect(html).toContain('compute-optimal');
  });

  it('cards: the throughput peak says fitted, beside the best measured; the ceiling its own peak', () => {
    const cards = /<div class="cards">(.*?)<\/div><\/div><\/div>/s.exec(html)?.[0] ?? html;
    expect(cards).toContain('Peak throughput (fitted)');
    const best = Math.max(
      ...report.throughput.points
        .filter((p) => p.outcome === 'ok')
        .map((p) => p.examplesPerSecond ?? 0),
    );
    expect(cards).toContain(`best measured ${formatNumber(best)} at batch`);
    expect(cards).toMatch(/[\d.,]+ [KMG]iB at that batch; budget /);
    expect(html).not.toMatch(/\de\+\d+ [KMG]iB/);
    expect(html).toMatch(/the fitted peak; the best measured was /);
  });

  it('charts on the page carry no title of their own: the heading above says it', () => {
    const specs = embedded(html, 'batchwise-chart-specs') as { spec: { title?: unknown } }[];
    for (const s of specs) expect(s.spec.title).toBeUndefined();
  });

  it('escapes markup from the report', () => {
    const r = structuredClone(report);
    r.workload.model = '<img src=x onerror=alert(1)></script>';
    const out = findReportToHtml(r);
    expect(out).not.toContain('<img src=x');
    expect(out).toContain('&lt;img src=x');
    expect(out.match(/<\/script/gi)).toHaveLength(5);
  });

  it('says in sentences what cannot be drawn when there is no recommendation or data', () => {
    const r = structuredClone(report);
    r.recommendation = null;
    r.status = 'failed';
    r.messages = ['the memory probe failed'];
    r.memory.trials = [];
    r.throughput.points = [];
    r.noise.trajectory = [];
    const out = findReportToHtml(r);
    expect(out).toContain('No batch size could be recommended');
    expect(out).toContain('the memory probe failed');
    expect(out.match(/<p class="empty" id="chart-/g)).toHaveLength(4);
    expect(embedded(out, 'batchwise-chart-specs')).toEqual([]);
  });
});

describe('inline helpers', () => {
  it('keep a "</script" or "<!--" from ending the script element', () => {
    expect(inlineScript('a = "</script><!--"')).toBe('<script>a = "<\\/script><\\!--"</script>');
    expect(inlineJson('x', { s: '</script>' })).toBe(
      '<script type="application/json" id="x">{"s":"\\u003c/script>"}</script>',
    );
  });
});
