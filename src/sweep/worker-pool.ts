// Runs sweep trials in worker processes, at most `workers` at a time, each trial in a process of
// its own (src/sweep/trial-worker.ts): a trial that crashes, leaks or runs out of memory takes
// only itself down. Every event a worker writes is handed on as it arrives; a worker that dies
// without ending its trial gets a trial-end of its own (`error`, with its last words), and on
// abort every worker is asked to stop (SIGTERM, then SIGKILL after a grace period).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseTrialEvent, type TrialEnd, type TrialEvent } from './trial-events.js';
import type { TrialSpec } from './trial-spec.js';

export interface PoolOptions {
  readonly workers: number;
  readonly signal?: AbortSignal | undefined;
  /** Every event of every trial, in the order it arrived. */
  readonly onEvent: (event: TrialEvent) => void;
}

/** Seconds a stopped worker gets to end its trial before it is killed. */
const STOP_GRACE_MS = 10_000;

/** node and its arguments for the worker: the built .js, or the .ts source under tsx (tests). */
function workerCommand(): string[] {
  const js = fileURLToPath(new URL('./trial-worker.js', import.meta.url));
  if (existsSync(js)) return [js];
  return ['--import', 'tsx', fileURLToPath(new URL('./trial-worker.ts', import.meta.url))];
}

export async function runTrials(
  specs: readonly TrialSpec[],
  options: PoolOptions,
): Promise<TrialEnd[]> {
  const queue = [...specs];
  const ends: TrialEnd[] = [];
  const lane = async () => {
    for (let spec = queue.shift(); spec; spec = queue.shift()) {
      if (options.signal?.aborted) {
        ends.push(abortedBeforeStart(spec));
        continue;
      }
      const attempt = `local-${randomBytes(4).toString('hex')}`;
      const tag = (event: TrialEvent): TrialEvent => ({ ...event, attempt });
      const { end, synthesized } = await runTrialProcess(spec, {
        signal: options.signal,
        onEvent: (event) => options.onEvent(tag(event)),
      });
      if (synthesized) options.onEvent(tag(end));
      ends.push(end);
    }
  };
  const lanes = Math.max(1, Math.min(options.workers, specs.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return ends;
}

function abortedBeforeStart(spec: TrialSpec): TrialEnd {
  return {
    type: 'trial-end',
    id: spec.id,
    outcome: 'aborted',
    message: 'interrupted before it started',
    steps: 0,
    examples: 0,
    seconds: 0,
  };
}

export interface TrialProcessOptions {
  readonly signal?: AbortSignal | undefined;
  /** The trial's own events, as its process writes them. */
  readonly onEvent: (event: TrialEvent) => void;
}

export interface TrialProcessResult {
  readonly end: TrialEnd;
  /**
   * The process died without ending its trial: `end` was made here from how it died (not passed
   * to onEvent; the caller decides whether it is the trial's result).
   */
  readonly synthesized: boolean;
}

/** One trial in a process of its own (src/sweep/trial-worker.ts). */
export function runTrialProcess(
  spec: TrialSpec,
  options: TrialProcessOptions,
): Promise<TrialProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, workerCommand(), {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let end: TrialEnd | undefined;
    const stderr: string[] = [];
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const event = parseTrialEvent(line);
      if (!event || event.id !== spec.id || end) return;
      if (event.type === 'trial-end') end = event;
      options.onEvent(event);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (line.trim() !== '') stderr.push(line.trim());
      if (stderr.length > 20) stderr.shift();
    });
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    };
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(spec));
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', stop);
      if (killTimer) clearTimeout(killTimer);
      lines.close();
      if (end) return resolve({ end, synthesized: false });
      const aborted = options.signal?.aborted === true;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const last = stderr.at(-1);
      resolve({
        synthesized: true,
        end: {
          type: 'trial-end',
          id: spec.id,
          outcome: aborted ? 'aborted' : signal === 'SIGKILL' ? 'oom' : 'error',
          message: aborted
            ? 'interrupted'
            : `the trial's process ${how}${last ? `: ${last}` : ''}${signal === 'SIGKILL' ? ' (killed: most often the system ran out of memory)' : ''}`,
          steps: 0,
          examples: 0,
          seconds: 0,
        },
      });
    });
  });
}
