// The Python adapter as a package (adapters/python/pyproject.toml): the file parses (tomllib),
// names exactly the modules in the folder with the npm package's version, and `pip install` of
// the folder (offline: no build isolation, no index) gives a Python that imports them. Skipped
// where Python 3.11+ (tomllib), or pip and venv for the install, are missing.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const ADAPTER = path.join(ROOT, 'adapters/python');
const PYTHON_ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
// Debian's interpreter has pip and venv; the python3 on PATH may be another one.
const PYTHON =
  spawnSync('/usr/bin/python3', ['-c', 'pass']).status === 0 ? '/usr/bin/python3' : 'python3';

function runs(...args: string[]): boolean {
  return spawnSync(PYTHON, args, { stdio: 'ignore', env: PYTHON_ENV }).status === 0;
}
const hasTomllib = runs('-c', 'import tomllib');
const canInstall =
  runs('-m', 'pip', '--version') && runs('-c', 'import venv, ensurepip, setuptools');

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasTomllib)('adapters/python/pyproject.toml', () => {
  it('parses, and lists every module of the folder at the npm package version', () => {
    const r = spawnSync(
      PYTHON,
      [
        '-c',
        'import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))',
        path.join(ADAPTER, 'pyproject.toml'),
      ],
      { encoding: 'utf8', env: PYTHON_ENV },
    );
    expect(r.status, r.stderr).toBe(0);
    const toml = JSON.parse(r.stdout) as {
      'build-system': { 'build-backend': string };
      project: { name: string; version: string; readme: string };
      tool: { setuptools: { 'py-modules': string[] } };
    };
    expect(toml['build-system']['build-backend']).toBe('setuptools.build_meta');
    const modules = readdirSync(ADAPTER)
      .filter((f) => f.endsWith('.py'))
      .map((f) => f.slice(0, -3))
      .sort();
    expect([...toml.tool.setuptools['py-modules']].sort()).toEqual(modules);
    const npmPackage = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(toml.project.version).toBe(npmPackage.version);
    expect(readdirSync(ADAPTER)).toContain(toml.project.readme);
  });
});

describe.skipIf(!canInstall)('pip install adapters/python', () => {
  it('installs the modules into a virtual environment, offline', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'batchwise-pip-'));
    dirs.push(dir);
    // A copy: pip builds in the folder it is given (build/, *.egg-info).
    const source = path.join(dir, 'python');
    cpSync(ADAPTER, source, { recursive: true });
    const venv = path.join(dir, 'venv');
    // --system-site-packages: the system's setuptools builds it without the network.
    const made = spawnSync(PYTHON, ['-m', 'venv', '--system-site-packages', venv], {
      encoding: 'utf8',
    });
    expect(made.status, made.stderr).toBe(0);
    const pip = spawnSync(
      path.join(venv, 'bin/python'),
      ['-m', 'pip', 'install', '--no-build-isolation', '--no-index', '--no-deps', source],
      { encoding: 'utf8', env: PYTHON_ENV, timeout: 120_000 },
    );
    expect(pip.status, pip.stderr).toBe(0);
    const imported = spawnSync(
      path.join(venv, 'bin/python'),
      [
        '-c',
        'import batchwise_telemetry, batchwise_plan, torchrun_compat; print(batchwise_telemetry.__file__)',
      ],
      { encoding: 'utf8', env: PYTHON_ENV, cwd: dir },
    );
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(path.join(venv, 'lib'));
  });
});
