// The real binary, as a user runs it.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = new URL('../../bin/batchwise.js', import.meta.url).pathname;
const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as {
  version: string;
};

async function batchwise(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('batchwise binary', () => {
  it('--help describes the tool', async () => {
    const r = await batchwise('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: batchwise/);
    expect(r.stdout).toMatch(/right batch size/);
  });

  it('--version prints the package version', async () => {
    const r = await batchwise('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('an unknown option is one clear line, not a stack trace', async () => {
    const r = await batchwise('--frobnicate');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
