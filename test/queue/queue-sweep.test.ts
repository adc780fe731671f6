// Sweeps on workers through a real Redis (Debian's redis-server on a port of its own) and real
// processes: `batchwise sweep --queue` as the coordinator, `batchwise worker` as separate
// processes. Two workers finish one sweep together; a worker SIGKILLed mid-trial loses nothing
// (its trial runs again elsewhere and counts once); a SIGKILLed coordinator resumes and
// re-attaches; a Redis restart is waited out; a trial that fails on every attempt is recorded
// with its last error; a worker never runs a command unless told to.

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { trialJobOf } from '../../src/queue/trial-job.js';
import { RunStore } from '../../src/store/run-store.js';
import { trialEventsOf } from '../../src/sweep/sweep-config.js';
import { sweepReportSchema } from '../../src/sweep/sweep-report.js';
import { FAKE_TRAINER } from '../engines/command/fake-trainer-command.js';
import { type RedisServer, skipRedis, startRedis } from '../support/redis-server.js';
import { BIN } from '../support/run-cli.js';
import { trialSpecFor } from '../support/trial-spec.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'batchwise-queue-'));
const FAKE = ['sweep', '--engine', 'fake', '--target-loss', '0.5', '--lr-rule', 'linear'];

interface Proc {
  readonly child: ChildProcess;
  /** Standard error so far. */
  stderr(): string;
  /** Resolves once standard error matches (rejects if the process ends first). */
  waitFor(pattern: RegExp, count?: number): Promise<void>;
  exited(): Promise<number | null>;
}

const started: Proc[] = [];
const servers: RedisServer[] = [];

afterEach(async () => {
  for (const p of started.splice(0)) p.child.kill('SIGKILL');
  for (const s of servers.splice(0)) await s.stop();
});

function run(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of [...waiters]) w();
  });
  child.stdout?.resume();
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const proc: Proc = {
    child,
    stderr: () => stderr,
    waitFor: (pattern, count = 1) =>
      new Promise((resolve, reject) => {
        const global = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
        const check = () => {
          if ((stderr.match(global) ?? []).length >= count) resolve();
        };
        waiters.push(check);
        check();
        void done.then(() => reject(new Error(`ended before ${pattern}: ${stderr}`)));
      }),
    exited: () => done,
  };
  started.push(proc);
  return proc;
}

function worker(url: string, ...extra: string[]): Proc {
  return run(['worker', '--queue', url, '--lock-seconds', '2', ...extra]);
}

async function redis(options?: Parameters<typeof startRedis>[0]): Promise<RedisServer> {
  const server = await startRedis(options);
  servers.push(server);
  return server;
}

function readReport(path: string) {
  return sweepReportSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

function storedEvents(store: string) {
  const opened = RunStore.open(store, { readOnly: true });
  try {
    const [run] = opened.listRuns();
    if (!run) throw new Error('no run');
    return trialEventsOf(opened.events(run.id));
  } finally {
    opened.close();
  }
}

/** How many times each trial was started by the workers whose logs these are. */
function startsByTrial(...logs: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of logs.join('\n').matchAll(/trial (\S+) of sweep \S+: started/g)) {
    const id = m[1] ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe.skipIf(skipRedis())('sweeps on workers through Redis', () => {
  it('two workers finish one sweep together; the coordinator stores every event', async () => {
    const server = await redis();
    const a = worker(server.url);
    const b = worker(server.url);
    const store = join(dir, 'two.sqlite');
    const json = join(dir, 'two.json');
    const sweep = run([
      ...FAKE,
      ...['--batches', '8,32,128', '--repeats', '2', '--fake-step-delay', '2'],
      ...['--queue', server.url, '--store', store, '--json', json],
    ]);
    expect(await sweep.exited()).toBe(0);
    const report = readReport(json);
    expect(report.status).toBe('complete');
    expect(report.trials).toHaveLength(6);
    expect(report.trials.every((t) => t.outcome === 'reached')).toBe(true);
    const starts = startsByTrial(a.stderr(), b.stderr());
    expect([...starts.values()].reduce((x, y) => x + y, 0)).toBe(6);
    // Both took trials.
    expect(startsByTrial(a.stderr()).size).toBeGreaterThan(0);
    expect(startsByTrial(b.stderr()).size).toBeGreaterThan(0);
    const events = storedEvents(store);
    expect(events.filter((e) => e.type === 'trial-end')).toHaveLength(6);
    expect(events.every((e) => e.attempt !== undefined)).toBe(true);
    expect(sweep.stderr()).toMatch(/trials queued as sweep \S+ on redis:\/\/127\.0\.0\.1:\d+/);
  }, 120_000);

  it('a worker SIGKILLed mid-trial loses nothing: the trial runs on another and counts once', async () => {
    const server = await redis();
    const a = worker(server.url);
    const store = join(dir, 'killed-worker.sqlite');
    const json = join(dir, 'killed-worker.json');
    const sweep = run([
      ...FAKE,
      ...['--batches', '32,128', '--fake-step-delay', '40'],
      ...['--queue', server.url, '--store', store, '--json', json],
    ]);
    await a.waitFor(/: started/);
    const killedTrial = /trial (\S+) of sweep/.exec(a.stderr())?.[1];
    await new Promise((resolve) => setTimeout(resolve, 500));
    a.child.kill('SIGKILL');
    const b = worker(server.url);
    expect(await sweep.exited()).toBe(0);
    const report = readReport(json);
    expect(report.trials.map((t) => t.outcome)).toEqual(['reached', 'reached']);
    // The killed trial ran again on b, and its result is there once.
    expect(startsByTrial(b.stderr()).get(killedTrial ?? '')).toBe(1);
    const events = storedEvents(store);
    const ofKilled = events.filter((e) => e.id === killedTrial);
    expect(ofKilled.filter((e) => e.type === 'trial-end')).toHaveLength(1);
    expect(
      new Set(ofKilled.filter((e) => e.type === 'trial-start').map((e) => e.attempt)).size,
    ).toBe(2);
    const trial = report.trials.find((t) => t.id === killedTrial);
    // The curve is the second attempt's alone: steps rise once from the start.
    const steps = trial?.curve.map((p) => p.step) ?? [];
    expect(steps).toEqual([...steps].sort((x, y) => x - y));
    expect(new Set(steps).size).toBe(steps.length);
  }, 120_000);

  it('a SIGKILLed coordinator re-attaches with --resume and no trial runs twice', async () => {
    const server = await redis();
    const a = worker(server.url);
    const store = join(dir, 'killed-coordinator.sqlite');
    const json = join(dir, 'killed-coordinator.json');
    const args = [...FAKE, '--batches', '32,128', '--repeats', '2', '--fake-step-delay', '15'];
    const first = run([...args, '--queue', server.url, '--store', store]);
    await first.waitFor(/^ {2}\[\d+\/\d+\]/m);
    first.child.kill('SIGKILL');
    await first.exited();
    // The worker goes on meanwhile; the resumed coordinator reads what it missed.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const resumed = run([
      'sweep',
      '--resume',
      '--queue',
      server.url,
      '--store',
      store,
      '--json',
      json,
    ]);
    expect(await resumed.exited()).toBe(0);
    const report = readReport(json);
    expect(report.status).toBe('complete');
    expect(report.trials).toHaveLength(4);
    expect(report.trials.every((t) => t.outcome === 'reached')).toBe(true);
    expect([...startsByTrial(a.stderr()).values()]).toEqual([1, 1, 1, 1]);
    expect(storedEvents(store).filter((e) => e.type === 'trial-end')).toHaveLength(4);
  }, 120_000);

  it('a worker stopped (SIGTERM) puts its trial back; Ctrl-C of the sweep stops the remote trials', async () => {
    const server = await redis();
    const a = worker(server.url);
    const json = join(dir, 'stopped-worker.json');
    const args = [...FAKE, '--batches', '32,128', '--fake-step-delay', '40', '--no-store'];
    const sweep = run([...args, '--queue', server.url, '--json', json]);
    await a.waitFor(/: started/);
    a.child.kill('SIGTERM');
    expect(await a.exited()).toBe(0);
    expect(a.stderr()).toMatch(/trial \S+: back in the queue \(this worker stops\)/);
    const b = worker(server.url);
    expect(await sweep.exited()).toBe(0);
    expect(readReport(json).trials.map((t) => t.outcome)).toEqual(['reached', 'reached']);
    // Put back, not failed: no attempt was lost.
    expect(sweep.stderr()).not.toMatch(/failed/);
    expect(b.stderr()).toMatch(/started \(attempt 2\)/);

    const interrupted = run([...args, '--queue', server.url, '--json', join(dir, 'ctrl-c.json')]);
    await b.waitFor(/: started/, 3);
    interrupted.child.kill('SIGINT');
    expect(await interrupted.exited()).toBe(130);
    await b.waitFor(/: aborted/);
    expect(readReport(join(dir, 'ctrl-c.json')).status).toBe('interrupted');
  }, 120_000);

  it('Redis restarted mid-sweep: workers and coordinator reconnect and finish', async () => {
    const server = await redis();
    const a = worker(server.url);
    const json = join(dir, 'restart.json');
    const sweep = run([
      ...FAKE,
      ...['--batches', '32,64,128', '--fake-step-delay', '15'],
      ...['--queue', server.url, '--no-store', '--json', json],
    ]);
    await sweep.waitFor(/^ {2}\[1\/3\]/m);
    await server.restart(1000);
    expect(await sweep.exited()).toBe(0);
    expect(readReport(json).trials.map((t) => t.outcome)).toEqual([
      'reached',
      'reached',
      'reached',
    ]);
    expect(a.stderr()).toMatch(/lost Redis at 127\.0\.0\.1:\d+ .*reconnects/);
    expect(a.stderr()).toMatch(/Redis at 127\.0\.0\.1:\d+ is back/);
  }, 120_000);

  it('a worker runs no command without --allow-command: refused on every attempt, recorded as failed', async () => {
    const server = await redis();
    const cautious = worker(server.url);
    const cmd = `node --import tsx ${FAKE_TRAINER} --batch-size {batch} --steps {steps} --seed {seed} --lr {lr} --telemetry {telemetry}`;
    const args = [
      'sweep',
      '--engine',
      'command',
      '--cmd',
      cmd,
      '--lr',
      '0.001',
      '--lr-rule',
      'linear',
    ];
    const json = join(dir, 'refused.json');
    const sweep = run([
      ...args,
      ...['--batches', '8', '--target-loss', '1.2', '--attempts', '2'],
      ...['--queue', server.url, '--no-store', '--json', json],
    ]);
    expect(await sweep.exited()).toBe(0);
    const [trial] = readReport(json).trials;
    expect(trial?.outcome).toBe('error');
    expect(trial?.message).toMatch(
      /^failed on 2 attempt\(s\) by workers; the last: .*without --allow-command/,
    );
    expect(cautious.stderr()).toMatch(/refused trial b8-lr1-r0 .*--allow-command/);
    expect(sweep.stderr()).toMatch(
      /trial b8-lr1-r0: attempt 1 of 2 failed, refused by worker .*; it runs again/,
    );

    // Told to, a worker runs it.
    cautious.child.kill('SIGTERM');
    await cautious.exited();
    worker(server.url, '--allow-command');
    const allowed = join(dir, 'allowed.json');
    const again = run([
      ...args,
      ...['--batches', '8', '--target-loss', '1.2'],
      ...['--queue', server.url, '--no-store', '--json', allowed],
    ]);
    expect(await again.exited()).toBe(0);
    expect(readReport(allowed).trials[0]?.outcome).toBe('reached');
  }, 120_000);

  it('a password from the environment, never stored; a wrong one is one line', async () => {
    const password = 'pw-queue-test-7f3a';
    const server = await redis({ password });
    worker(`redis://:${password}@127.0.0.1:${server.port}`);
    const store = join(dir, 'password.sqlite');
    const json = join(dir, 'password.json');
    const env = { BATCHWISE_QUEUE: server.url, BATCHWISE_REDIS_PASSWORD: password };
    const sweep = run([...FAKE, '--batches', '32', '--store', store, '--json', json], env);
    expect(await sweep.exited()).toBe(0);
    expect(readReport(json).trials[0]?.outcome).toBe('reached');
    expect(readFileSync(store).includes(password)).toBe(false);

    const wrong = run([
      ...FAKE,
      '--batches',
      '32',
      '--no-store',
      '--queue',
      `redis://:nope@127.0.0.1:${server.port}`,
    ]);
    expect(await wrong.exited()).toBe(2);
    const lines = wrong.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ refused the password/);
    expect(wrong.stderr()).not.toContain('nope');
  }, 120_000);

  it('a worker of another batchwise version refuses the job with a clear message', async () => {
    const server = await redis();
    const w = worker(server.url);
    const spec = trialSpecFor('mlp', 'synthetic', { name: 'fake' });
    const queue = new Queue('batchwise-trials', {
      connection: { host: '127.0.0.1', port: server.port },
    });
    try {
      const job = await queue.add(
        'trial',
        { ...trialJobOf(spec, 'other-version'), batchwise: '0.0.0-other' },
        { jobId: 'other-version.b32-lr1-r0', attempts: 1 },
      );
      const id = job.id ?? '';
      let state = '';
      for (let i = 0; i < 200 && state !== 'failed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = (await Job.fromId(queue, id))?.finishedOn ? 'failed' : '';
      }
      const failed = await Job.fromId(queue, id);
      expect(await failed?.getState()).toBe('failed');
      expect(failed?.failedReason).toMatch(
        /refused it: the sweep was queued by batchwise 0\.0\.0-other .* run the same batchwise version on every machine/,
      );
      expect(w.stderr()).toMatch(
        /refused trial b32-lr1-r0 of sweep other-version: the sweep was queued by batchwise 0\.0\.0-other/,
      );
    } finally {
      await queue.close();
    }
  }, 60_000);

  it.skipIf(spawnSync('openssl', ['version']).status !== 0)(
    'over TLS (rediss://) with the CA from NODE_EXTRA_CA_CERTS',
    async () => {
      const certs = mkdtempSync(join(tmpdir(), 'batchwise-tls-'));
      const at = (name: string) => join(certs, name);
      const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
      writeFileSync(at('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
      openssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        at('ca.key'),
        '-out',
        at('ca.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=batchwise-test-ca',
      );
      openssl(
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        at('server.key'),
        '-out',
        at('server.csr'),
        '-subj',
        '/CN=127.0.0.1',
      );
      openssl(
        'x509',
        '-req',
        '-in',
        at('server.csr'),
        '-CA',
        at('ca.pem'),
        '-CAkey',
        at('ca.key'),
        '-CAcreateserial',
        '-out',
        at('server.pem'),
        '-days',
        '2',
        '-extfile',
        at('san.ext'),
      );
      const server = await redis({
        tls: { cert: at('server.pem'), key: at('server.key'), ca: at('ca.pem') },
      });
      expect(server.url).toMatch(/^rediss:/);
      const env = { NODE_EXTRA_CA_CERTS: at('ca.pem') };
      run(['worker', '--queue', server.url], env);
      const json = join(dir, 'tls.json');
      const sweep = run(
        [...FAKE, '--batches', '32', '--no-store', '--queue', server.url, '--json', json],
        env,
      );
      expect(await sweep.exited()).toBe(0);
      expect(readReport(json).trials[0]?.outcome).toBe('reached');
    },
    60_000,
  );

  it('an unreachable queue is one line, before anything trains', async () => {
    const sweep = run([...FAKE, '--batches', '32', '--no-store', '--queue', 'redis://127.0.0.1:1']);
    expect(await sweep.exited()).toBe(2);
    expect(sweep.stderr().trim()).toMatch(
      /^batchwise: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connection refused \(is redis-server running there/,
    );
    const w = run(['worker', '--queue', 'http://127.0.0.1:6379']);
    expect(await w.exited()).toBe(2);
    expect(w.stderr().trim().split('\n').at(-1)).toMatch(
      /the queue is Redis; give redis:\/\/HOST:PORT/,
    );
  }, 60_000);
});
