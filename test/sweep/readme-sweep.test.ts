// The README's sweep commands, exactly as written: the fenced `sh` block of README.md that runs
// `batchwise sweep` (docs/sweep.md shows the same block) is run with `/bin/sh -c` from the
// repository root, where `npx batchwise` is this checkout's bin (built by `npm run build`), with
// a store of its own. The files it writes there (find.json, sweep.html) are removed afterwards.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcess } from '../support/run-cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const WRITTEN = ['find.json', 'sweep.html'].map((f) => path.join(ROOT, f));

function sweepBlock(markdown: string): string {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const found = blocks.filter(
    (block) => block.includes('batchwise sweep') && !block.includes('batchwise worker'),
  );
  if (found.length !== 1) throw new Error(`${found.length} sh blocks run batchwise sweep`);
  return (found[0] ?? '').trim();
}

afterAll(() => {
  for (const file of WRITTEN) rmSync(file, { force: true });
});

describe('README.md: the sweep commands', () => {
  it('are the same block in README.md and docs/sweep.md', () => {
    const readme = sweepBlock(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(sweepBlock(readFileSync(path.join(ROOT, 'docs/sweep.md'), 'utf8'))).toBe(readme);
    expect(readme).toMatch(
      /^npx batchwise find .*--json find\.json\nnpx batchwise sweep --from-report find\.json /,
    );
  });

  it('run as written: find, then a sweep that checks its recommendation', async () => {
    for (const file of WRITTEN) expect(existsSync(file)).toBe(false);
    const block = sweepBlock(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    const store = path.join(
      mkdtempSync(path.join(tmpdir(), 'batchwise-readme-sweep-')),
      'runs.sqlite',
    );
    const result = await runProcess('/bin/sh', ['-e', '-c', block], {
      cwd: ROOT,
      env: { ...process.env, BATCHWISE_STORE: store },
    });
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /find's recommendation, batch \d+, (took \d\.\d\dx the time|was the fastest)/,
    );
    expect(result.stdout).toMatch(/Measured critical batch B_crit/);
    const html = readFileSync(path.join(ROOT, 'sweep.html'), 'utf8');
    expect(html).toMatch(/<!doctype html>/i);
  }, 180_000);
});
