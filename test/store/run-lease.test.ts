// The run lease with real processes: a child process that claims a run holds it (our claim is
// refused with one line naming its pid and host) until it is killed (SIGKILL: then the lease is
// stale and taken over); two children racing for a run: exactly one wins. Also the lease's end
// (setStatus, close) and a pid reused by another process.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchwiseError } from '../../src/errors.js';
import { RunStore } from '../../src/store/run-store.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-lease-'));
const HOLDER = new URL('./fixtures/lease-holder.ts', import.meta.url).pathname;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A child process running lease-holder.ts, with its stdout as a queue of lines. */
function holder(store: string, runId: string, waitGo = false) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', HOLDER, store, runId, ...(waitGo ? ['--wait-go'] : [])],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  children.push(child);
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else lines.push(line);
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    child,
    exited,
    nextLine: () =>
      new Promise<string>((resolve) => {
        const line = lines.shift();
        if (line !== undefined) resolve(line);
        else waiting.push(resolve);
      }),
  };
}

function newStore(name: string): { path: string; store: RunStore; runId: string } {
  const path = join(dir, `${name}.sqlite`);
  const store = RunStore.open(path);
  const runId = store.createRun({ command: [], options: {}, spec: { model: 'mlp' } });
  return { path, store, runId };
}

function refusal(action: () => void): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(BatchwiseError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('run lease', () => {
  it('createRun claims the run; another process is refused until the run is released', async () => {
    const { path, store, runId } = newStore('created');
    expect(store.runLiveness(runId)).toMatchObject({
      state: 'live',
      writer: { pid: process.pid, host: hostname() },
    });
    store.claimRun(runId); // our own lease: fine, again

    const refused = holder(path, runId);
    const line = await refused.nextLine();
    expect(line).toMatch(
      new RegExp(
        `^refused: run ${runId} is being measured by process ${process.pid} on ${hostname()} since \\S+; wait for it or stop it first$`,
      ),
    );
    await refused.exited;

    store.releaseRun(runId);
    expect(store.runLiveness(runId)).toEqual({ state: 'gone' });
    const taker = holder(path, runId);
    expect(await taker.nextLine()).toBe('claimed');
    taker.child.kill('SIGKILL');
    await taker.exited;
    store.close();
  });

  it("a live child's lease refuses our claim; after SIGKILL it is stale and taken over", async () => {
    const { path, store, runId } = newStore('killed');
    store.releaseRun(runId);
    const child = holder(path, runId);
    expect(await child.nextLine()).toBe('claimed');
    const pid = child.child.pid!;

    const message = refusal(() => store.claimRun(runId));
    expect(message).toMatch(
      new RegExp(`^run ${runId} is being measured by process ${pid} on ${hostname()} since `),
    );
    expect(message.split('\n')).toHaveLength(1);
    expect(refusal(() => store.setStatus(runId, 'running'))).toBe(message);
    expect(store.runLiveness(runId)).toMatchObject({ state: 'live', writer: { pid } });

    child.child.kill('SIGKILL');
    await child.exited; // reaped: the pid no longer exists
    expect(store.runLiveness(runId)).toMatchObject({ state: 'gone', writer: { pid } });
    store.claimRun(runId);
    expect(store.runLiveness(runId)).toMatchObject({
      state: 'live',
      writer: { pid: process.pid },
    });
    store.close();
  });

  it('two processes claiming the same run at once: exactly one wins', async () => {
    const { path, store, runId } = newStore('race');
    store.releaseRun(runId);
    const racers = [holder(path, runId, true), holder(path, runId, true)];
    for (const racer of racers) expect(await racer.nextLine()).toBe('ready');
    for (const racer of racers) racer.child.stdin!.write('go\n');
    const outcomes = await Promise.all(racers.map((racer) => racer.nextLine()));
    const winners = outcomes.flatMap((line, i) => (line === 'claimed' ? [racers[i]!] : []));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    const loser = outcomes.find((line) => line !== 'claimed')!;
    expect(loser).toMatch(
      new RegExp(`^refused: run ${runId} is being measured by process ${winner.child.pid} on `),
    );
    expect(store.runLiveness(runId)).toMatchObject({
      state: 'live',
      writer: { pid: winner.child.pid },
    });
    store.close();
  });

  it('an ending status and close() release the lease; a reused pid does not hold it', async () => {
    const { path, store, runId } = newStore('release');
    store.setStatus(runId, 'interrupted');
    expect(store.runLiveness(runId)).toEqual({ state: 'gone' });
    store.setStatus(runId, 'running');
    expect(store.runLiveness(runId).state).toBe('live');
    store.close();
    const reader = RunStore.open(path, { readOnly: true });
    expect(reader.runLiveness(runId)).toEqual({ state: 'gone' });
    reader.close();

    // A lease naming a live process's pid but another start: that pid was reused, the lease is stale.
    const other = holder(path, runId, true); // alive, waiting for a "go" it never gets
    expect(await other.nextLine()).toBe('ready');
    const db = new Database(path);
    db.prepare(
      'INSERT OR REPLACE INTO leases (run_id, pid, host, process_start, since) VALUES (?, ?, ?, ?, ?)',
    ).run(runId, other.child.pid, hostname(), 'another-boot:1', new Date().toISOString());
    db.close();
    const again = RunStore.open(path);
    // Linux tells the start of a process (/proc/PID/stat); elsewhere a live pid holds the lease.
    const linux = process.platform === 'linux';
    expect(again.runLiveness(runId).state).toBe(linux ? 'gone' : 'live');
    if (linux) again.claimRun(runId);
    again.close();
  });
});
