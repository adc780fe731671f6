// `batchwise report REPORT.json` through the real binary (npm run build first): HTML, chart
// files (SVG, and PNG rendered by resvg: no browser needed) and Markdown from a saved report; a
// malformed or foreign file is one clear line.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findReportToJson } from '../../../src/report/find-report.js';
import { REPORT_CHART_INFO } from '../../../src/report/html/report-charts.js';
import { fakeFindReport } from '../../support/fake-find-report.js';
import { batchwise } from '../../support/run-cli.js';

/** A PNG file's dimensions from its IHDR chunk, after checking the signature and size. */
function readPng(path: string): { width: number; height: number } {
  const bytes = readFileSync(path);
  expect(bytes.length).toBeGreaterThan(0);
  expect(bytes.subarray(0, 8)).toEqual(
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  );
  // The first chunk: length 13, type IHDR, then width and height (big-endian).
  expect(bytes.readUInt32BE(8)).toBe(13);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  const size = { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  expect(size.width).toBeGreaterThan(0);
  expect(size.height).toBeGreaterThan(0);
  return size;
}

/** The width and height attributes of an SVG document's root element. */
function svgSize(svg: string): [number, number] {
  const match = /^<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  expect(match).not.toBeNull();
  return [Number(match?.[1]), Number(match?.[2])];
}

let dir: string;
let reportPath: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'batchwise-report-'));
  reportPath = join(dir, 'report.json');
  writeFileSync(reportPath, findReportToJson(await fakeFindReport()));
});

describe('batchwise report', () => {
  it('writes the HTML report, the chart files and the Markdown', async () => {
    const html = join(dir, 'report.html');
    const plots = join(dir, 'plots');
    const markdown = join(dir, 'report.md');
    const result = await batchwise(
      'report',
      reportPath,
      '--html',
      html,
      '--plots',
      plots,
      '--markdown',
      markdown,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('batchwise-chart-specs');
    expect(readFileSync(markdown, 'utf8')).toContain('## Recommendation');
    for (const name of ['memory', 'throughput', 'noise', 'time-to-target']) {
      const svg = readFileSync(join(plots, `${name}.svg`), 'utf8');
      expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg).toContain('<path');
      const png = readPng(join(plots, `${name}.png`));
      const [width, height] = svgSize(svg);
      // Twice the SVG's size (PNG_SCALE), rounded by the rasteriser.
      expect(Math.abs(png.width - 2 * width)).toBeLessThanOrEqual(1);
      expect(Math.abs(png.height - 2 * height)).toBeLessThanOrEqual(1);
      // Standalone, a plot carries its title.
      const title = REPORT_CHART_INFO.find((c) => c.id === name)?.title;
      expect(svg).toContain(`>${title}</text>`);
    }
  });

  it('rejects a file that is not JSON in one line', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ "schemaVersion": 1,');
    const result = await batchwise('report', path, '--html', join(dir, 'x.html'));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/is not JSON/);
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });

  it('rejects a foreign JSON file in one line, naming the first wrong field', async () => {
    const path = join(dir, 'package.json');
    writeFileSync(path, JSON.stringify({ name: 'x', version: '1.0.0' }));
    const result = await batchwise('report', path, '--html', join(dir, 'y.html'));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/is not a batchwise find report/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a missing file and a call without an output', async () => {
    const missing = await batchwise(
      'report',
      join(dir, 'nope.json'),
      '--html',
      join(dir, 'z.html'),
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*ENOENT/);
    const none = await batchwise('report', reportPath);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--html FILE/);
  });
});

describe('batchwise find --html --plots', () => {
  it('writes the HTML report and the charts of a run', async () => {
    const html = join(dir, 'find.html');
    const plots = join(dir, 'find-plots');
    const result = await batchwise(
      'find',
      '--engine',
      'fake',
      '--quiet',
      '--html',
      html,
      '--plots',
      plots,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('id="chart-memory"');
    expect(existsSync(join(plots, 'memory.svg'))).toBe(true);
    expect(existsSync(join(plots, 'throughput.svg'))).toBe(true);
    expect(readPng(join(plots, 'memory.png')).width).toBeGreaterThan(100);
    expect(readPng(join(plots, 'throughput.png')).width).toBeGreaterThan(100);
  });
});
