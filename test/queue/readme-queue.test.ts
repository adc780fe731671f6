// The README's two-terminal queue commands, exactly as written: the fenced `sh` block of
// README.md that runs `batchwise worker` (docs/distributed.md shows the same block) is run with
// `/bin/sh -e -c` from the repository root, where `npx batchwise` is this checkout's bin. It
// starts its own redis-server on port 6380, two workers and the coordinator, and stops Redis.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipRedis } from '../support/redis-server.js';
import { runProcess } from '../support/run-cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function queueBlock(markdown: string): string {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const found = blocks.filter((block) => block.includes('batchwise worker'));
  if (found.length !== 1) throw new Error(`${found.length} sh blocks run batchwise worker`);
  return (found[0] ?? '').trim();
}

afterAll(() => {
  // The block stops its Redis; if it failed half-way, this does.
  try {
    execFileSync('redis-cli', ['-p', '6380', 'shutdown', 'nosave'], { stdio: 'ignore' });
  } catch {}
});

describe.skipIf(skipRedis())('README.md: the queue commands', () => {
  it('are the same block in README.md and docs/distributed.md', () => {
    const readme = queueBlock(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(queueBlock(readFileSync(path.join(ROOT, 'docs/distributed.md'), 'utf8'))).toBe(readme);
  });

  it('run as written: two workers finish one sweep together', async () => {
    const block = queueBlock(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    const store = path.join(
      mkdtempSync(path.join(tmpdir(), 'batchwise-readme-queue-')),
      'r.sqlite',
    );
    const result = await runProcess('/bin/sh', ['-e', '-c', block], {
      cwd: ROOT,
      env: { ...process.env, BATCHWISE_STORE: store },
    });
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/batchwise sweep — complete: 2 trial\(s\)/);
    // Each worker says which trials it ran; together, both trials, once each.
    const ran = [...result.stderr.matchAll(/trial (\S+) of sweep \S+: started/g)].map((m) => m[1]);
    expect(ran.sort()).toEqual(['b128-lr1-r0', 'b32-lr1-r0']);
    expect(result.stderr).toMatch(/the queue has been empty for 5 s: this worker exits/);
  }, 180_000);
});
