// How a run of `--engine command` is named: a real `batchwise find --engine command` (the fake
// trainer through its command template) stored in a store, then `batchwise runs`, `batchwise
// show` and the dashboard's JSON API and pages name it by its command, not by the unused
// mlp/synthetic defaults of its spec; a command run without a report says so for its data.
// And the label function itself, on the stored shapes it tolerates.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FindSettingsInput, findSettingsSchema } from '../../src/find/find-settings.js';
import { resolveFindConfig } from '../../src/find/resolve-config.js';
import { runEngineFields, runLabel, shortCommand } from '../../src/find/run-label.js';
import { RunSource } from '../../src/server/run-source.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { RunStore } from '../../src/store/run-store.js';
import { FAKE_TRAINER } from '../engines/command/fake-trainer-command.js';
import { fakeFindReport } from '../support/fake-find-report.js';
import { batchwise } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-command-label-'));
const storePath = join(dir, 'runs.sqlite');
const CMD = `node --import tsx ${FAKE_TRAINER} --batch-size {batch} --steps {steps} --micro-batch {micro_batch} --seed {seed} --lr 0.001 --telemetry {telemetry}`;
const MODEL = 'command: node fake-trainer.ts';

describe('the label of a command run', () => {
  let done: string;
  let unfinished: string;
  let source: RunSource;
  let running: RunningServer;

  beforeAll(async () => {
    const find = await batchwise(
      'find',
      '--engine',
      'command',
      '--cmd',
      CMD,
      '--max-batch',
      '16',
      '--noise-measurements',
      '4',
      '--noise-every',
      '2',
      '--store',
      storePath,
      '--quiet',
    );
    expect(find.stderr).toBe('');
    expect(find.code).toBe(0);
    // A command run that stopped without a report (killed): its options as `find` stores them.
    const store = RunStore.open(storePath);
    try {
      done = store.listRuns()[0]!.id;
      unfinished = store.createRun({
        command: ['find', '--engine', 'command'],
        options: resolveFindConfig(findSettingsSchema.parse({ engine: 'command', cmd: CMD }), {
          memoryBudgetBytes: 2 ** 30,
          workload: { datasetSize: 4096 },
        }),
        spec: { model: 'mlp', data: 'synthetic' },
      });
      store.appendEvent(unfinished, 'phase', { kind: 'phase', phase: 'memory' });
      store.setStatus(unfinished, 'interrupted');
    } finally {
      store.close();
    }
    source = new RunSource(storePath);
    running = await startServer({ port: 0, pages: new Map(), dashboard: { source } });
  }, 120_000);

  afterAll(async () => {
    await running?.close();
    source?.close();
  });

  it('batchwise runs names both runs by the command', async () => {
    const r = await batchwise('runs', '--store', storePath);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/mlp|synthetic/);
    const row = (id: string) => r.stdout.split('\n').find((line) => line.startsWith(id)) ?? '';
    expect(row(done)).toContain(MODEL);
    expect(row(done)).toContain("(the command's)");
    expect(row(done)).toMatch(/complete\s+\d+\s*$/);
    expect(row(unfinished)).toContain(MODEL);
    expect(row(unfinished)).toContain("(the command's)");
  });

  it('batchwise show names them by the command, with or without a report', async () => {
    const shown = await batchwise('show', done, '--store', storePath);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split('\n')[0]).toMatch(
      /^batchwise find: command: node fake-trainer\.ts on \(the command's\) \(4,096 examples/,
    );
    expect(shown.stdout).not.toMatch(/mlp|synthetic|--batch-size/);
    // --json is the stored report as it is.
    const json = JSON.parse((await batchwise('show', done, '--json', '--store', storePath)).stdout);
    expect(json.workload.model).toBe(CMD);
    const partial = await batchwise('show', unfinished, '--store', storePath);
    expect(partial.stdout.split('\n')[0]).toBe(
      `batchwise find: ${MODEL} on (the command's) · run ${unfinished} · interrupted`,
    );
  });

  it('the dashboard names them by the command in its JSON API and its pages', async () => {
    const { runs } = (await fetch(`${running.url}api/runs`).then((r) => r.json())) as {
      runs: { id: string; model: string; data: string }[];
    };
    for (const id of [done, unfinished]) {
      expect(
        runs.find((r) => r.id === id),
        id,
      ).toMatchObject({
        model: MODEL,
        data: "(the command's)",
      });
    }
    const view = await fetch(`${running.url}api/runs/${done}`).then((r) => r.json());
    expect(view).toMatchObject({ model: MODEL, data: "(the command's)", status: 'complete' });
    const index = await fetch(running.url).then((r) => r.text());
    expect(index).toContain(`<td>${MODEL}</td><td>(the command&#39;s)</td>`);
    expect(index).not.toMatch(/<td>mlp<\/td>|<td>synthetic<\/td>/);
    const report = await fetch(`${running.url}runs/${done}`).then((r) => r.text());
    expect(report).toContain(`<title>batchwise find: ${MODEL} on (the command&#39;s)</title>`);
    const live = await fetch(`${running.url}runs/${unfinished}`).then((r) => r.text());
    expect(live).toContain(`<title>batchwise find: ${MODEL} on (the command&#39;s)</title>`);
  });
});

describe('runLabel', () => {
  it('shortens a command to its program and script', () => {
    expect(shortCommand('python3 train.py --batch {batch}')).toBe('python3 train.py');
    expect(shortCommand('/usr/bin/python3 /home/me/exp/train.py --bs {batch}')).toBe(
      'python3 train.py',
    );
    expect(shortCommand('CUDA_VISIBLE_DEVICES=0 env A=1 torchrun --nproc_per_node=8 run.py')).toBe(
      'torchrun run.py',
    );
    expect(shortCommand('python -m mypkg.train --steps {steps}')).toBe('python -m mypkg.train');
    expect(shortCommand("'my trainer' --steps {steps}")).toBe('my trainer');
    expect(shortCommand('bad "quote')).toBe('bad');
  });

  it('reads the engine and command from the stored options, or from the report', async () => {
    const configOf = (settings: FindSettingsInput) =>
      resolveFindConfig(findSettingsSchema.parse(settings), {
        memoryBudgetBytes: 2 ** 30,
        workload: { datasetSize: 100 },
      });
    const spec = { model: 'mlp', data: 'synthetic' };
    const label = { model: 'command: python3 train.py', data: "(the command's)" };
    const options = configOf({ engine: 'command', cmd: 'python3 train.py' });
    expect(runLabel({ options, spec })).toEqual(label);
    // A run without a stored configuration (an older batchwise) is named from its report.
    const stored = await fakeFindReport();
    const report = {
      ...stored,
      engine: { ...stored.engine, name: 'command', details: { command: 'python3 train.py' } },
      workload: { ...stored.workload, data: 'imagenet' },
    };
    expect(runLabel({ options: {}, spec, report })).toEqual({ ...label, data: 'imagenet' });
    expect(runEngineFields({ options: null, report: undefined })).toEqual({});
    expect(runLabel({ options: configOf({ engine: 'tfjs' }), spec })).toEqual(spec);
    expect(runLabel({ options: {}, spec: null })).toEqual({ model: '?', data: '?' });
  });
});
