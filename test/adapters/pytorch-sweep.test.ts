// `batchwise sweep --engine command` on a real PyTorch (Debian's python3-torch): the example
// trains each batch size to a training-loss target in a process of its own, evaluates its held-out
// set through `eval` events, and the sweep reports steps, examples and validation per batch.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepReportSchema } from '../../src/sweep/sweep-report.js';
import { requireTorchPython, skipTorch } from '../support/python.js';
import { batchwiseWithEnv } from '../support/run-cli.js';

describe('sweep with real PyTorch', () => {
  it.skipIf(skipTorch())(
    'trains the example to the target at three batch sizes',
    async () => {
      const python = requireTorchPython().python;
      const json = join(mkdtempSync(join(tmpdir(), 'batchwise-torch-sweep-')), 'sweep.json');
      const cmd =
        'python3 examples/pytorch_train.py --model mlp --batch-size {batch} --steps {steps} --lr {lr} --seed {seed} --eval-every {eval_every} --threads 1';
      const r = await batchwiseWithEnv(
        { PATH: `${dirname(python)}:${process.env.PATH ?? ''}`, PYTHONDONTWRITEBYTECODE: '1' },
        ...['sweep', '--engine', 'command', '--cmd', cmd, '--lr', '0.05'],
        ...['--batches', '16,64,256', '--target-loss', '3.5', '--max-epochs', '10', '--json', json],
      );
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(r.code).toBe(0);
      const report = sweepReportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
      expect(report.trials).toHaveLength(3);
      for (const t of report.trials) {
        expect(t.outcome).toBe('reached');
        expect(t.curve.some((p) => p.validationLoss !== undefined)).toBe(true);
        expect(t.validationAccuracy).toBeGreaterThanOrEqual(0);
      }
      // More examples per step: fewer steps to the same loss.
      const steps = report.trials.map((t) => t.stepsToTarget ?? 0);
      expect(steps[0]).toBeGreaterThan(steps[2] ?? 0);
    },
    180_000,
  );
});
