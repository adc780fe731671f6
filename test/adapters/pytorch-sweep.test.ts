// `batchwise sweep --engine command` on a real PyTorch (Debian's python3-torch): the example
// trains each batch size for the same examples (`--examples`) in a process of its own, evaluates
// its held-out set through `eval` events, and the sweep reports steps, examples and validation per
// batch. (The example's toy next-token task does not make a loss target that every batch meets
// the same way: this checks the path; the fake engine's tests check the analysis.)

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepReportSchema } from '../../src/sweep/sweep-report.js';
import { requireTorchPython, skipTorch } from '../support/python.js';
import { batchwiseWithEnv } from '../support/run-cli.js';

describe('sweep with real PyTorch', () => {
  it.skipIf(skipTorch())(
    'trains the example for equal examples at three batch sizes',
    async () => {
      const python = requireTorchPython().python;
      const json = join(mkdtempSync(join(tmpdir(), 'batchwise-torch-sweep-')), 'sweep.json');
      const cmd =
        'python3 examples/pytorch_train.py --model mlp --batch-size {batch} --steps {steps} --lr {lr} --seed {seed} --eval-every {eval_every} --threads 1';
      const r = await batchwiseWithEnv(
        { PATH: `${dirname(python)}:${process.env.PATH ?? ''}`, PYTHONDONTWRITEBYTECODE: '1' },
        ...['sweep', '--engine', 'command', '--cmd', cmd, '--lr', '0.05', '--lr-rule', 'sqrt'],
        ...['--batches', '16,64,256', '--examples', '4096', '--json', json],
      );
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(r.code).toBe(0);
      const report = sweepReportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
      expect(report.trials).toHaveLength(3);
      for (const t of report.trials) {
        expect(t.outcome).toBe('reached');
        expect(t.stepsToTarget).toBe(4096 / t.batchSize);
        // Evaluated by the script at the start and twice an epoch (4,096 examples).
        const evaluated = t.curve.filter((p) => p.validationLoss !== undefined);
        expect(evaluated.length).toBeGreaterThanOrEqual(2);
        expect(t.validationAccuracy).toBeGreaterThanOrEqual(0);
        // The square-root rule from 0.05 at batch 32.
        expect(t.learningRate).toBeCloseTo(0.05 * Math.sqrt(t.batchSize / 32), 12);
      }
      expect(report.analysis.generalisation.batches).toHaveLength(3);
    },
    180_000,
  );
});
