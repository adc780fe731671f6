// `batchwise find --engine command` end to end with the real binary (built by `npm run build`):
// a script that runs plans finds a batch size in a handful of launches; a command that ignores
// {batch} stops with one line and no recommendation; a command without peakBytes still gets a
// ceiling, from out-of-memory outcomes, and the report says it was not measured by counters.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findReportSchema } from '../../../src/report/find-report-schema.js';
import { batchwise } from '../../support/run-cli.js';
import { FAKE_TRAINER } from './fake-trainer-command.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-find-plan-'));
const TRAINER = `node --import tsx ${FAKE_TRAINER} --batch-size {batch} --steps {steps} --micro-batch {micro_batch} --seed {seed} --lr 0.001 --telemetry {telemetry}`;
const SMALL = ['--max-batch', '64', '--noise-measurements', '6', '--noise-every', '2'];

describe('batchwise find --engine command with plans', () => {
  it('runs the whole find in two processes', async () => {
    const json = join(dir, 'plan.json');
    const log = join(dir, 'plan-launches.jsonl');
    const r = await batchwise(
      'find',
      '--engine',
      'command',
      '--cmd',
      `${TRAINER} --plan {plan} --launch-log ${log} --oom-above 48`,
      ...SMALL,
      '--json',
      json,
    );
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(r.code).toBe(0);
    const report = findReportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    expect(report.status).toBe('complete');
    expect(report.memory.maxBatch).toBe(48);
    expect(report.memory.trials.some((t) => t.outcome === 'oom')).toBe(true);
    expect(report.engine.details?.runs).toBe('plan (one process for the measurements)');
    // Opening, memory and throughput in one process; the noise run in another.
    const launches = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .filter((line) => !line.includes('"item"'));
    expect(launches).toHaveLength(2);
  });

  it('stops with one line, and no recommendation, when the command ignores {batch}', async () => {
    const json = join(dir, 'ignored.json');
    const r = await batchwise(
      'find',
      '--engine',
      'command',
      '--cmd',
      `${TRAINER} --ignore-batch 32`,
      ...SMALL,
      '--json',
      json,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'batchwise: no recommendation: the command ran batch 32 when asked for 16: does it use {batch}?',
    );
    expect(r.stdout).not.toMatch(/Confidence/);
    const report = findReportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    expect(report.recommendation).toBeNull();
  });

  it('without peakBytes, finds the ceiling from out-of-memory outcomes and says so', async () => {
    const json = join(dir, 'no-peak.json');
    const r = await batchwise(
      'find',
      '--engine',
      'command',
      '--cmd',
      `${TRAINER} --plan {plan} --no-peak --oom-above 40`,
      ...SMALL,
      // The default search: with no peaks it doubles, then bisects on out-of-memory outcomes.
      '--json',
      json,
    );
    expect(r.stderr).not.toMatch(/reported no peakBytes in its step events/);
    expect(r.code).toBe(0);
    const report = findReportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    expect(report.memory.maxBatch).toBe(40);
    expect(report.memory.basis).toBe('oom-outcomes');
    expect(report.messages.join('\n')).toMatch(
      /no peak memory \(no memory counter\): the ceiling comes from out-of-memory outcomes/,
    );
  });

  it('a script that declares a caching allocator gets its ceiling in at most 5 memory trials', async () => {
    // Peaks on the line 32 MiB + 1 MiB/example: the line's ceiling under 432 MiB is 400, but
    // the script runs out of memory above 374 (a 6% gap, as a CUDA caching allocator's).
    const json = join(dir, 'caching.json');
    const r = await batchwise(
      'find',
      '--engine',
      'command',
      '--cmd',
      `${TRAINER} --plan {plan} --memory-kind cuda-allocated --oom-above 374`,
      '--memory-budget',
      '432MiB',
      '--max-batch',
      '4096',
      '--noise-measurements',
      '6',
      '--noise-every',
      '2',
      '--json',
      json,
    );
    expect(r.code).toBe(0);
    const report = findReportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    const { maxBatch } = report.memory;
    expect(maxBatch).toBeLessThanOrEqual(374);
    expect(maxBatch!).toBeGreaterThanOrEqual(0.98 * 374);
    expect(report.memory.trials.length).toBeLessThanOrEqual(5);
    expect(report.memory.trials.map((t) => t.reason).slice(2)).toContain(
      'allocator gap: prior range (memory space)',
    );
    expect(report.memory.trials.some((t) => t.batchSize === 400)).toBe(false);
  });
});
