// `batchwise sweep` end to end through the real binary on the fake engine (exact, fast): every
// trial in a process of its own, the report and its analysis, a failure recorded as data, Ctrl-C
// and a killed coordinator resumed without losing or repeating a finished trial, bad input in one
// line.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../../src/store/run-store.js';
import { trialEventsOf } from '../../src/sweep/sweep-config.js';
import { sweepReportSchema } from '../../src/sweep/sweep-report.js';
import { FAKE_TRAINER } from '../engines/command/fake-trainer-command.js';
import { BIN, batchwise } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-sweep-'));
const FAKE = ['sweep', '--engine', 'fake', '--target-loss', '0.5', '--lr-rule', 'linear'];

function readReport(path: string) {
  return sweepReportSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return lines[0] ?? '';
}

function storedTrials(store: string) {
  const opened = RunStore.open(store, { readOnly: true });
  try {
    const [run] = opened.listRuns();
    if (!run) throw new Error('no run');
    return { run, events: trialEventsOf(opened.events(run.id)) };
  } finally {
    opened.close();
  }
}

/** A sweep in the background, resolved once `count` trials have ended. */
function sweepUntil(
  args: string[],
  count: number,
): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if ((stderr.match(/^ {2}\[\d+\/\d+\]/gm) ?? []).length >= count)
        resolve({ child, stderr: () => stderr });
    });
    child.on('close', (code) => reject(new Error(`exited ${code} early: ${stderr}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on('close', (code) => resolve(code));
  });
}

describe('batchwise sweep', () => {
  it('trains every batch to the target and measures B_crit, the fastest batch and each regret', async () => {
    const json = join(dir, 'basic.json');
    const r = await batchwise(
      ...FAKE,
      ...['--batches', '8,32,128,512', '--repeats', '2', '--workers', '2', '--json', json],
    );
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(r.code).toBe(0);
    const report = readReport(json);
    expect(report.status).toBe('complete');
    expect(report.trials).toHaveLength(8);
    expect(report.trials.every((t) => t.outcome === 'reached')).toBe(true);
    // Steps to the target fall with the batch and examples rise: the two regimes of eq. 2.11.
    const steps = report.analysis.batches.map((b) => b.stepsToTarget?.median ?? 0);
    const examples = report.analysis.batches.map((b) => b.examplesToTarget?.median ?? 0);
    expect(steps).toEqual([...steps].sort((a, b) => b - a));
    expect(examples).toEqual([...examples].sort((a, b) => a - b));
    expect(report.analysis.fit.kind).toBe('fitted');
    expect(report.analysis.best?.batchSize).toBeDefined();
    expect(report.analysis.batches.some((b) => b.regret === 1)).toBe(true);
    expect(r.stdout).toMatch(/Measured critical batch B_crit/);
    expect(r.stdout).toMatch(/batch\s+reached\s+steps\s+examples\s+time\s+vs best/);
  });

  it("checks find's recommendation: the auto grid around it, and its regret", async () => {
    const find = join(dir, 'find.json');
    const f = await batchwise('find', '--engine', 'fake', '--quiet', '--json', find);
    expect(f.code).toBe(0);
    const recommended = JSON.parse(readFileSync(find, 'utf8')).recommendation.batchSize as number;
    const json = join(dir, 'from-report.json');
    // The default learning rates: tuned, 3 per batch around the noise rule's.
    const r = await batchwise(
      ...['sweep', '--engine', 'fake', '--target-loss', '0.5'],
      ...['--from-report', find, '--json', json, '--quiet'],
    );
    expect(r.code).toBe(0);
    const report = readReport(json);
    expect(report.basis).toMatchObject({ source: 'report', recommendedBatch: recommended });
    expect(report.batches).toContain(recommended);
    expect(report.batches).toContain(32);
    expect(report.batches.length).toBeGreaterThanOrEqual(5);
    expect(report.rule).toBe('tuned');
    expect(report.baseRule).toBe('noise');
    expect(report.trials).toHaveLength(3 * report.batches.length);
    expect(report.analysis.prediction?.recommendedRegret).toBeGreaterThanOrEqual(1);
    expect(report.analysis.summary[0]).toMatch(/^find's recommendation, batch \d+/);
    expect(r.stdout.trim()).toMatch(/^fastest batch \d+, recommendation \d+ at \d\.\d\dx$/);
  });

  it('without a report, --batches auto runs find first and centers on its recommendation', async () => {
    const json = join(dir, 'find-first.json');
    const r = await batchwise(...FAKE, '--json', json);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no --from-report: running find first/);
    const recommended = /find recommends batch (\d+)/.exec(r.stderr)?.[1];
    const report = readReport(json);
    expect(report.basis.recommendedBatch).toBe(Number(recommended));
    expect(report.batches).toContain(Number(recommended));
  });

  it('a trial that fails is recorded with its reason and the sweep goes on', async () => {
    const json = join(dir, 'failed.json');
    const r = await batchwise(
      ...FAKE,
      // 64 MiB + 0.25 MiB per example: batch 256 needs 128 MiB.
      ...['--batches', '8,32,256', '--memory-budget', '96MiB', '--json', json],
    );
    expect(r.code).toBe(0);
    const report = readReport(json);
    const failed = report.trials.find((t) => t.batchSize === 256);
    expect(failed?.outcome).toBe('oom');
    expect(failed?.message).toMatch(/over the budget/);
    expect(r.stderr).toMatch(/b256-lr1-r0: oom: /);
    expect(report.trials.filter((t) => t.outcome === 'reached')).toHaveLength(2);
    expect(report.analysis.fit).toMatchObject({ kind: 'insufficient' });
  });

  it('Ctrl-C keeps the finished trials; --resume trains only the others, once', async () => {
    const store = join(dir, 'interrupted.sqlite');
    const args = [...FAKE, '--batches', '8,16,32,64', '--workers', '1', '--fake-step-delay', '20'];
    const { child } = await sweepUntil([...args, '--store', store], 1);
    child.kill('SIGINT');
    expect(await exited(child)).toBe(130);
    const before = storedTrials(store);
    expect(before.run.status).toBe('interrupted');
    const finished = before.events.filter((e) => e.type === 'trial-end' && e.outcome === 'reached');
    expect(finished.length).toBeGreaterThanOrEqual(1);
    const json = join(dir, 'resumed.json');
    const r = await batchwise('sweep', '--resume', '--store', store, '--json', json);
    expect(r.code).toBe(0);
    const report = readReport(json);
    expect(report.status).toBe('complete');
    expect(report.trials.map((t) => t.batchSize)).toEqual([8, 16, 32, 64]);
    expect(report.messages.join()).toMatch(/resumed sweep .*: \d+ finished trial\(s\) kept/);
    const after = storedTrials(store);
    // A finished trial is never trained again: one start per finished trial from before.
    for (const end of finished) {
      const starts = after.events.filter((e) => e.type === 'trial-start' && e.id === end.id);
      expect(starts).toHaveLength(1);
    }
  }, 60_000);

  it('a killed coordinator loses no finished trial', async () => {
    const store = join(dir, 'killed.sqlite');
    const args = [...FAKE, '--batches', '8,16,32', '--workers', '1', '--fake-step-delay', '20'];
    const { child } = await sweepUntil([...args, '--store', store], 1);
    child.kill('SIGKILL');
    await exited(child);
    const before = storedTrials(store);
    expect(before.run.status).toBe('running');
    const done = before.events.filter((e) => e.type === 'trial-end').length;
    expect(done).toBeGreaterThanOrEqual(1);
    const json = join(dir, 'killed.json');
    const r = await batchwise('sweep', '--resume', '--store', store, '--json', json);
    expect(r.code).toBe(0);
    expect(readReport(json).trials.filter((t) => t.outcome === 'reached')).toHaveLength(3);
  }, 60_000);

  it('a worker killed from outside is a recorded outcome, not a crash', async () => {
    const json = join(dir, 'worker-killed.json');
    const args = [...FAKE, '--batches', '8,16', '--workers', '1', '--fake-step-delay', '30'];
    const child = spawn(process.execPath, [BIN, ...args, '--no-store', '--json', json], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The first worker: a child of the sweep running trial-worker.
    let worker = '';
    for (let i = 0; i < 100 && worker === ''; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        worker =
          execFileSync('pgrep', ['-P', String(child.pid), '-f', 'trial-worker'])
            .toString()
            .trim()
            .split('\n')[0] ?? '';
      } catch {
        worker = '';
      }
    }
    expect(worker).not.toBe('');
    process.kill(Number(worker), 'SIGKILL');
    expect(await exited(child)).toBe(0);
    const report = readReport(json);
    const killed = report.trials.find((t) => t.batchSize === 8);
    expect(killed?.outcome).toBe('oom');
    expect(killed?.message).toMatch(/killed by SIGKILL/);
    expect(report.trials.find((t) => t.batchSize === 16)?.outcome).toBe('reached');
  }, 60_000);

  it("a user's command trains each trial, with {lr}, {seed} and validation through eval events", async () => {
    const json = join(dir, 'command.json');
    const cmd = `node --import tsx ${FAKE_TRAINER} --batch-size {batch} --steps {steps} --seed {seed} --lr {lr} --eval-every {eval_every} --telemetry {telemetry}`;
    const r = await batchwise(
      ...['sweep', '--engine', 'command', '--cmd', cmd, '--lr', '0.001', '--lr-rule', 'linear'],
      ...['--batches', '8,32,128', '--target-metric', 'loss<=1.2', '--json', json],
    );
    expect(r.code).toBe(0);
    const report = readReport(json);
    expect(report.trials.map((t) => t.outcome)).toEqual(['reached', 'reached', 'reached']);
    // Linear rule from 0.001 at 32.
    expect(report.trials.map((t) => t.learningRate)).toEqual([0.00025, 0.001, 0.004]);
    for (const t of report.trials) {
      expect(t.curve.length).toBeGreaterThan(2);
      expect(t.validationLoss).toBeLessThanOrEqual(1.2);
    }
  });

  it('bad input: one line each, nothing trained', async () => {
    const noTarget = await batchwise('sweep', '--engine', 'fake', '--batches', '8');
    expect(noTarget.code).toBe(2);
    expect(oneLine(noTarget.stderr)).toMatch(/a sweep trains to a target: give --target-loss/);
    const notReport = join(dir, 'not-a-report.json');
    writeFileSync(notReport, '{"hello": 1}');
    const bad = await batchwise(...FAKE, '--from-report', notReport);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toMatch(/is not a batchwise find report/);
    const tooBig = await batchwise(...FAKE, '--batches', '100000', '--data-option', 'examples=500');
    expect(tooBig.code).toBe(2);
    expect(oneLine(tooBig.stderr)).toMatch(/no batch size fits the \d+ training examples/);
  });
});
