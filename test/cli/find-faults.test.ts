// The faults `find` must survive (issue 10), each through the real binary: a memory budget above
// what the backend holds, a resume of a live run and two resumes at once, a learning rate that
// diverges, output paths that cannot be written or would overwrite an input, a trial that times
// out, and an engine that breaks in-process (its run never resumed).

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findReportSchema } from '../../src/report/find-report-schema.js';
import { RunStore } from '../../src/store/run-store.js';
import { BIN, batchwise } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-faults-'));
const FAKE = ['--engine', 'fake', '--noise-measurements', '6', '--noise-every', '2'];

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return lines[0] ?? '';
}

function readReport(path: string) {
  return findReportSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

function runsIn(store: string) {
  const opened = RunStore.open(store, { readOnly: true });
  try {
    return opened.listRuns();
  } finally {
    opened.close();
  }
}

/** A slow fake run in the background, resolved once it has stored its run. */
function slowRun(args: string[]): Promise<{ child: ChildProcess; runId: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /(?:storing|resuming) run (\S+)/.exec(stderr);
      if (match?.[1] && stderr.includes('memory: batch')) resolve({ child, runId: match[1] });
    });
    child.on('close', (code) => reject(new Error(`exited ${code} before storing: ${stderr}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on('close', resolve);
  });
}

describe('find: the memory budget', () => {
  it('caps a budget above what wasm holds, with a note, and finds the real ceiling', async () => {
    const json = join(dir, 'budget.json');
    const r = await batchwise(
      ...['--model-option', 'hiddenUnits=16384', '--data-option', 'examples=20000'],
      ...['--data-option', 'features=1', '--memory-budget', '1TB', '--max-batch', '20000'],
      ...['--noise-seconds', '1', '--json', json],
    );
    expect(r.stderr).not.toMatch(/unexpected error|Cannot read properties/);
    expect(r.stderr).toMatch(/more than the wasm backend can hold; using 2\.50 GiB/);
    const report = readReport(json);
    expect(report.settings.memoryBudgetBytes).toBe(2.5 * 1024 ** 3);
    // Before the cap: "Memory ceiling 16" from poisoned trials; the real one is about 5,800.
    expect(report.memory.status).toBe('found');
    expect(report.memory.maxBatch).toBeGreaterThan(4000);
    expect(report.memory.trials.every((t) => t.outcome === 'ok' || t.outcome === 'oom')).toBe(true);
  }, 240_000);
});

describe('find: divergence', () => {
  it('a caching allocator OOMs below the line: the ceiling and where it fails, to --memory-tolerance', async () => {
    const json = join(dir, 'gap.json');
    const r = await batchwise(
      ...FAKE,
      ...['--data-option', 'allocatorGap=0.06', '--memory-tolerance', '0.01'],
      ...['--json', json, '--no-store'],
    );
    expect(r.code).toBe(0);
    const report = readReport(json);
    const { maxBatch, failedAt } = report.memory;
    expect(report.memory.basis).toBe('memory-model');
    expect(failedAt).toBeGreaterThan(maxBatch!);
    expect(maxBatch!).toBeGreaterThanOrEqual(0.99 * (failedAt! - 1));
    const ceiling = report.memory.trials.filter((t) => t.batchSize === maxBatch);
    expect(ceiling.map((t) => t.outcome)).toEqual(['ok']);
    expect(r.stdout).toMatch(
      /Memory ceiling +[\d,]+ \(fails by [\d,]+; [\d,.]+ [KMG]iB at that batch; budget /,
    );

    // With no memory counter: doubling and bisection on outcomes, and the run says so.
    const blind = join(dir, 'no-peaks.json');
    const b = await batchwise(
      ...FAKE,
      ...['--data-option', 'omitPeakBytes=1', '--json', blind, '--no-store'],
    );
    expect(b.code).toBe(0);
    expect(readReport(blind).memory.basis).toBe('oom-outcomes');
    expect(b.stdout).toMatch(/memory: the engine reported no peak memory/);
  });

  it('--lr 1000 ends with no recommendation and exit 3, throughput still timed', async () => {
    const json = join(dir, 'diverged.json');
    const r = await batchwise('--lr', '1000', '--noise-seconds', '5', '--json', json);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /no recommendation: training diverged at learning rate 1000: the loss became NaN .*lower --lr/,
    );
    expect(r.stdout).not.toMatch(/Recommended batch size/);
    const report = readReport(json);
    expect(report.status).toBe('failed');
    expect(report.recommendation).toBeNull();
    expect(report.throughput.points.filter((p) => p.outcome === 'ok').length).toBeGreaterThan(3);
  }, 120_000);
});

describe('find: output paths', () => {
  it('an output folder that does not exist is refused before anything is measured', async () => {
    for (const flag of ['--json', '--markdown', '--html']) {
      const store = join(mkdtempSync(join(tmpdir(), 'batchwise-out-')), 'runs.sqlite');
      const r = await batchwise(flag, '/nonexistent/d/r.out', '--store', store);
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toMatch(
        new RegExp(`${flag} /nonexistent/d/r.out: the folder /nonexistent/d does not exist`),
      );
      expect(existsSync(store) ? runsIn(store) : []).toHaveLength(0);
    }
    const r = await batchwise('report', 'nope.json', '--html', '/nonexistent/d/r.html');
    expect(oneLine(r.stderr)).toMatch(/--html \/nonexistent\/d\/r.html: the folder/);
  });

  it('never overwrites an input', async () => {
    const csv = join(dir, 'input.csv');
    const text = ['a,b,label', ...Array.from({ length: 40 }, (_, i) => `${i},${i % 7},${i % 2}`)];
    writeFileSync(csv, `${text.join('\n')}\n`);
    const before = readFileSync(csv);
    const r = await batchwise('--data', csv, '--label', 'label', '--json', csv);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--json .*input\.csv would overwrite the input --data/);
    expect(readFileSync(csv).equals(before)).toBe(true);
  });

  it('--json - writes the report to standard output and the summary to standard error', async () => {
    const r = await batchwise(...FAKE, '--json', '-');
    expect(r.code).toBe(0);
    const report = findReportSchema.parse(JSON.parse(r.stdout));
    expect(report.status).toBe('complete');
    expect(r.stderr).toMatch(/Recommended batch size/);
    expect(existsSync('-')).toBe(false);
  });
});

describe('find: memory searches that stop for other reasons', () => {
  it('a trial timeout after batch 1 fitted is no ceiling of 1 and no complete report', async () => {
    const json = join(dir, 'timeout.json');
    const r = await batchwise(...FAKE, '--data-option', 'timeoutAtBatch=16', '--json', json);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /no recommendation: memory: batch 16: timeout .*unknown above batch 1/,
    );
    const report = readReport(json);
    expect(report.status).toBe('failed');
    expect(report.memory.status).toBe('stopped');
    expect(report.memory.maxBatch).toBeNull();
  });

  it('a broken engine ends the run as failed, and that run is never resumed', async () => {
    const store = join(dir, 'broken.sqlite');
    const json = join(dir, 'broken.json');
    const r = await batchwise(
      ...FAKE,
      ...['--data-option', 'brokenAtBatch=16', '--store', store, '--json', json],
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed in-process .*will not be resumed/);
    const report = readReport(json);
    expect(report.status).toBe('failed');
    expect(report.throughput.points).toHaveLength(0);
    const [run] = runsIn(store);
    expect(run?.status).toBe('failed');
    const resumed = await batchwise('--resume', run?.id ?? '', '--store', store);
    expect(resumed.code).toBe(2);
    expect(oneLine(resumed.stderr)).toMatch(/failed, so it is not resumed/);
  });
});

describe('find --resume: one writer per run', () => {
  it('refuses to resume a live run, and resumes it once its process is killed', async () => {
    const store = join(dir, 'live.sqlite');
    const slow = ['--fake-step-delay', '40', '--store', store];
    const { child, runId } = await slowRun([...FAKE, ...slow]);
    try {
      const r = await batchwise('--resume', runId, '--store', store);
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toMatch(
        new RegExp(`run ${runId} is being measured by process ${child.pid}`),
      );
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    // Two resumes at once: exactly one writes into the run, the other is refused.
    const both = await Promise.all([
      batchwise('--resume', runId, '--store', store),
      batchwise('--resume', runId, '--store', store),
    ]);
    expect(both.map((r) => r.code).sort()).toEqual([0, 2]);
    const refused = both.find((r) => r.code === 2);
    expect(oneLine(refused?.stderr ?? '')).toMatch(/is being measured by process/);
    const [run] = runsIn(store);
    expect(run?.status).toBe('complete');
  }, 120_000);
});

describe('find: misleading messages', () => {
  it('an unknown built-in model is named as such', async () => {
    const r = await batchwise('--model', 'nosuch');
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/unknown model 'nosuch': use one of mlp, cnn, text, lm/);
  });
});
