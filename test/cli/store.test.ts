// The run store through the real binary: a `find` killed with SIGKILL in the middle of the
// throughput probe keeps every committed measurement, and `find --resume` completes it with
// nothing lost or repeated; a run still measuring cannot be resumed by a second process;
// `runs`, `show` and `report RUN` read the store; bad stores (read-only file or folder,
// unwritable working folder, damaged file) and conflicting options are one line each.

import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { findReportSchema } from '../../src/report/find-report-schema.js';
import { BIN, batchwise, type CliResult } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-store-cli-'));
chmodSync(dir, 0o755); // the tests that run as another user (below) must reach their folders

/**
 * Permissions do not stop root: run as root, the tests that take write permission away run the
 * binary as the user nobody (uid 65534), for whom they do; run as anyone else, as that user.
 */
const AS_OTHER_USER = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** The binary as a user without the permissions the test took away, in `cwd`, no $BATCHWISE_STORE. */
async function batchwiseRestricted(cwd: string, ...args: string[]): Promise<CliResult> {
  const { BATCHWISE_STORE: _unset, ...env } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd,
      env,
      ...AS_OTHER_USER,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A closed store with one complete run, made by the binary; returns its id. */
async function makeStore(store: string): Promise<string> {
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
  const runs = await batchwise('runs', '--store', store);
  return /^(\d{8}-\d{6}-[0-9a-f]{4})\s/m.exec(runs.stdout)![1]!;
}

function expectOneLine(result: CliResult, pattern: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr.trim()).toMatch(pattern);
}

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

describe('run store: faults are one line each', () => {
  const findArgs = ['find', '--engine', 'fake', '--noise-measurements', '5', '--quiet'];

  it('a read-only store file: find says so and leaves it unchanged; runs and show read it', async () => {
    // Real condition: file mode 0444 in a writable folder, the binary run as a user who is not its owner.
    const folder = join(dir, 'read-only-file');
    mkdirSync(folder);
    const store = join(folder, 'runs.sqlite');
    const runId = await makeStore(store);
    chmodSync(store, 0o444);
    chmodSync(folder, 0o777);
    const before = readFileSync(store);
    const find = await batchwiseRestricted(folder, ...findArgs, '--store', store);
    expectOneLine(
      find,
      new RegExp(
        `^batchwise: the run store ${store} is read-only \\(the file is not writable\\); use --store PATH for another file or --no-store$`,
      ),
    );
    expect(readFileSync(store).equals(before)).toBe(true);
    const runs = await batchwiseRestricted(folder, 'runs', '--store', store);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toContain(runId);
    const show = await batchwiseRestricted(folder, 'show', runId, '--store', store);
    expect(show.stdout).toMatch(/Recommended batch size/);
  });

  it('a valid store in a read-only folder: runs, show and serve read it; find says so', async () => {
    // Real condition: folder mode 0555 (SQLite cannot create the -shm and -wal files WAL needs),
    // the file itself writable, the binary run as a user who is not the folder's owner.
    const made = join(dir, 'made-elsewhere.sqlite');
    const runId = await makeStore(made);
    const folder = join(dir, 'read-only-folder');
    mkdirSync(folder);
    const store = join(folder, 'runs.sqlite');
    copyFileSync(made, store);
    chmodSync(store, 0o666);
    chmodSync(folder, 0o555);
    const before = readFileSync(store);

    const runs = await batchwiseRestricted(folder, 'runs', '--store', store);
    expect(runs.stderr).toBe('');
    expect(runs.stdout).toMatch(new RegExp(`^${runId}\\s.*\\scomplete\\s`, 'm'));
    const show = await batchwiseRestricted(folder, 'show', runId, '--store', store, '--json');
    expect(findReportSchema.parse(JSON.parse(show.stdout)).status).toBe('complete');

    const serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', store], {
      cwd: folder,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...AS_OTHER_USER,
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: serve.stdout! }).once('line', resolve);
        serve.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const url = /(http:\/\/\S+\/)/.exec(line)![1]!;
      const api = (await (await fetch(`${url}api/runs`)).json()) as { runs: { id: string }[] };
      expect(api.runs.map((r) => r.id)).toEqual([runId]);
    } finally {
      serve.kill('SIGKILL');
    }

    const find = await batchwiseRestricted(folder, ...findArgs, '--store', store);
    expectOneLine(
      find,
      new RegExp(
        `^batchwise: the run store ${store} is read-only \\(its folder ${folder} is not writable, and SQLite needs to create ${store}-wal there\\); use --store PATH for another file or --no-store$`,
      ),
    );
    expect(readdirSync(folder)).toEqual(['runs.sqlite']);
    expect(readFileSync(store).equals(before)).toBe(true);
  });

  it('an unwritable working folder: find names the folder and the flags; --no-store runs', async () => {
    // Real condition: the working folder has mode 0555, the binary runs there as a user who is
    // not its owner, with the default store .batchwise/runs.sqlite.
    const cwd = join(dir, 'unwritable-cwd');
    mkdirSync(cwd);
    chmodSync(cwd, 0o555);
    const find = await batchwiseRestricted(cwd, ...findArgs);
    expectOneLine(
      find,
      new RegExp(
        `^batchwise: cannot create the run store \\.batchwise/runs\\.sqlite: the folder ${cwd}/\\.batchwise cannot be created: ${cwd} is not writable \\(permission denied\\); use --store PATH for another file or --no-store$`,
      ),
    );
    const skip = await batchwiseRestricted(cwd, ...findArgs, '--no-store');
    expect(skip.code).toBe(0);
  });

  it('a store path whose folder is a file (EEXIST from mkdir) is one line', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x\n');
    const r = await batchwise(...findArgs, '--store', join(file, 'runs.sqlite'));
    expectOneLine(
      r,
      new RegExp(
        `^batchwise: cannot create the run store ${file}/runs\\.sqlite: ${file} is a file, not a folder; use --store PATH for another file or --no-store$`,
      ),
    );
  });

  it('a damaged store: runs, show and find each say so in one line and leave it unchanged', async () => {
    // Real condition: a store with runs whose `runs` table root page (in the middle of the file)
    // had its b-tree page header overwritten with 0xff bytes.
    const store = join(dir, 'damaged.sqlite');
    const runId = await makeStore(store);
    await makeStore(store);
    const db = new Database(store, { readonly: true });
    const { rootpage } = db
      .prepare("SELECT rootpage FROM sqlite_master WHERE name = 'runs'")
      .get() as { rootpage: number };
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const pageCount = Number(db.pragma('page_count', { simple: true }));
    db.close();
    expect(rootpage).toBeGreaterThan(1);
    expect(rootpage).toBeLessThan(pageCount);
    const fd = openSync(store, 'r+');
    writeSync(fd, Buffer.alloc(16, 0xff), 0, 16, (rootpage - 1) * pageSize);
    closeSync(fd);
    const before = readFileSync(store);
    const damaged = new RegExp(
      `^batchwise: the run store ${store} is damaged \\(.+\\); it was left unchanged: move it away to start a new store, or use --store PATH for another file$`,
    );
    for (const args of [
      ['runs', '--store', store],
      ['show', runId, '--store', store],
      [...findArgs, '--store', store],
      ['find', '--resume', '--store', store],
    ]) {
      const r = await batchwise(...args);
      expectOneLine(r, damaged);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(readFileSync(store).equals(before)).toBe(true);
  });
});

describe('run store: one process measures a run', () => {
  it('find --resume of a run still measuring is refused; runs and show tell running from killed', async () => {
    const store = join(dir, 'live.sqlite');
    // A slow fake run (each step and trial waits 500 ms), killed by the test once it has checked.
    const child = spawn(
      process.execPath,
      [BIN, 'find', '--engine', 'fake', '--store', store, '--fake-step-delay', '500', '--quiet'],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      let events: EventRow[] = [];
      while (events.length === 0) {
        await sleep(50);
        try {
          events = readEvents(store);
        } catch {
          // not created yet
        }
      }
      const runs = await batchwise('runs', '--store', store);
      const runId = /^(\d{8}-\d{6}-[0-9a-f]{4})\s.*\srunning\s/m.exec(runs.stdout)?.[1];
      expect(runId).toBeDefined();
      const show = await batchwise('show', runId!, '--store', store);
      expect(show.stdout).toMatch(
        new RegExp(`Measured now by\\s+process ${child.pid} on ${hostname()} since `),
      );
      const resume = await batchwise('find', '--resume', runId!, '--store', store);
      expectOneLine(
        resume,
        new RegExp(
          `^batchwise: run ${runId} is being measured by process ${child.pid} on ${hostname()} since \\S+; wait for it or stop it first$`,
        ),
      );
      child.kill('SIGKILL');
      await exited;
      const after = await batchwise('runs', '--store', store);
      expect(after.stdout).toMatch(new RegExp(`^${runId}\\s.*\\skilled\\s`, 'm'));
    } finally {
      child.kill('SIGKILL');
    }
  });
});
