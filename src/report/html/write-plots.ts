// --plots DIR: each chart of the HTML report as SVG (vega in Node, no renderer) and as PNG (the
// SVG rasterised by resvg, a prebuilt native module: no browser). Returns notes for the CLI to
// print: charts without data.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FindReport } from '../find-report-schema.js';
import type { ChartSpec } from './chart-spec.js';
import { reportCharts } from './report-charts.js';

export interface PlotFiles {
  readonly written: string[];
  readonly notes: string[];
}

/** PNG pixels per SVG unit: twice the SVG's size, as sharp as a 2x screen. */
const PNG_SCALE = 2;

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

/** An SVG document as a PNG at PNG_SCALE, on white, its text in the system's fonts. */
export async function svgToPng(svg: string): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: PNG_SCALE },
    background: 'white',
    font: { loadSystemFonts: true, sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

export async function writeReportPlots(report: FindReport, dir: string): Promise<PlotFiles> {
  await mkdir(dir, { recursive: true });
  const svgs: string[] = [];
  const pngs: string[] = [];
  const notes: string[] = [];
  for (const chart of reportCharts(report)) {
    if (chart.result.kind === 'empty') {
      notes.push(`${chart.id}: no chart (${chart.result.reason})`);
      continue;
    }
    const svg = await chartToSvg(chart.result.spec);
    const svgPath = join(dir, `${chart.id}.svg`);
    await writeFile(svgPath, svg);
    svgs.push(svgPath);
    const pngPath = join(dir, `${chart.id}.png`);
    await writeFile(pngPath, await svgToPng(svg));
    pngs.push(pngPath);
  }
  return { written: [...svgs, ...pngs], notes };
}
