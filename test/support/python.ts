// A Python interpreter with PyTorch for the tests that train real models: $BATCHWISE_PYTHON, then
// /usr/bin/python3 (Debian's python3-torch installs there), then the python3 on PATH — the first
// that imports torch. Where none does, the tests are skipped with the reason printed, except in
// CI ($CI set), where a missing torch must fail the run instead of hiding it: `torchOrSkip` then
// says "run" and `requireTorchPython()` throws the reason from inside the tests.

import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface TorchPython {
  /** The interpreter (a path or a command name). */
  readonly python: string;
  /** torch.__version__, e.g. "1.13.0a0" or "2.4.1+cpu". */
  readonly torchVersion: string;
}

/** Environment for the Python processes of the tests: no __pycache__ left in the source tree. */
export const PYTHON_ENV: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };

function candidates(): string[] {
  const list = [process.env.BATCHWISE_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  return [...new Set(list)];
}

function probe(python: string): string | undefined {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
    env: PYTHON_ENV,
    timeout: 120_000,
  });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function find(): TorchPython | string {
  const tried: string[] = [];
  for (const python of candidates()) {
    const torchVersion = probe(python);
    if (torchVersion !== undefined) return { python, torchVersion };
    tried.push(python);
  }
  return `no Python with torch (tried ${tried.join(', ')}; set BATCHWISE_PYTHON, or apt-get install python3-torch)`;
}

let found: TorchPython | string | undefined;

/** The interpreter with torch, or the reason there is none (probed once per test file). */
export function torchPython(): TorchPython | string {
  found ??= find();
  return found;
}

/**
 * For `describe.skipIf(skipTorch())`: true (after printing why) only where no interpreter has
 * torch AND this is not CI. In CI it is false, and requireTorchPython() fails the tests.
 */
export function skipTorch(): boolean {
  const result = torchPython();
  if (typeof result !== 'string') return false;
  if (process.env.CI) return false;
  console.warn(`skipping the PyTorch tests: ${result}`);
  return true;
}

/** The interpreter with torch; throws the reason where there is none (in CI: a failure). */
export function requireTorchPython(): TorchPython {
  const result = torchPython();
  if (typeof result === 'string') throw new Error(result);
  return result;
}

/**
 * argv prefix that launches `torchrun` with this interpreter: `python -m torch.distributed.run`,
 * or, where that torchrun is broken (PyTorch 1.13 under Python 3.11, Debian 12),
 * adapters/python/torchrun_compat.py, which patches the broken function and runs the same main.
 * Options must be spelled with underscores (`--nproc_per_node`): 1.13 knows no other spelling.
 */
export function torchrunArgv(python: string): string[] {
  const broken = spawnSync(
    python,
    [
      '-c',
      'from torch.distributed.elastic.multiprocessing.api import Std; import sys; sys.exit(Std.from_str("0") is None)',
    ],
    { env: PYTHON_ENV },
  );
  const launcher =
    broken.status === 0
      ? [python, '-m', 'torch.distributed.run']
      : [python, path.join(ROOT, 'adapters/python/torchrun_compat.py')];
  // One torchrun at a time across test files (flock, from util-linux): concurrent jobs on this
  // 2-core machine were seen to hang in rendezvous until the test's timeout. Once the lock is
  // held, TORCHRUN_LOCKED goes to standard error: time limits start there, not while waiting.
  return [
    'flock',
    TORCHRUN_LOCK,
    '/bin/sh',
    '-c',
    `echo ${TORCHRUN_LOCKED} >&2; exec "$@"`,
    'torchrun',
    ...launcher,
  ];
}

/** Written to standard error by torchrunArgv's command once it holds the lock. */
export const TORCHRUN_LOCKED = 'batchwise-tests: torchrun lock held';

const TORCHRUN_LOCK = path.join(tmpdir(), 'batchwise-tests-torchrun.lock');

/**
 * A TCP port free right now on 127.0.0.1 (for torchrun's --master_port), drawn below Linux's
 * ephemeral range (32768–60999): a port the kernel hands out for port 0 can be handed to another
 * socket (gloo's) before torchrun binds it.
 */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const tryPort = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (await tryPort(port)) return port;
  }
  throw new Error('no free port in 20000–29999');
}

/** Every descendant of a process (by /proc's parent links, from `ps`), deepest first. */
function descendants(pid: number): number[] {
  const table = spawnSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' }).stdout ?? '';
  const children = new Map<number, number[]>();
  for (const line of table.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child === undefined || parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      walk(c);
      out.push(c);
    }
  };
  walk(pid);
  return out;
}

/**
 * Runs a torchrun job (argv from `torchrunArgv` plus its options, given the master port), killing
 * its whole process tree if it has not finished within `watchdogMs` of holding the lock, and
 * retrying then, up to `attempts` in all (a clean-clone CI run saw two hangs in a row at 90 s
 * each, the job normally taking 7 s: under load, or a lost rank).
 * Why: in the full test suite Debian 12's torchrun (1.13, patched by torchrun_compat.py) was seen
 * to lose one rank at start-up and wait for it forever (the survivor blocked in rendezvous); a
 * second hang fails the test. A non-zero exit is never retried.
 */
export async function runTorchrun(
  argvFor: (port: number) => string[],
  env: NodeJS.ProcessEnv,
  /** Files the job writes: removed before each attempt, so a retry starts from nothing. */
  outputs: readonly string[] = [],
  watchdogMs = 180_000,
  /** Attempts in all: a hang is retried, a failure never. */
  attempts = 3,
): Promise<{ stdout: string; stderr: string }> {
  const { spawn } = await import('node:child_process');
  const { rmSync } = await import('node:fs');
  for (let attempt = 1; ; attempt++) {
    for (const file of outputs) rmSync(file, { force: true });
    const [command, ...args] = argvFor(await freePort());
    if (command === undefined) throw new Error('runTorchrun: empty argv');
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let hung = false;
    const kill = () => {
      hung = true;
      const pid = child.pid;
      if (pid === undefined) return;
      for (const p of [...descendants(pid), pid]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    // The watchdog starts when the job holds the torchrun lock: waiting for another test's job
    // is not a hang (counting it as one made jobs queued behind a slow one "hang" in turn).
    let timer: NodeJS.Timeout | undefined;
    const armed = () => {
      if (timer === undefined && stderr.includes(TORCHRUN_LOCKED))
        timer = setTimeout(kill, watchdogMs);
    };
    child.stderr.on('data', armed);
    const waitCap = setTimeout(kill, 10 * 60_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    clearTimeout(waitCap);
    if (!hung && code === 0) return { stdout, stderr };
    if (!hung) throw new Error(`torchrun exited ${code}: ${stderr.slice(-2000)}`);
    if (attempt >= attempts)
      throw new Error(
        `torchrun hung ${attempts} times (${watchdogMs} ms each): ${stderr.slice(-2000)}`,
      );
    console.warn(
      `torchrun hung past ${watchdogMs} ms (attempt ${attempt} of ${attempts}); retrying: ${stderr.slice(-500)}`,
    );
  }
}
