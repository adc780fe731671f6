// `batchwise find` on real, unscaled data (issue 12): Fashion-MNIST written out as a CSV of raw
// 0–255 pixels. The terminal warns that the features are unscaled, states the normalisation
// applied, and the report carries both; scaled inputs give a measured gradient noise scale.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fashionMnistFiles } from '../../src/data/fashion-mnist.js';
import { readIdx } from '../../src/data/idx.js';
import { findReportSchema } from '../../src/report/find-report-schema.js';
import { batchwise } from '../support/run-cli.js';

const ROWS = 1000;
const PIXELS = 28 * 28;
const files = fashionMnistFiles('train');
const dir = mkdtempSync(join(tmpdir(), 'batchwise-find-data-'));
const csv = join(dir, 'fashion-raw.csv');

function readReport(path: string) {
  return findReportSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

describe.skipIf('missing' in files)('batchwise find on raw 0–255 pixels', () => {
  beforeAll(async () => {
    if ('missing' in files) return;
    const [images, labels] = await Promise.all([readIdx(files.images), readIdx(files.labels)]);
    const header = [...Array.from({ length: PIXELS }, (_, i) => `pixel${i}`), 'label'].join(',');
    const lines = [header];
    for (let r = 0; r < ROWS; r++) {
      const pixels = images.data.subarray(r * PIXELS, (r + 1) * PIXELS);
      lines.push(`${[...pixels].join(',')},${labels.data[r]}`);
    }
    writeFileSync(csv, `${lines.join('\n')}\n`);
  });

  const find = (json: string, ...options: string[]) =>
    batchwise(
      'find',
      '--model',
      'mlp',
      '--data',
      csv,
      '--label',
      'label',
      '--noise-seconds',
      '20',
      '--json',
      json,
      ...options,
    );

  it('warns that the features are unscaled and states the standardisation applied', async () => {
    const json = join(dir, 'standard.json');
    const r = await find(json);
    expect(r.code, r.stderr).toBe(0);
    const warning =
      'data: 776 of 784 features ("pixel2", "pixel3", "pixel4" and 773 more) range 0–255 (std 90.2): unscaled inputs slow training and distort the noise scale; built-in models standardise them (the default), for a model file pass --data-option normalize=standard';
    expect(r.stdout).toContain(`  ! ${warning}`);
    expect(r.stdout).toContain(
      "  Inputs: standardised per feature ((x − mean)/std over the 1,000 examples): the built-in models' default, --data-option normalize=none turns it off",
    );
    const report = readReport(json);
    expect(report.messages).toContain(warning);
    expect(report.data).toMatchObject({
      features: PIXELS,
      normalization: 'standard',
      normalizationSource: 'default',
      normalizationScope: 'feature',
      statistics: { min: 0, max: 255, unscaledFeatures: 776, nonFiniteValues: 0 },
    });
    expect(report.recommendation).not.toBeNull();
  }, 180_000);

  it('scaled to [0, 1], the gradient noise scale is measured', async () => {
    const json = join(dir, 'minmax.json');
    const r = await find(json, '--data-option', 'normalize=minmax');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(--data-option normalize=minmax)');
    const report = readReport(json);
    expect(report.data?.normalization).toBe('minmax');
    expect(report.noise.bSimple.kind).toBe('measured');
  }, 180_000);
});
