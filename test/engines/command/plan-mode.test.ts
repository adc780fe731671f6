// The command engine's plan mode (docs/protocol.md, "Plans"): one process of the fake trainer runs
// the opening, the memory trials (out-of-memory included) and the throughput steps; the noise run
// gets a process of its own (initial weights); a fresh one is
// started when a script exits after an out-of-memory error, support is read from the start event
// too, and the engine contract holds. Launches are counted by the trainer's own launch log.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommandEngine } from '../../../src/engines/command/command-engine.js';
import type { CommandSession } from '../../../src/engines/command/command-session.js';
import { liveGroupCount } from '../../../src/engines/command/process-groups.js';
import { engineContract } from '../engine-contract.js';
import { fakeTrainerCommand, SPEC } from './fake-trainer-command.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-plan-test-'));
let logs = 0;

/** A fresh launch log and a session on the fake trainer with {plan} in its template. */
async function openPlan(extra: string[] = [], template: 'plan' | 'announce' = 'plan') {
  const log = join(dir, `launches-${++logs}.jsonl`);
  const session = (await createCommandEngine({
    command: fakeTrainerCommand(
      ...(template === 'plan' ? ['--plan', '{plan}'] : ['--announce-plan']),
      '--launch-log',
      log,
      ...extra,
    ),
    killGraceSeconds: 0.2,
  }).open(SPEC)) as CommandSession;
  const launches = () => {
    try {
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      return lines.filter((line) => !line.includes('"item"')).length;
    } catch {
      return 0;
    }
  };
  return { session, launches };
}

engineContract('command in plan mode (fake trainer)', {
  open: (options) =>
    createCommandEngine({
      command: fakeTrainerCommand('--plan', '{plan}', '--step-delay-ms', '5'),
    }).open(SPEC, options),
});

describe('command engine in plan mode: one process per phase', () => {
  it('runs the opening, every memory trial (out-of-memory included) and the throughput steps in one process', async () => {
    const { session, launches } = await openPlan(['--oom-above', '8']);
    try {
      const outcomes = [];
      for (const batchSize of [1, 4, 16, 8, 2])
        outcomes.push(await session.measureMemory({ batchSize }));
      expect(outcomes.map((o) => o.kind)).toEqual(['ok', 'ok', 'oom', 'ok', 'ok']);
      expect(outcomes[2]?.kind === 'oom' && outcomes[2].message).toMatch(/batch 16 is over 8/);
      expect(outcomes[3]?.kind === 'ok' && outcomes[3].peakBytes).toBe(40 * 1024 ** 2);
      expect(launches()).toBe(1);
      // The throughput steps run in the same process.
      for (const batchSize of [1, 2, 4, 8]) {
        for (let i = 0; i < 3; i++) {
          const train = await session.train({ batchSize, steps: 1 });
          expect(train.kind).toBe('ok');
          expect(train.steps.map((s) => s.batchSize)).toEqual([batchSize]);
        }
      }
      expect(launches()).toBe(1);
      expect(session.launchStats().launches).toBe(1);
      // The noise run starts from the initial weights: a process of its own.
      await session.reset();
      const noise = await session.trainWithNorms?.({
        microBatchSize: 1,
        accumulationSteps: 8,
        steps: 3,
      });
      expect(noise?.norms).toHaveLength(3);
      expect(launches()).toBe(2);
      expect(session.engine.details?.runs).toBe('plan (one process for the measurements)');
    } finally {
      await session.dispose();
    }
    expect(liveGroupCount()).toBe(0);
  });

  it('starts a fresh process for the next trial when the script exits after an out-of-memory error', async () => {
    const { session, launches } = await openPlan(['--oom-above', '8', '--oom-exits']);
    try {
      const kinds = [];
      for (const batchSize of [4, 16, 8, 32, 2])
        kinds.push((await session.measureMemory({ batchSize })).kind);
      expect(kinds).toEqual(['ok', 'oom', 'ok', 'oom', 'ok']);
      expect(launches()).toBe(3);
    } finally {
      await session.dispose();
    }
  });

  it('a CUDA message and exit 1 in the middle of a plan is the oom of that item', async () => {
    const { session, launches } = await openPlan([
      '--oom-above',
      '8',
      '--oom-message',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB',
    ]);
    try {
      expect((await session.measureMemory({ batchSize: 8 })).kind).toBe('ok');
      const oom = await session.measureMemory({ batchSize: 16 });
      expect(oom.kind === 'oom' && oom.message).toMatch(/CUDA out of memory/);
      expect((await session.measureMemory({ batchSize: 4 })).kind).toBe('ok');
      expect(launches()).toBe(2);
    } finally {
      await session.dispose();
    }
  });

  it('reads plan support from the start event when the template has no {plan}', async () => {
    const { session, launches } = await openPlan([], 'announce');
    try {
      expect(launches()).toBe(1); // the opening run, one run as before
      for (const batchSize of [1, 2, 4, 8])
        expect((await session.measureMemory({ batchSize })).kind).toBe('ok');
      expect(launches()).toBe(2);
      expect(session.engine.details?.runs).toBe('plan (one process for the measurements)');
    } finally {
      await session.dispose();
    }
  });

  it('a process that writes no start event within the timeout is ended with one line', async () => {
    const engine = createCommandEngine({
      command: fakeTrainerCommand('--plan', '{plan}', '--startup-ms', '5000'),
      killGraceSeconds: 0.2,
      timeoutSeconds: 1,
    });
    await expect(engine.open(SPEC)).rejects.toThrow(
      'the command at batch 1 ran past the timeout of 1 s before its start event and was stopped',
    );
    expect(liveGroupCount()).toBe(0);
  });

  it('a hung item hits the timeout, and the next item runs in a fresh process', async () => {
    const log = join(dir, 'hang.jsonl');
    const session = await createCommandEngine({
      command: fakeTrainerCommand(
        '--plan',
        '{plan}',
        '--hang',
        '--misbehave-from',
        '8',
        '--launch-log',
        log,
      ),
      killGraceSeconds: 0.2,
      timeoutSeconds: 1,
    }).open(SPEC);
    try {
      const hung = await session.train({ batchSize: 8, steps: 2 });
      expect(hung.kind).toBe('timeout');
      expect((await session.train({ batchSize: 4, steps: 2 })).kind).toBe('ok');
    } finally {
      await session.dispose();
    }
    expect(liveGroupCount()).toBe(0);
  });
});
