// The package as a user gets it: `npm pack` (of the dist that `npm test` has built), then
// `npm install` of the tarball in an empty project, then the installed binary. The install must
// print no warning about unreviewed install scripts once the user has approved better-sqlite3's
// (it compiles its native module, ~1 minute): batchwise itself and its other dependencies run
// none. Then `npx batchwise --quiet` recommends a batch, `npx batchwise adapters python` points
// into node_modules, and what the README links to (docs, images, examples, adapters) is there.
// Needs the npm registry (or a warm npm cache); takes minutes, mostly TF.js and better-sqlite3
// (5 on a loaded 2-core machine: the install gets 10).

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runProcess } from '../support/run-cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const MINUTES = 60_000;

/** npm or npx in `cwd`, without the test setup's store: the installed binary keeps its own. */
function sh(command: string, args: string[], cwd: string): Promise<CliResult> {
  const env = { ...process.env, BATCHWISE_STORE: undefined, npm_config_update_notifier: 'false' };
  return runProcess(command, args, { cwd, env });
}

let dir: string;
let project: string;
let installed: string;
let install: CliResult;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'batchwise-pack-'));
  // --ignore-scripts: pack the dist `npm test` built, not rebuild it under running tests.
  const pack = await sh('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], ROOT);
  expect(pack.code, pack.stderr).toBe(0);
  const tarball = path.join(dir, pack.stdout.trim().split('\n').at(-1) ?? '');
  project = path.join(dir, 'project');
  mkdirSync(project);
  writeFileSync(
    path.join(project, 'package.json'),
    `${JSON.stringify({ name: 'project', version: '1.0.0', private: true }, null, 2)}\n`,
  );
  // The README's first line, as written: it approves and declines the install scripts.
  const approve = /^npm pkg set allowScripts\..*$/m.exec(
    readFileSync(path.join(ROOT, 'README.md'), 'utf8'),
  );
  expect(approve).not.toBeNull();
  const approved = await sh('/bin/sh', ['-e', '-c', approve?.[0] ?? 'false'], project);
  expect(approved.code, approved.stderr).toBe(0);
  install = await sh(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball],
    project,
  );
  installed = path.join(project, 'node_modules/batchwise');
}, 10 * MINUTES);

// The installed project is large (TF.js): removing it can take longer than a hook's default.
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 2 * MINUTES);

describe('npm install of the packed tarball', () => {
  it('installs without a warning about install scripts', () => {
    expect(install.code, install.stderr).toBe(0);
    expect(`${install.stdout}${install.stderr}`).not.toMatch(/install-scripts|allowScripts/);
  });

  it(
    'runs find on the default workload',
    async () => {
      const result = await sh('npx', ['--no-install', 'batchwise', '--quiet'], project);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/batch \d+, learning rate [\d.e+-]+/);
    },
    5 * MINUTES,
  );

  it(
    'prints the installed Python adapter folder',
    async () => {
      const result = await sh('npx', ['--no-install', 'batchwise', 'adapters', 'python'], project);
      expect(result.code, result.stderr).toBe(0);
      const printed = result.stdout.trim();
      expect(realpathSync(printed)).toBe(realpathSync(path.join(installed, 'adapters/python')));
      expect(existsSync(path.join(printed, 'pyproject.toml'))).toBe(true);
    },
    2 * MINUTES,
  );

  it('holds the docs, examples and adapters the README links to, and no source maps', () => {
    for (const file of [
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'docs/protocol.md',
      'docs/html-report.png',
      'examples/pytorch_train.py',
      'adapters/python/batchwise_telemetry.py',
      'adapters/keras/batchwise_keras.py',
    ]) {
      expect(existsSync(path.join(installed, file)), file).toBe(true);
    }
    const readme = readFileSync(path.join(installed, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#:\s]+)(#[^)]*)?\)/g)].map((m) => m[1] ?? '');
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) expect(existsSync(path.join(installed, link)), link).toBe(true);
    const maps = readdirSync(path.join(installed, 'dist'), { recursive: true }).filter((f) =>
      String(f).endsWith('.map'),
    );
    expect(maps).toEqual([]);
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
      repository?: { url: string };
    };
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
  });
});
