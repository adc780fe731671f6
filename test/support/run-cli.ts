// Runs the real batchwise binary (bin/batchwise.js, built by `npm run build`) as a user would,
// and returns its exit code and output instead of throwing on a non-zero exit.

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const BIN = new URL('../../bin/batchwise.js', import.meta.url).pathname;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the binary; unless the test names a store, each run gets a fresh one of its own
 * ($BATCHWISE_STORE), so that parallel test files never share the repository's .batchwise/.
 */
export async function batchwise(...args: string[]): Promise<CliResult> {
  return batchwiseWithEnv({}, ...args);
}

/** batchwise(...) with extra environment variables (PATH to a torch-capable python3, ...). */
export async function batchwiseWithEnv(
  extra: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<CliResult> {
  return batchwiseIn(undefined, extra, ...args);
}

/** batchwiseWithEnv(...) run in the folder `cwd` (where a config file is looked for). */
export async function batchwiseIn(
  cwd: string | undefined,
  extra: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<CliResult> {
  const env = {
    ...process.env,
    BATCHWISE_STORE: join(mkdtempSync(join(tmpdir(), 'batchwise-store-')), 'runs.sqlite'),
    ...extra,
  };
  return runProcess(process.execPath, [BIN, ...args], {
    env,
    ...(cwd !== undefined ? { cwd } : {}),
  });
}

/** Runs any program to its end: its exit code and output, never a throw on a non-zero exit. */
export async function runProcess(
  file: string,
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(file, [...args], {
      maxBuffer: 64 * 1024 * 1024,
      ...options,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
