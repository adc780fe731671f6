// The command engine with small shell scripts (--shell): every known out-of-memory message on
// standard error becomes an oom outcome, and step lines written by several ranks are merged.

import { describe, expect, it } from 'vitest';
import { createCommandEngine } from '../../../src/engines/command/command-engine.js';
import { OUT_OF_MEMORY_MESSAGES } from '../../../src/engines/command/out-of-memory-messages.js';
import { SPEC } from './fake-trainer-command.js';

const START =
  '{"v":1,"event":"start","framework":"sh","worldSize":2,"datasetSize":1000,"parameterCount":3}';

/** A script that starts, then fails with `message` above batch 1. */
function failingScript(message: string): string {
  return [
    `echo '${START}' > {telemetry}`,
    `if [ {batch} -gt 1 ]; then echo ${JSON.stringify(`RuntimeError: ${message}`)} >&2; exit 1; fi`,
    `echo '{"v":1,"event":"step","step":0,"batchSize":1,"seconds":0.01,"loss":1,"peakBytes":100}' >> {telemetry}`,
    ': {steps}',
  ].join('; ');
}

describe('command engine in a shell', () => {
  it.each(OUT_OF_MEMORY_MESSAGES)('turns "$text" on standard error into oom', async ({ text }) => {
    const session = await createCommandEngine({ command: failingScript(text), shell: true }).open(
      SPEC,
    );
    try {
      const outcome = await session.measureMemory({ batchSize: 8 });
      expect(outcome.kind).toBe('oom');
      expect(outcome.kind === 'oom' && outcome.message).toContain(text);
    } finally {
      await session.dispose();
    }
  });

  it('a crash with another message stays an error', async () => {
    const session = await createCommandEngine({
      command: failingScript('shape mismatch'),
      shell: true,
    }).open(SPEC);
    try {
      const outcome = await session.train({ batchSize: 8, steps: 1 });
      expect(outcome.kind === 'error' && outcome.message).toBe(
        'the command at batch 8 exited with code 1: RuntimeError: shape mismatch',
      );
    } finally {
      await session.dispose();
    }
  });

  it('merges the local norms that each rank writes for the same step', async () => {
    const step = (rank: number, norms: string) =>
      `{"v":1,"event":"step","step":0,"batchSize":{batch},"seconds":0.1,"loss":1,"rank":${rank},"worldSize":2,"microBatchSize":{micro_batch},"microSqNorms":[${norms}],"sqNorm":1}`;
    const script = [
      `echo '${START}' > {telemetry}`,
      `echo '${step(1, '3,4')}' >> {telemetry}`,
      `echo '${step(0, '1,2')}' >> {telemetry}`,
      ': {steps} {accumulation}',
    ].join('; ');
    const session = await createCommandEngine({ command: script, shell: true }).open(SPEC);
    try {
      const norms = await session.gradientNorms({ microBatchSize: 4, microBatches: 2 });
      if (norms.kind !== 'ok') throw new Error(norms.message);
      expect(norms.microSqNorms).toEqual([1, 2, 3, 4]);
      expect(norms.microBatchSize).toBe(4);
      expect(norms.accumulatedSqNorm).toBe(1);
    } finally {
      await session.dispose();
    }
  });
});
