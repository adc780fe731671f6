// What the command engine checks and keeps, in both modes (one run per trial, and plans): a step
// of another batch than asked stops the session with one line; NaN norms are data, not "no
// norms"; a command without peakBytes gives memory trials that only tell fit from out-of-memory;
// the noise run streams every step's norms and stops at its time limit, keeping what came.

import { describe, expect, it } from 'vitest';
import { createCommandEngine } from '../../../src/engines/command/command-engine.js';
import type { GradientNorms } from '../../../src/engines/engine.js';
import { probeNoise } from '../../../src/probes/noise-probe.js';
import { fakeTrainerCommand, SPEC } from './fake-trainer-command.js';

const MODES = [
  { mode: 'one run per trial', flags: [] as string[] },
  { mode: 'plan', flags: ['--plan', '{plan}'] },
];

function open(...extra: string[]) {
  return createCommandEngine({
    command: fakeTrainerCommand(...extra),
    killGraceSeconds: 0.2,
  }).open(SPEC);
}

describe.each(MODES)('command engine ($mode): checks', ({ mode, flags }) => {
  it('stops with one line when the command runs another batch than asked', async () => {
    const session = await open(...flags, '--ignore-batch', '32');
    try {
      const memory = await session.measureMemory({ batchSize: 16 });
      const line =
        mode === 'plan'
          ? "the command ran batch 32 when the plan item asked for 16: does it use the item's batchSize?"
          : 'the command ran batch 32 when asked for 16: does it use {batch}?';
      expect(memory.kind === 'error' && memory.message).toBe(line);
      expect(session.broken?.()).toBe(line);
      const train = await session.train({ batchSize: 4, steps: 3 });
      expect(train.kind).toBe('error');
      expect(train.steps).toHaveLength(0);
    } finally {
      await session.dispose();
    }
  });

  it('says so at the opening run, or in plan mode (whose opening runs no step) at the first trial', async () => {
    const command = open(...flags, '--ignore-batch', '8', '--misbehave-from', '1');
    const line = /^the command ran batch 8 when (the plan item )?asked for 1: does it use/;
    if (mode !== 'plan') {
      await expect(command).rejects.toThrow(line);
      return;
    }
    const session = await command;
    try {
      const memory = await session.measureMemory({ batchSize: 1 });
      expect(memory.kind === 'error' && memory.message).toMatch(line);
    } finally {
      await session.dispose();
    }
  });

  it('keeps NaN micro-batch norms as data; the estimate skips them openly', async () => {
    const session = await open(...flags, '--nan-norms');
    try {
      const run = await session.trainWithNorms?.({
        microBatchSize: 4,
        accumulationSteps: 8,
        steps: 3,
      });
      expect(run?.train.kind).toBe('ok');
      expect(run?.norms).toHaveLength(3);
      expect(run?.norms[0]?.microSqNorms.every(Number.isNaN)).toBe(true);
      await session.reset();
      const noise = await probeNoise(session, {
        trainBatchSize: 32,
        microBatchSize: 4,
        microBatches: 8,
        measureEvery: 1,
        measurements: 4,
      });
      expect(noise.outcome).toBe('ok');
      expect(noise.message ?? '').not.toMatch(/microSqNorms/);
      expect(noise.measurements).toHaveLength(4);
      expect(noise.final.kind).toBe('not-measurable');
      expect(noise.final.skippedCount).toBe(4);
    } finally {
      await session.dispose();
    }
  });

  it('a command without peakBytes gives memory trials that ran, without a peak, and oom above', async () => {
    const session = await open(...flags, '--no-peak', '--oom-above', '8');
    try {
      const fits = await session.measureMemory({ batchSize: 8 });
      expect(fits.kind).toBe('ok');
      expect(fits.kind === 'ok' && fits.peakBytes).toBeUndefined();
      expect(fits.kind === 'ok' && fits.peakNotMeasured).toMatch(/reported no peakBytes/);
      expect((await session.measureMemory({ batchSize: 16 })).kind).toBe('oom');
    } finally {
      await session.dispose();
    }
  });

  it('streams the noise run step by step and stops it at its time limit, keeping what came', async () => {
    const session = await open(...flags, '--real-time');
    try {
      const streamed: GradientNorms[] = [];
      const run = await session.trainWithNorms?.({
        microBatchSize: 4,
        accumulationSteps: 8,
        steps: 100_000,
        maxSeconds: 1,
        onNorms: (norms) => streamed.push(norms),
      });
      expect(run?.train.kind).toBe('ok');
      const steps = run?.train.steps.length ?? 0;
      expect(steps).toBeGreaterThan(0);
      expect(steps).toBeLessThan(100_000);
      expect(run?.stopped).toMatch(/the 1 s time limit was reached/);
      expect(streamed.map((n) => n.step)).toEqual(run?.norms.map((n) => n.step));
      expect(streamed).toHaveLength(steps);
    } finally {
      await session.dispose();
    }
  });
});
