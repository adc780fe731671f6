// `batchwise analyze` through the real binary (built by `npm run build`), as a user runs it.

import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchwise } from '../support/run-cli.js';
import {
  linearRegressionFixture,
  tempDirectory,
  toCsv,
  toTfEvents,
  writeFixture,
} from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDirectory();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('batchwise analyze', () => {
  it('prints the recommendation and writes JSON and Markdown reports', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 30 });
    const file = await writeFixture(dir, 'log.csv', toCsv(steps));
    const json = path.join(dir, 'report.json');
    const markdown = path.join(dir, 'report.md');
    const r = await batchwise(
      'analyze',
      file,
      '--dataset-size',
      '50000',
      '--lr',
      '0.1',
      '--json',
      json,
      '--markdown',
      markdown,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Recommended batch size\s+\d+/);
    expect(r.stdout).toMatch(/Gradient noise scale\s+B_simple \d+/);
    expect(r.stdout).toMatch(/largest batch seen; unknown from logs/);
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report).toMatchObject({ schemaVersion: 1, report: 'analyze', status: 'complete' });
    expect(report.settings).toMatchObject({ datasetSize: 50000, learningRate: 0.1 });
    expect(await readFile(markdown, 'utf8')).toMatch(/^# batchwise analyze/);
  });

  it('reads a TensorBoard log directory, with --quiet', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 20 });
    await writeFixture(dir, 'events.out.tfevents.123.host', toTfEvents(steps));
    const r = await batchwise('analyze', dir, '--format', 'tfevents', '--quiet');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^batch \d+, learning rate [\d.]+ x current\n$/);
  });

  it('bad input is one line on stderr naming the file and line, exit code 2', async () => {
    const file = await writeFixture(
      dir,
      'bad.jsonl',
      '{"v":1,"event":"start","framework":"x"}\nnot json\n',
    );
    const r = await batchwise('analyze', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`batchwise: ${file}: line 2: not JSON: not json\n`);
    const missing = await batchwise('analyze', path.join(dir, 'nope.csv'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.csv: cannot read the file \(no such file\)/);
    const smoothing = await batchwise('analyze', file, '--smoothing', 'ema:2');
    expect(smoothing.stderr).toMatch(
      /^batchwise: --smoothing must be stationary, ema:BETA \(0 <= BETA < 1\), window:N or all, got "ema:2"\n$/,
    );
    const map = await batchwise('analyze', file, '--map', 'loss');
    expect(map.stderr).toMatch(/^batchwise: --map takes field=column, got "loss"\n$/);
  });
});
