// A sweep trial on the user's command (src/sweep/command-trial.ts): the fake trainer
// (test/support/fake-trainer.ts) launched once per trial with {batch} {lr} {seed} {steps}
// {eval_every} {telemetry}, stopped (its whole process group) as soon as the target is reached,
// and every way a command can end — the budget, out of memory, a crash, another batch than asked,
// a hang, an abort — as the trial's outcome. Last, examples/pytorch_train.py on real PyTorch to a
// loss target with its held-out evaluations.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveGroupCount } from '../../src/engines/command/process-groups.js';
import { runCommandTrial } from '../../src/sweep/command-trial.js';
import type { TrialEnd, TrialEval, TrialEvent } from '../../src/sweep/trial-events.js';
import {
  type TrialSpec,
  type TrialSpecInput,
  trialSpecSchema,
} from '../../src/sweep/trial-spec.js';
import { FAKE_TRAINER } from '../engines/command/fake-trainer-command.js';
import { requireTorchPython, skipTorch } from '../support/python.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BATCH = 32;

/** The fake trainer's template, every trial macro in it, plus extra flags. */
function fakeCommand(...extra: string[]): string {
  return [
    `'${process.execPath}' --import tsx '${FAKE_TRAINER}'`,
    '--batch-size {batch} --micro-batch {micro_batch} --steps {steps} --seed {seed} --lr {lr}',
    '--telemetry {telemetry}',
    ...extra,
  ].join(' ');
}

function spec(cmd: string, overrides: Partial<TrialSpecInput> = {}): TrialSpec {
  return trialSpecSchema.parse({
    version: 1,
    id: `b${BATCH}-lr1-r0`,
    batchSize: BATCH,
    learningRate: 0.05,
    learningRateFactor: 1,
    repeat: 0,
    engine: { name: 'command', cmd },
    workload: {
      model: 'fake-trainer',
      data: 'fake',
      optimizer: 'sgd',
      learningRate: 0.05,
      seed: 1,
    },
    target: { kind: 'loss', value: 0.7 },
    smoothingSteps: 5,
    evalEverySteps: 10,
    maxExamples: BATCH * 1000,
    maxSeconds: 10_000,
    ...overrides,
  } satisfies TrialSpecInput);
}

async function trial(
  trialSpec: TrialSpec,
  signal?: AbortSignal,
  options?: Parameters<typeof runCommandTrial>[3],
  onEvent?: (event: TrialEvent) => void,
) {
  const events: TrialEvent[] = [];
  const started = performance.now();
  const end = await runCommandTrial(
    trialSpec,
    (event) => {
      events.push(event);
      onEvent?.(event);
    },
    signal,
    options,
  );
  const seconds = (performance.now() - started) / 1000;
  const evals = events.filter((e): e is TrialEval => e.type === 'eval');
  return { end, events, evals, seconds };
}

function expectEndedWith(events: readonly TrialEvent[], end: TrialEnd) {
  expect(events.at(-1)).toEqual(end);
  expect(events.filter((e) => e.type === 'trial-end')).toHaveLength(1);
  expect(liveGroupCount()).toBe(0);
}

/** Alive and not a zombie (an orphan's reaping is up to the container's init). */
function pidAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitDead(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !pidAlive(pid);
}

describe('runCommandTrial on the fake trainer', () => {
  it('reaches a loss target, records the held-out evaluations, and stops the command early', async () => {
    // 1000 steps of 20 ms would take 20 s: the target comes after a few dozen.
    const { end, events, evals, seconds } = await trial(
      spec(fakeCommand('--eval-every {eval_every}', '--step-delay-ms 20')),
    );
    expect(end).toMatchObject({ outcome: 'reached' });
    expect(end.stepsToTarget).toBeLessThan(200);
    expect(end.steps).toBe(end.stepsToTarget);
    expect(end.examples).toBe(end.steps * BATCH);
    expect(seconds).toBeLessThan(15);
    expect(events[0]).toEqual({
      type: 'trial-start',
      id: 'b32-lr1-r0',
      batchSize: 32,
      learningRate: 0.05,
      seed: 1,
      datasetSize: 4096,
      validationSize: 512,
    });
    // The untrained weights, then every 10 steps: validation loss falls from ~2.5 towards 0.5.
    expect(evals[0]).toMatchObject({ step: 0, examples: 0, trainLoss: null });
    expect(evals.map((e) => e.step)).toEqual(evals.map((_, i) => i * 10));
    for (const e of evals) expect(e.validationLoss).toEqual(expect.any(Number));
    const first = evals[0]?.validationLoss ?? 0;
    const last = evals.at(-1)?.validationLoss ?? 0;
    expect(first).toBeGreaterThan(1.5);
    expect(last).toBeLessThan(first);
    expect(evals.at(-1)?.trainLoss).toEqual(expect.any(Number));
    expect(end.validationLoss).toBe(last);
    expectEndedWith(events, end);
  }, 20_000);

  it('a validation-loss target is reached at an evaluation', async () => {
    const { end, events, evals } = await trial(
      spec(fakeCommand('--eval-every {eval_every}', '--step-delay-ms 10'), {
        target: { kind: 'metric', metric: 'loss', direction: '<=', value: 0.6 },
        evalEverySteps: 5,
      }),
    );
    expect(end).toMatchObject({ outcome: 'reached' });
    expect((end.stepsToTarget ?? 0) % 5).toBe(0);
    expect(end.validationLoss).toBeLessThanOrEqual(0.6);
    expect(evals.at(-1)?.validationLoss).toBe(end.validationLoss);
    expect(evals.slice(0, -1).every((e) => (e.validationLoss ?? 0) > 0.6)).toBe(true);
    expectEndedWith(events, end);
  }, 20_000);

  it('a command that never evaluates still reaches a loss target (no validation points)', async () => {
    const { end, events, evals } = await trial(spec(fakeCommand('--step-delay-ms 5')));
    expect(end).toMatchObject({ outcome: 'reached' });
    expect(end.validationLoss).toBeUndefined();
    expect(evals).toEqual([]);
    expect(events[0]).toMatchObject({ type: 'trial-start', datasetSize: 4096 });
    expect(events[0]).not.toHaveProperty('validationSize');
    expectEndedWith(events, end);
  }, 20_000);

  it('not reached within the step budget ({steps} = maxExamples / batch)', async () => {
    const { end, events } = await trial(
      spec(fakeCommand('--eval-every {eval_every}'), {
        target: { kind: 'loss', value: 0.1 },
        maxExamples: BATCH * 30,
      }),
    );
    expect(end).toMatchObject({
      outcome: 'not-reached',
      message: 'not reached within 960 examples (30 steps)',
      steps: 30,
    });
    expect(end.stepsToTarget).toBeUndefined();
    // The evaluation due at the last step is the trial's last point.
    expect(end.validationLoss).toEqual(expect.any(Number));
    expectEndedWith(events, end);
  }, 20_000);

  it('a command that exits 0 before the target and the budget: not reached, says so', async () => {
    const cmd = fakeCommand().replace('--steps {steps}', '--steps 7');
    const { end } = await trial(spec(cmd, { target: { kind: 'loss', value: 0.1 } }));
    expect(end).toMatchObject({ outcome: 'not-reached', steps: 7 });
    expect(end.message).toBe(
      'the command exited after 7 of the 1000 steps asked ({steps}) without reaching the target',
    );
    expect(liveGroupCount()).toBe(0);
  }, 20_000);

  it('a metric target without eval events: not reached, and the message says why', async () => {
    const { end } = await trial(
      spec(fakeCommand(), {
        target: { kind: 'metric', metric: 'loss', direction: '<=', value: 0.6 },
        maxExamples: BATCH * 20,
      }),
    );
    expect(end.outcome).toBe('not-reached');
    expect(end.message).toMatch(
      /wrote no eval event: a validation loss target needs it to evaluate/,
    );
  }, 20_000);

  it('out of memory: outcome oom', async () => {
    const { end, events } = await trial(spec(fakeCommand('--oom-above 16')));
    expect(end).toMatchObject({ outcome: 'oom', steps: 0 });
    expect(end.message).toMatch(/reported out of memory: simulated: batch 32 is over 16/);
    expect(events[0]).toMatchObject({ type: 'trial-start', datasetSize: 4096 });
    expectEndedWith(events, end);
  }, 20_000);

  it('a crash: error with the last line of standard error', async () => {
    const { end, events } = await trial(spec(fakeCommand('--crash')));
    expect(end).toMatchObject({ outcome: 'error', steps: 1 });
    expect(end.message).toBe(
      'the command at batch 32 exited with code 3: RuntimeError: simulated crash',
    );
    expectEndedWith(events, end);
  }, 20_000);

  it('a command that runs another batch than {batch}: error, one line', async () => {
    const { end, events } = await trial(
      spec(fakeCommand('--ignore-batch 16', '--step-delay-ms 5')),
    );
    expect(end).toMatchObject({
      outcome: 'error',
      message: 'the command ran batch 16 when asked for 32: does it use {batch}?',
      steps: 0,
    });
    expectEndedWith(events, end);
  }, 20_000);

  it('a hung command times out on the wall clock (twice maxSeconds + 30 s by default)', async () => {
    const { end, seconds } = await trial(spec(fakeCommand('--hang')), undefined, {
      wallTimeoutSeconds: 2,
    });
    expect(end.outcome).toBe('error');
    expect(end.message).toMatch(/^timed out: the command at batch 32 ran past 2 s of wall clock/);
    expect(seconds).toBeLessThan(10);
    expect(liveGroupCount()).toBe(0);
  }, 20_000);

  it('abort: outcome aborted, and nothing of the command is left (its process group)', async () => {
    const pidFile = path.join(tmpdir(), `batchwise-trial-sleeper-${process.pid}.pid`);
    const controller = new AbortController();
    const { end, events } = await trial(
      spec(
        fakeCommand('--eval-every {eval_every}', '--step-delay-ms 50', '--spawn-sleeper', pidFile),
        {
          target: { kind: 'loss', value: 0.1 },
        },
      ),
      controller.signal,
      undefined,
      (event) => {
        if (event.type === 'eval' && event.step === 10) controller.abort();
      },
    );
    expect(end).toMatchObject({ outcome: 'aborted', message: 'interrupted' });
    expect(end.steps).toBeGreaterThanOrEqual(10);
    expect(end.steps).toBeLessThan(1000);
    const sleeper = Number(await readFile(pidFile, 'utf8'));
    expect(sleeper).toBeGreaterThan(0);
    expect(await waitDead(sleeper)).toBe(true);
    expectEndedWith(events, end);
  }, 20_000);

  it('a template it cannot run: error before anything starts', async () => {
    const noBatch = await trial(spec('python train.py --steps {steps}'));
    expect(noBatch.end).toMatchObject({ outcome: 'error', steps: 0 });
    expect(noBatch.end.message).toMatch(/must contain \{batch\}/);
    expect(noBatch.events).toHaveLength(1);
    const unknown = await trial(spec('python train.py --batch {batch} --lr {learning_rate}'));
    expect(unknown.end.message).toMatch(/unknown macro \{learning_rate\}/);
    const aborted = new AbortController();
    aborted.abort();
    const before = await trial(spec(fakeCommand()), aborted.signal);
    expect(before.end).toMatchObject({ outcome: 'aborted', steps: 0 });
  });
});

describe.skipIf(skipTorch())('runCommandTrial on examples/pytorch_train.py (real PyTorch)', () => {
  it('trains to a loss target with held-out evaluations every {eval_every} steps', async () => {
    const { python } = requireTorchPython();
    const example = path.join(ROOT, 'examples/pytorch_train.py');
    const cmd = [
      `'${python}' '${example}'`,
      '--batch-size {batch} --steps {steps} --lr {lr} --seed {seed} --eval-every {eval_every}',
      '--model mlp --width 32 --context 16 --vocab 64 --dataset-size 2048 --validation-size 256',
      '--threads 1',
    ].join(' ');
    const { end, events, evals } = await trial(
      spec(cmd, {
        learningRate: 0.01,
        target: { kind: 'loss', value: 3.0 },
        evalEverySteps: 5,
        maxExamples: BATCH * 400,
        maxSeconds: 120,
      }),
      undefined,
      { env: { PYTHONDONTWRITEBYTECODE: '1' } },
    );
    expect(end.message).toBeUndefined();
    expect(end.outcome).toBe('reached');
    expect(end.stepsToTarget).toBeLessThan(400);
    expect(events[0]).toMatchObject({
      type: 'trial-start',
      batchSize: BATCH,
      datasetSize: 2048,
      validationSize: 256,
    });
    expect(evals.length).toBeGreaterThanOrEqual(2);
    expect(evals[0]).toMatchObject({ step: 0, trainLoss: null });
    for (const e of evals) {
      expect(e.step % 5).toBe(0);
      expect(e.validationLoss).toEqual(expect.any(Number));
      expect(e.validationAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.validationAccuracy).toBeLessThanOrEqual(1);
    }
    expect(evals.at(-1)?.validationLoss).toBeLessThan(evals[0]?.validationLoss ?? 0);
    expectEndedWith(events, end);
  }, 60_000);
});
