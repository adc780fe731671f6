// The command engine against the fake trainer: the engine contract, every way a command fails
// (out of memory by event, message or SIGKILL; timeout; crash; missing; silent; no steps; a bad
// telemetry line), and that the command's whole process group is always ended.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommandEngine } from '../../../src/engines/command/command-engine.js';
import { liveGroupCount } from '../../../src/engines/command/process-groups.js';
import { BatchwiseError } from '../../../src/errors.js';
import { engineContract } from '../engine-contract.js';
import { fakeTrainerCommand, SPEC } from './fake-trainer-command.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-command-test-'));

function open(extra: string[] = [], options: { timeoutSeconds?: number } = {}) {
  return createCommandEngine({
    command: fakeTrainerCommand(...extra),
    killGraceSeconds: 0.2,
    ...options,
  }).open(SPEC);
}

engineContract('command (fake trainer)', {
  open: (options) =>
    createCommandEngine({ command: fakeTrainerCommand('--step-delay-ms', '5') }).open(
      SPEC,
      options,
    ),
});

describe('command engine: what the fake trainer reports', () => {
  it('reads the start event into the workload and engine info', async () => {
    const session = await open(['--dataset-size', '500']);
    try {
      expect(session.engine.name).toBe('command');
      expect(session.engine.backend).toBe('fake-trainer on cpu');
      expect(session.workload.datasetSize).toBe(500);
      expect(session.workload.parameterCount).toBe(16);
    } finally {
      await session.dispose();
    }
  });

  it('reads telemetry from standard output when the command writes it there', async () => {
    const session = await open(['--stdout']);
    try {
      const outcome = await session.train({ batchSize: 8, steps: 2 });
      expect(outcome.kind).toBe('ok');
      expect(outcome.steps).toHaveLength(2);
    } finally {
      await session.dispose();
    }
  });

  it('passes {micro_batch} and {accumulation} so one step gives k micro-batch norms', async () => {
    const session = await open();
    try {
      const norms = await session.gradientNorms({ microBatchSize: 4, microBatches: 8 });
      if (norms.kind !== 'ok') throw new Error(norms.message);
      expect(norms.microSqNorms).toHaveLength(8);
      expect(norms.microBatchSize).toBe(4);
    } finally {
      await session.dispose();
    }
  });
});

describe('command engine: failures are outcomes with clear messages', () => {
  it('an oom event above a batch is an oom outcome', async () => {
    const session = await open(['--oom-above', '8']);
    try {
      const ok = await session.measureMemory({ batchSize: 8 });
      expect(ok.kind).toBe('ok');
      const oom = await session.measureMemory({ batchSize: 16 });
      expect(oom.kind).toBe('oom');
      expect(oom.kind === 'oom' && oom.message).toMatch(/batch 16 is over 8/);
      const train = await session.train({ batchSize: 16, steps: 2 });
      expect(train.kind).toBe('oom');
    } finally {
      await session.dispose();
    }
  });

  it('a CUDA message on standard error and exit 1 is an oom outcome', async () => {
    const session = await open([
      '--oom-above',
      '4',
      '--oom-message',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB',
    ]);
    try {
      const outcome = await session.train({ batchSize: 8, steps: 1 });
      expect(outcome.kind).toBe('oom');
      expect(outcome.kind === 'oom' && outcome.message).toMatch(/CUDA out of memory/);
    } finally {
      await session.dispose();
    }
  });

  it('a kill by SIGKILL (the kernel OOM killer) is an oom outcome', async () => {
    const session = await open(['--oom-above', '4', '--oom-message', 'SIGKILL']);
    try {
      const outcome = await session.measureMemory({ batchSize: 8 });
      expect(outcome.kind).toBe('oom');
      expect(outcome.kind === 'oom' && outcome.message).toMatch(/SIGKILL/);
    } finally {
      await session.dispose();
    }
  });

  it('a hang hits the timeout and is killed', async () => {
    const session = await open(['--hang'], { timeoutSeconds: 1 });
    try {
      const outcome = await session.train({ batchSize: 4, steps: 2 });
      expect(outcome.kind).toBe('timeout');
      expect(outcome.kind === 'timeout' && outcome.message).toMatch(/timeout of 1 s/);
      expect(session.resources().handles).toBe(0);
    } finally {
      await session.dispose();
    }
  });

  it('a crash is an error outcome with the last line of standard error and the steps before', async () => {
    const session = await open(['--crash']);
    try {
      const outcome = await session.train({ batchSize: 4, steps: 3 });
      expect(outcome.kind).toBe('error');
      expect(outcome.kind === 'error' && outcome.message).toBe(
        'the command at batch 4 exited with code 3: RuntimeError: simulated crash',
      );
      expect(outcome.steps).toHaveLength(1);
    } finally {
      await session.dispose();
    }
  });

  it('a command that prints nothing, or exits 0 without a step, is an error that says so', async () => {
    const silent = await open(['--silent']);
    try {
      const outcome = await silent.train({ batchSize: 4, steps: 1 });
      expect(outcome.kind === 'error' && outcome.message).toMatch(
        /exited 0 but printed nothing and wrote no telemetry/,
      );
    } finally {
      await silent.dispose();
    }
    const noSteps = await open(['--no-steps']);
    try {
      const outcome = await noSteps.train({ batchSize: 4, steps: 1 });
      expect(outcome.kind === 'error' && outcome.message).toBe(
        'the command at batch 4 exited 0 without any step event (last output: fake-trainer: nothing to do)',
      );
    } finally {
      await noSteps.dispose();
    }
  });

  it('an invalid telemetry line stops the run with a message naming the line', async () => {
    const session = await open(['--invalid-line']);
    try {
      const outcome = await session.train({ batchSize: 4, steps: 1 });
      expect(outcome.kind === 'error' && outcome.message).toBe(
        'telemetry line 2 (step): "batchSize" must be a number, got the string "many"',
      );
    } finally {
      await session.dispose();
    }
  });

  it('opening fails with one clear line for a missing, silent or stepless command', async () => {
    const missing = createCommandEngine({ command: 'no-such-trainer-xyz {batch} {steps}' });
    await expect(missing.open(SPEC)).rejects.toThrow(
      'the command "no-such-trainer-xyz" was not found (is it installed and on PATH?)',
    );
    await expect(open(['--silent', '--misbehave-from', '1'])).rejects.toThrow(
      /printed nothing and wrote no telemetry/,
    );
    await expect(open(['--no-steps', '--misbehave-from', '1'])).rejects.toThrow(BatchwiseError);
    expect(() => createCommandEngine({ command: 'python train.py --steps {steps}' })).toThrow(
      /must contain \{batch\}/,
    );
    expect(() => createCommandEngine({ command: 'train {batch} {steps} {rate}' })).toThrow(
      /unknown macro \{rate\}/,
    );
  });
});

describe('command engine: process cleanup', () => {
  /** Alive and not a zombie (an orphan's reaping is up to the container's init). */
  const pidAlive = (pid: number) => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  const waitDead = async (pid: number) => {
    for (let i = 0; i < 50 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    return !pidAlive(pid);
  };

  it('kills a grandchild of a hung command at the timeout', async () => {
    const pidFile = join(dir, 'hung-sleeper.pid');
    const session = await open(['--hang', '--spawn-sleeper', pidFile], { timeoutSeconds: 1 });
    try {
      const outcome = await session.train({ batchSize: 4, steps: 1 });
      expect(outcome.kind).toBe('timeout');
      expect(await waitDead(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
    } finally {
      await session.dispose();
    }
  });

  it('kills a grandchild left behind by a command that exited normally', async () => {
    const pidFile = join(dir, 'left-sleeper.pid');
    const session = await open(['--spawn-sleeper', pidFile]);
    try {
      const outcome = await session.train({ batchSize: 4, steps: 1 });
      expect(outcome.kind).toBe('ok');
      expect(await waitDead(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
      expect(liveGroupCount()).toBe(0);
    } finally {
      await session.dispose();
    }
  });
});
