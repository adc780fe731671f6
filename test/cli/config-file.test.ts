// batchwise.config.json (or package.json's "batchwise") through the real binary: its settings
// apply under the command line's, --no-config ignores it, a malformed file is one line, and
// --resume's guard does not count its values as given.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchwiseIn } from '../support/run-cli.js';

const FAST_FIND = ['--engine', 'fake', '--noise-measurements', '6', '--noise-every', '2'];

/** A fresh folder holding `files` (name to JSON value or raw text). */
function folderWith(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'batchwise-config-'));
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(
      join(dir, name),
      typeof content === 'string' ? content : JSON.stringify(content, null, 2),
    );
  }
  return dir;
}

async function findIn(dir: string, ...args: string[]) {
  const r = await batchwiseIn(
    dir,
    {},
    'find',
    '--no-store',
    '--json',
    'r.json',
    ...FAST_FIND,
    ...args,
  );
  const report =
    r.code === 0
      ? (JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as {
          workload: { optimizer: string; learningRate: number; seed: number };
        })
      : undefined;
  return { ...r, report };
}

const TEAM = { find: { optimizer: 'adam', lr: 0.001 }, sweep: { repeats: 2 } };

describe('batchwise.config.json', () => {
  it('applies its settings, and says which', async () => {
    const dir = folderWith({ 'batchwise.config.json': TEAM });
    const r = await findIn(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report?.workload).toMatchObject({ optimizer: 'adam', learningRate: 0.001 });
    expect(r.stderr).toContain(
      'batchwise: settings from batchwise.config.json: --optimizer, --lr\n',
    );
  });

  it('is overridden by the command line', async () => {
    const dir = folderWith({ 'batchwise.config.json': TEAM });
    const r = await findIn(dir, '--lr', '0.01');
    expect(r.code, r.stderr).toBe(0);
    expect(r.report?.workload).toMatchObject({ optimizer: 'adam', learningRate: 0.01 });
    expect(r.stderr).toContain('batchwise: settings from batchwise.config.json: --optimizer\n');
  });

  it('is ignored with --no-config', async () => {
    const dir = folderWith({ 'batchwise.config.json': TEAM });
    const r = await findIn(dir, '--no-config');
    expect(r.code, r.stderr).toBe(0);
    expect(r.report?.workload).toMatchObject({ optimizer: 'sgd', learningRate: 0.05 });
    expect(r.stderr).not.toMatch(/config/);
  });

  it('takes a "batchwise" key of package.json when there is no config file', async () => {
    const dir = folderWith({ 'package.json': { name: 'team', batchwise: { find: { seed: 7 } } } });
    const r = await findIn(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report?.workload.seed).toBe(7);
    expect(r.stderr).toContain('batchwise: settings from package.json "batchwise": --seed\n');
  });

  it('a malformed file is one line naming it', async () => {
    const cases: [unknown, string][] = [
      ['{"find": {"lr": 0.001,}}', 'batchwise.config.json: not valid JSON ('],
      [[1, 2], 'batchwise.config.json: must be an object of commands'],
      [{ fnd: { lr: 0.1 } }, 'batchwise.config.json: unknown command "fnd"; did you mean "find"?'],
      [{ find: 3 }, 'batchwise.config.json: "find" must be an object of settings'],
      [
        { find: { lrr: 0.1 } },
        'batchwise.config.json: find has no setting "lrr"; did you mean "lr"?',
      ],
      [{ find: { lr: 'fast' } }, 'batchwise.config.json: find.lr must be a number > 0, got "fast"'],
      [{ find: { optimizer: 'adagrad' } }, 'batchwise.config.json: find.optimizer must be one of'],
    ];
    for (const [content, message] of cases) {
      const dir = folderWith({ 'batchwise.config.json': content });
      const r = await findIn(dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.split('\n').filter(Boolean), r.stderr).toHaveLength(1);
      expect(r.stderr).toContain(`batchwise: ${message}`);
      // --no-config runs regardless.
      expect((await findIn(dir, '--no-config')).code).toBe(0);
    }
  });

  it('a bad value on the line is still named by its flag', async () => {
    const dir = folderWith({ 'batchwise.config.json': TEAM });
    const r = await findIn(dir, '--lr', 'fast');
    expect(r.stderr).toBe('batchwise: --lr must be a number > 0, got "fast"\n');
  });

  it('--resume does not count its settings as given on the line', async () => {
    const dir = folderWith({ 'batchwise.config.json': TEAM });
    const store = join(dir, 'runs.sqlite');
    const resumed = await batchwiseIn(dir, {}, 'find', '--resume', '--store', store, '-q');
    expect(resumed.stderr).not.toMatch(/drop/);
    const given = await batchwiseIn(dir, {}, 'find', '--resume', '--store', store, '--lr', '0.1');
    expect(given.stderr).toMatch(/drop --lr$/m);
  });

  it('holds sweep settings too', async () => {
    const dir = folderWith({
      'batchwise.config.json': {
        sweep: { 'target-loss': 0.5, 'lr-rule': 'linear', batches: [16, 64] },
      },
    });
    const r = await batchwiseIn(
      dir,
      {},
      'sweep',
      '--engine',
      'fake',
      '--no-store',
      '--json',
      's.json',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'batchwise: settings from batchwise.config.json: --target-loss, --lr-rule, --batches\n',
    );
    const report = JSON.parse(readFileSync(join(dir, 's.json'), 'utf8'));
    expect(JSON.stringify(report)).toMatch(/"lrRule":"linear"/);
  });
});
