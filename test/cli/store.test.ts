// The run store through the real binary: a `find` killed with SIGKILL in the middle of the
// throughput probe keeps every committed measurement, and `find --resume` completes it with
// nothing lost or repeated; `runs`, `show` and `report RUN` read the store; bad stores and
// conflicting options are one line each.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { findReportSchema } from '../../src/report/find-report-schema.js';
import { BIN, batchwise } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-store-cli-'));

interface EventRow {
  sequence: number;
  kind: string;
  payload: string;
}

/** The committed events of every run, read as another process would (WAL: readers never block). */
function readEvents(store: string): EventRow[] {
  const db = new Database(store, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT sequence, kind, payload FROM events ORDER BY sequence')
      .all() as EventRow[];
  } finally {
    db.close();
  }
}

function batchSizesOf(events: EventRow[], kind: 'memory-trial' | 'throughput-point'): number[] {
  return events
    .filter((e) => e.kind === kind)
    .map((e) => {
      const payload = JSON.parse(e.payload);
      return kind === 'memory-trial' ? payload.trial.batchSize : payload.point.batchSize;
    });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('run store: SIGKILL and --resume', () => {
  it('keeps every committed measurement after SIGKILL; --resume completes the run with none lost or repeated', async () => {
    const store = join(dir, 'killed.sqlite');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'find',
        '--engine',
        'fake',
        '--noise-measurements',
        '10',
        '--store',
        store,
        '--fake-step-delay',
        '25',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('close', (_code, signal) => resolve(signal)),
    );
    // Wait until the throughput phase started and at least one point is committed.
    let before: EventRow[] = [];
    for (let i = 0; i < 400; i++) {
      await sleep(25);
      try {
        before = readEvents(store);
      } catch {
        continue; // not created yet
      }
      if (batchSizesOf(before, 'throughput-point').length >= 1) break;
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(stderr).toMatch(/storing run \S+ in/);

    const afterKill = readEvents(store);
    const trialsBefore = batchSizesOf(before, 'memory-trial');
    const pointsBefore = batchSizesOf(before, 'throughput-point');
    expect(pointsBefore.length).toBeGreaterThanOrEqual(1);
    expect(trialsBefore.length).toBeGreaterThanOrEqual(2);
    // Everything seen committed before the kill is still there, in order.
    expect(afterKill.slice(0, before.length)).toEqual(before);
    const pointsAtKill = batchSizesOf(afterKill, 'throughput-point');
    expect(pointsAtKill.length).toBeLessThan(8); // killed in the middle of the throughput probe

    const runs = await batchwise('runs', '--store', store);
    expect(runs.code).toBe(0);
    // Stored as running, but its process is gone: the lease tells it was killed.
    const runId = /^(\d{8}-\d{6}-[0-9a-f]{4})\s.*\skilled\s/m.exec(runs.stdout)?.[1];
    expect(runId).toBeDefined();

    const partial = await batchwise('show', runId!, '--store', store);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toMatch(/find --resume/);
    expect(partial.stdout).toMatch(/Killed\s+no process is measuring it/);
    expect(partial.stdout).toMatch(new RegExp(`Throughput points\\s+${pointsAtKill.length}`));

    const json = join(dir, 'resumed.json');
    const resumed = await batchwise('find', '--resume', '--store', store, '--json', json);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`resuming run ${runId}`);

    const all = readEvents(store);
    const trials = batchSizesOf(all, 'memory-trial');
    const points = batchSizesOf(all, 'throughput-point');
    // Each engine measurement is stored once: none repeated after the resume...
    expect(new Set(trials).size).toBe(trials.length);
    expect(new Set(points).size).toBe(points.length);
    expect(trials).toEqual(batchSizesOf(afterKill, 'memory-trial')); // the search had finished
    expect(points.slice(0, pointsAtKill.length)).toEqual(pointsAtKill);

    // ...and the report holds the union: every trial and point, the reused ones as measured.
    const report = findReportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    expect(report.status).toBe('complete');
    expect(report.memory.trials.map((t) => t.batchSize)).toEqual(trials);
    expect(report.throughput.points.map((p) => p.batchSize)).toEqual(points);
    expect(points).toHaveLength(8);
    const killedPoints = afterKill
      .filter((e) => e.kind === 'throughput-point')
      .map((e) => JSON.parse(e.payload).point);
    for (const [i, point] of killedPoints.entries())
      expect(report.throughput.points[i]!.stepSeconds).toEqual(point.stepSeconds);
    expect(report.messages.join(' ')).toMatch(/noise probe ran again from the initial weights/);
    expect(report.recommendation).not.toBeNull();

    const listed = await batchwise('runs', '--store', store);
    expect(listed.stdout).toMatch(
      new RegExp(`${runId}.*complete\\s+${report.recommendation!.batchSize}\\s*$`, 'm'),
    );
    const shown = await batchwise('show', runId!, '--store', store);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/Recommended batch size\s+\d+/);
    const shownJson = await batchwise('show', runId!, '--store', store, '--json');
    expect(findReportSchema.parse(JSON.parse(shownJson.stdout)).status).toBe('complete');
    const html = join(dir, 'run.html');
    const rendered = await batchwise('report', runId!, '--store', store, '--html', html);
    expect(rendered.code).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('batchwise-report');

    const again = await batchwise('find', '--resume', '--store', store);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/no interrupted run to resume/);
  });
});

describe('run store: bad input', () => {
  it('--resume refuses workload options, and --no-store with it', async () => {
    const store = join(dir, 'refuse.sqlite');
    const r = await batchwise('find', '--resume', '--store', store, '--model', 'cnn', '--lr', '1');
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      'batchwise: --resume continues a stored run with its own workload and settings; drop --model, --lr',
    ]);
    const n = await batchwise('find', '--resume', '--no-store');
    expect(n.stderr).toMatch(/--resume reads the run store; drop --no-store/);
  });

  it('a foreign store file is one line and is not touched; --no-store runs without it', async () => {
    const store = join(dir, 'foreign.sqlite');
    writeFileSync(store, 'my notes, not a database\n');
    const before = readFileSync(store);
    for (const args of [
      ['find', '--engine', 'fake', '--store', store],
      ['runs', '--store', store],
      ['show', 'x', '--store', store],
    ]) {
      const r = await batchwise(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/is not a batchwise run store \(not an SQLite database\)/);
    }
    expect(readFileSync(store).equals(before)).toBe(true);
    const skip = await batchwise(
      'find',
      '--engine',
      'fake',
      '--noise-measurements',
      '5',
      '--no-store',
      '--quiet',
    );
    expect(skip.code).toBe(0);
  });

  it('show and runs name a missing run or store in one line', async () => {
    const missing = await batchwise('runs', '--store', join(dir, 'none.sqlite'));
    expect(missing.stderr).toMatch(/no run store at/);
    const store = join(dir, 'one.sqlite');
    const made = await batchwise(
      'find',
      '--engine',
      'fake',
      '--noise-measurements',
      '5',
      '--store',
      store,
      '--quiet',
    );
    expect(made.code).toBe(0);
    const r = await batchwise('show', 'nope', '--store', store);
    expect(r.stderr.trim()).toMatch(/^batchwise: no run "nope" in .*one\.sqlite/);
  });
});
