// `batchwise find --engine command` end to end: the real binary (built by `npm run build`) runs
// the fake trainer through its command template and writes a report, and bad --cmd input gives
// one clear line.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findReportSchema } from '../../../src/report/find-report-schema.js';
import { batchwise } from '../../support/run-cli.js';
import { FAKE_TRAINER } from './fake-trainer-command.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-find-command-'));

describe('batchwise find --engine command', () => {
  it('finds a batch size for the fake trainer through its command template', async () => {
    const json = join(dir, 'report.json');
    const r = await batchwise(
      'find',
      '--engine',
      'command',
      '--cmd',
      `node --import tsx ${FAKE_TRAINER} --batch-size {batch} --steps {steps} --micro-batch {micro_batch} --seed {seed} --lr 0.001 --telemetry {telemetry}`,
      '--max-batch',
      '64',
      '--noise-measurements',
      '6',
      '--noise-every',
      '2',
      '--json',
      json,
    );
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Recommended batch size\s+\d+/);
    const report = findReportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    expect(report.status).toBe('complete');
    expect(report.engine.name).toBe('command');
    expect(report.workload.datasetSize).toBe(4096);
    expect(report.memory.maxBatch).toBe(64);
    // The fake trainer's problem near its start has B_simple = d + 1 + d·sigma^2/|D|^2 = 21
    // (d = 16, sigma = 1, |D| = 2; test/support/fake-trainer.ts): measured within a factor 2.
    const bSimple = report.noise?.bSimple;
    expect(bSimple?.kind).toBe('measured');
    if (bSimple?.kind === 'measured') {
      expect(bSimple.value).toBeGreaterThan(21 / 2);
      expect(bSimple.value).toBeLessThan(21 * 2);
    }
  });

  it('says in one line what is wrong with --cmd', async () => {
    const noCmd = await batchwise('find', '--engine', 'command');
    expect(noCmd.code).not.toBe(0);
    expect(noCmd.stderr.trim()).toMatch(/--engine command needs --cmd TEMPLATE$/);
    const missing = await batchwise(
      'find',
      '--engine',
      'command',
      '--cmd',
      'no-such-trainer-xyz --batch-size {batch} --steps {steps}',
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/"no-such-trainer-xyz" was not found/);
  });
});
