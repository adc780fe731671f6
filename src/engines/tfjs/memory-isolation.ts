// Memory trials in a child process: a trial that may exhaust memory runs where a kill by the
// kernel, an aborted wasm heap or a dead backend cannot take batchwise down; any death of the
// child becomes an `oom` outcome. The child opens the same workload (WorkloadSpec is plain JSON).

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryOutcome, WorkloadSpec } from '../engine.js';

export interface IsolatedTrial {
  readonly backend: string;
  readonly memoryBudgetBytes: number;
  readonly batchSize: number;
  readonly signal?: AbortSignal | undefined;
  /** Seconds before the child is killed and the trial is a `timeout`; default 600. */
  readonly timeoutSeconds?: number;
}

/** The worker script and how to run it: compiled JavaScript, or TypeScript through tsx in development. */
function workerCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts'))
    return ['--import', 'tsx', here.replace(/memory-isolation\.ts$/, 'memory-worker.ts')];
  return [here.replace(/memory-isolation\.js$/, 'memory-worker.js')];
}

export function measureMemoryIsolated(
  spec: WorkloadSpec,
  trial: IsolatedTrial,
): Promise<MemoryOutcome> {
  const { batchSize } = trial;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, workerCommand(), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (outcome: MemoryOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      trial.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      finish({ kind: 'aborted', message: 'aborted', batchSize });
    };
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        finish({
          kind: 'timeout',
          message: `the isolated trial at batch ${batchSize} ran past ${trial.timeoutSeconds ?? 600} s`,
          batchSize,
        });
      },
      (trial.timeoutSeconds ?? 600) * 1000,
    );
    trial.signal?.addEventListener('abort', onAbort);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) =>
      finish({
        kind: 'error',
        message: `could not start the isolated trial: ${error.message}`,
        batchSize,
      }),
    );
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').at(-1);
      if (code === 0 && line) {
        try {
          finish(JSON.parse(line) as MemoryOutcome);
          return;
        } catch {
          // fall through: a child that printed garbage died in some way
        }
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const detail = stderr.trim().split('\n').at(-1);
      finish({
        kind: 'oom',
        message: `the isolated trial at batch ${batchSize} ${how}${detail ? `: ${detail}` : ''}`,
        batchSize,
      });
    });
    child.stdin.end(
      JSON.stringify({
        spec,
        backend: trial.backend,
        memoryBudgetBytes: trial.memoryBudgetBytes,
        batchSize,
      }),
    );
  });
}
