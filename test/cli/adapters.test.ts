// `batchwise adapters NAME` through the real binary (npm run build first): the absolute path of
// the shipped adapter folder on one line, so that `pip install "$(npx batchwise adapters python)"`
// works; an unknown name is one line and exit code 2.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchwise } from '../support/run-cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('batchwise adapters', () => {
  it('prints the absolute path of the Python adapter, which holds its pyproject.toml', async () => {
    const result = await batchwise('adapters', 'python');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`${path.join(ROOT, 'adapters/python')}\n`);
    const printed = result.stdout.trim();
    expect(path.isAbsolute(printed)).toBe(true);
    expect(existsSync(path.join(printed, 'pyproject.toml'))).toBe(true);
    expect(existsSync(path.join(printed, 'batchwise_telemetry.py'))).toBe(true);
  });

  it('prints the Keras adapter folder too', async () => {
    const result = await batchwise('adapters', 'keras');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${path.join(ROOT, 'adapters/keras')}\n`);
  });

  it('rejects an unknown adapter in one line, naming the known ones', async () => {
    const result = await batchwise('adapters', 'jax');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe("batchwise: no adapter 'jax' (adapters: python, keras)\n");
  });
});
