// `batchwise find --engine command` on a real PyTorch model against the exact noise scale:
// test/adapters/torch_noise_mlp.py (a float64 MLP on 1024 fixed examples, run through plans)
// computes, in the noise run, the EXACT B_simple = tr(Sigma)/|G|^2 from all per-example
// gradients at the weights of every 4th measurement and of the last one, into the file named by
// $BATCHWISE_EXACT_NOISE. The report's noise.bSimple.value must lie within 1.5x of the exact
// value at the weights of the last noise measurement (the estimate is over the latest
// measurements, a stationary window; with lr 0.01 the exact value drifts little across the run,
// e.g. 54.7 at the first measurement, 61.7 at the last, the report 61.5). Needs a Python with
// torch (test/support/python.ts) and `npm run build`; about 20 s.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTorchPython, skipTorch } from '../support/python.js';
import { batchwise } from '../support/run-cli.js';

const SCRIPT = new URL('./torch_noise_mlp.py', import.meta.url).pathname;
const MEASUREMENTS = 40;

interface Exact {
  readonly item: number;
  readonly step: number;
  readonly gSq: number;
  readonly trace: number;
  readonly bSimple: number;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'batchwise-torch-noise-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(skipTorch())('find on a real PyTorch MLP: B_simple against the exact value', () => {
  it('lands within 1.5x of the exact B_simple at the weights of the last measurement', async () => {
    const { python } = requireTorchPython();
    const report = path.join(dir, 'find.json');
    const exactFile = path.join(dir, 'exact.jsonl');
    process.env.BATCHWISE_EXACT_NOISE = exactFile;
    process.env.PYTHONDONTWRITEBYTECODE = '1';
    const started = Date.now();
    let result: Awaited<ReturnType<typeof batchwise>>;
    try {
      result = await batchwise(
        'find',
        '--engine',
        'command',
        '--cmd',
        [
          `'${python}' '${SCRIPT}' --plan {plan}`,
          '--batch-size {batch} --steps {steps} --micro-batch-size {micro_batch}',
          '--accumulation {accumulation} --seed {seed} --lr 0.01 --exact-every 4',
        ].join(' '),
        '--lr-batch',
        '64',
        '--max-batch',
        '256',
        '--throughput-batches',
        '2',
        '--noise-measurements',
        String(MEASUREMENTS),
        '--noise-every',
        '1',
        '--noise-seconds',
        '60',
        '--timeout',
        '120',
        '--quiet',
        '--json',
        report,
      );
    } finally {
      delete process.env.BATCHWISE_EXACT_NOISE;
    }
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(await readFile(report, 'utf8'));
    expect(json.status).toBe('complete');
    expect(json.noise.bSimple.kind).toBe('measured');
    const measurements = json.noise.measurements as { step: number }[];
    expect(measurements).toHaveLength(MEASUREMENTS);
    const exact = (await readFile(exactFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Exact);
    const lastStep = measurements.at(-1)?.step;
    const atLast = exact.find((e) => e.step === lastStep);
    const first = exact[0];
    if (atLast === undefined || first === undefined) {
      throw new Error(`no exact value at step ${lastStep} (${exact.length} lines)`);
    }
    const estimate = json.noise.bSimple.value as number;
    const ratio = estimate / atLast.bSimple;
    console.log(
      `find's B_simple ${estimate.toFixed(1)} (95% ${json.noise.bSimple.ci95
        .map((v: number) => v.toFixed(1))
        .join('–')}, window ${json.noise.bSimple.effectiveSampleCount.toFixed(0)} of ${
        json.noise.bSimple.sampleCount
      }) vs exact ${atLast.bSimple.toFixed(1)} at step ${atLast.step} ` +
        `(${first.bSimple.toFixed(1)} at step ${first.step}): ratio ${ratio.toFixed(3)}, ` +
        `${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    expect(ratio).toBeGreaterThan(1 / 1.5);
    expect(ratio).toBeLessThan(1.5);
  }, 180_000);
});
