// --plots DIR: each chart of the HTML report as SVG (vega in Node, no renderer) and as PNG
// (Debian's headless Chromium through playwright-core, when both are there). Returns notes for
// the CLI to print: charts without data and a skipped PNG step.

import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchHeadlessChromium } from '../../browser/headless-chromium.js';
import type { FindReport } from '../find-report-schema.js';
import type { ChartSpec } from './chart-spec.js';
import { reportCharts } from './report-charts.js';

export interface PlotFiles {
  readonly written: string[];
  readonly notes: string[];
}

/** One Vega-Lite spec as an SVG document, rendered headless by vega. */
export async function chartToSvg(spec: ChartSpec): Promise<string> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Screenshots each SVG file's <svg> element in headless Chromium; a note when it cannot. */
async function svgsToPngs(svgPaths: readonly string[], notes: string[]): Promise<string[]> {
  const browser = await launchHeadlessChromium();
  if (typeof browser === 'string') {
    notes.push(`PNG files skipped: ${browser} (the SVG files are written)`);
    return [];
  }
  const written: string[] = [];
  try {
    const page = await browser.newPage({ deviceScaleFactor: 2 });
    for (const svgPath of svgPaths) {
      await page.goto(pathToFileURL(resolve(svgPath)).href);
      const png = svgPath.replace(/\.svg$/, '.png');
      await page.locator('svg').first().screenshot({ path: png, omitBackground: false });
      written.push(png);
    }
  } finally {
    await browser.close();
  }
  return written;
}

export async function writeReportPlots(report: FindReport, dir: string): Promise<PlotFiles> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const notes: string[] = [];
  for (const chart of reportCharts(report)) {
    if (chart.result.kind === 'empty') {
      notes.push(`${chart.id}: no chart (${chart.result.reason})`);
      continue;
    }
    const path = join(dir, `${chart.id}.svg`);
    await writeFile(path, await chartToSvg(chart.result.spec));
    written.push(path);
  }
  written.push(...(await svgsToPngs([...written], notes)));
  return { written, notes };
}
