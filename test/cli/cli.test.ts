// The real binary, as a user runs it.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { batchwise } from '../support/run-cli.js';

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as {
  version: string;
};

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
