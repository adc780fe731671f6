// The README's PyTorch command, exactly as written: the fenced `sh` block of README.md that names
// examples/pytorch_train.py is read from the file and run with `/bin/sh -c` from the repository
// root, as a user on Debian would (`apt-get install python3-torch`, whose `python3` is
// /usr/bin/python3): PATH starts with the directory of the torch-capable interpreter that
// test/support/python.ts finds. Before it comes a temporary directory with a `python3` shim that
// counts its launches and execs that interpreter (nothing else runs `python3`). `npx batchwise`
// resolves to this checkout from the repository root: npm's exec runs the bin of the package in
// the current directory when its package.json names it (`"bin": {"batchwise": ...}`), so it is
// this checkout's bin/batchwise.js over dist/ (hence `npm run build` first), never the registry's.
// With plans, the whole `find` is a few launches (2 here: the plan run and the noise run).

import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_ENV, requireTorchPython, skipTorch } from '../support/python.js';
import { runProcess } from '../support/run-cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The one command of README.md's fenced `sh` blocks that runs examples/pytorch_train.py. */
function readmePytorchCommand(readme: string): string {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const found = blocks.filter((block) => block.includes('examples/pytorch_train.py'));
  if (found.length !== 1) throw new Error(`README.md: ${found.length} sh blocks run the example`);
  return (found[0] ?? '').trim();
}

/** The interpreter as a path (a bare command name is looked up on PATH). */
function absolute(python: string): string {
  if (path.isAbsolute(python)) return python;
  const r = spawnSync('/bin/sh', ['-c', `command -v "${python}"`], { encoding: 'utf8' });
  return r.stdout.trim();
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'batchwise-readme-torch-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('README.md: the PyTorch command', () => {
  it('is one sh block, with the plan and the example', async () => {
    const command = readmePytorchCommand(await readFile(path.join(ROOT, 'README.md'), 'utf8'));
    expect(command).toMatch(/^npx batchwise find --engine command --cmd '/);
    expect(command).toContain('python3 examples/pytorch_train.py --plan {plan}');
  });

  it.skipIf(skipTorch())(
    'runs as written to a recommendation, in at most 6 launches of the command',
    async () => {
      const python = absolute(requireTorchPython().python);
      const command = readmePytorchCommand(await readFile(path.join(ROOT, 'README.md'), 'utf8'));
      const shims = path.join(dir, 'bin');
      const launches = path.join(dir, 'launches');
      await mkdir(shims);
      await writeFile(
        path.join(shims, 'python3'),
        `#!/bin/sh\necho launch >> '${launches}'\nexec '${python}' "$@"\n`,
      );
      await chmod(path.join(shims, 'python3'), 0o755);
      await writeFile(launches, '');
      const env = {
        ...PYTHON_ENV,
        PATH: [shims, path.dirname(python), process.env.PATH ?? ''].join(path.delimiter),
        BATCHWISE_STORE: path.join(dir, 'runs.sqlite'),
      };
      const started = Date.now();
      const result = await runProcess('/bin/sh', ['-c', command], { cwd: ROOT, env });
      const count = (await readFile(launches, 'utf8')).split('\n').filter(Boolean).length;
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`the README's PyTorch find: ${seconds} s, ${count} launches of the command`);
      expect(result.stderr.split('\n').filter((l) => l.includes('Error'))).toEqual([]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('complete');
      expect(result.stdout).toMatch(/Recommended batch size\s+\d+/);
      expect(count).toBeGreaterThanOrEqual(1);
      expect(count).toBeLessThanOrEqual(6);
    },
    300_000,
  );
});
