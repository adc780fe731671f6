// The PyTorch adapter's gradient norms on a real model against exact per-example gradients:
// test/adapters/torch_exact_norms.py trains a float64 MLP through batchwise_telemetry.track and,
// at the same weights, computes every example's gradient one backward at a time. The adapter's
// micro-batch (or rank-local) squared norms and the accumulated (all-reduced) one, and so the
// two-batch estimates of |G|^2 and tr(Sigma) (McCandlish et al. 2018, App. A.1, with the
// finite-population correction) built from them, must equal the exact ones to float precision —
// plain, accumulated, data-parallel (2 ranks, gloo, under torchrun) and with a loss scale
// (GradScaler-like or fixed) divided out. Needs a Python with torch (test/support/python.ts).

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromMicroBatches, twoBatchEstimate } from '../../src/analysis/gradient-norms.js';
import { parseTelemetryLine } from '../../src/protocol/parse-telemetry-line.js';
import type { TelemetryEvent, TelemetryStep } from '../../src/protocol/telemetry-events.js';
import {
  PYTHON_ENV,
  requireTorchPython,
  runTorchrun,
  skipTorch,
  torchrunArgv,
} from '../support/python.js';

const run = promisify(execFile);
const SCRIPT = new URL('./torch_exact_norms.py', import.meta.url).pathname;
const DATASET_SIZE = 256;

interface Exact {
  readonly step: number;
  readonly microSqNorms: number[];
  readonly sqNorm: number;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'batchwise-torch-norms-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function measure(
  name: string,
  options: { accumulation: number; microBatch: number; ranks?: number; extra?: string[] },
): Promise<{ start: TelemetryEvent; steps: TelemetryStep[]; exact: Exact[] }> {
  const { python } = requireTorchPython();
  const telemetry = path.join(dir, `${name}.jsonl`);
  const exactFile = path.join(dir, `${name}-exact.jsonl`);
  const args = [
    SCRIPT,
    '--accumulation',
    String(options.accumulation),
    '--micro-batch',
    String(options.microBatch),
    '--steps',
    '3',
    '--dataset-size',
    String(DATASET_SIZE),
    '--telemetry',
    telemetry,
    '--exact',
    exactFile,
    ...(options.extra ?? []),
  ];
  if ((options.ranks ?? 1) > 1) {
    await runTorchrun(
      (port) => [
        ...torchrunArgv(python),
        '--nproc_per_node',
        String(options.ranks),
        '--master_addr',
        '127.0.0.1',
        '--master_port',
        String(port),
        ...args,
      ],
      { ...PYTHON_ENV, OMP_NUM_THREADS: '1' },
      [telemetry, exactFile],
    );
  } else {
    await run(python, args, { env: PYTHON_ENV });
  }
  const events = (await readFile(telemetry, 'utf8'))
    .split('\n')
    .map((line, i) => parseTelemetryLine(line, i + 1))
    .filter((e): e is TelemetryEvent => e !== undefined);
  const exact = (await readFile(exactFile, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Exact);
  const [start] = events;
  if (start === undefined) throw new Error(`${name}: no telemetry`);
  return {
    start,
    steps: events.filter((e): e is TelemetryStep => e.event === 'step'),
    exact,
  };
}

/** |a − b| relative to the size of the exact value (the estimates can be near 0: to `scale`). */
function relativeError(a: number, b: number, scale = Math.abs(b)): number {
  return Math.abs(a - b) / scale;
}

function compare(
  name: string,
  steps: readonly TelemetryStep[],
  exact: readonly Exact[],
  microBatchSize: number,
) {
  expect(steps).toHaveLength(exact.length);
  let worstNorm = 0;
  let worstEstimate = 0;
  const figures: string[] = [];
  steps.forEach((step, i) => {
    const truth = exact[i];
    if (truth === undefined) throw new Error('missing exact step');
    const micro = step.microSqNorms ?? [];
    expect(micro).toHaveLength(truth.microSqNorms.length);
    micro.forEach((m, j) => {
      worstNorm = Math.max(worstNorm, relativeError(m, truth.microSqNorms[j] ?? Number.NaN));
    });
    worstNorm = Math.max(worstNorm, relativeError(step.sqNorm ?? Number.NaN, truth.sqNorm));
    if (micro.length < 2) return;
    const ours = twoBatchEstimate(
      fromMicroBatches(micro, microBatchSize, step.sqNorm ?? Number.NaN, DATASET_SIZE),
    );
    const theirs = twoBatchEstimate(
      fromMicroBatches(truth.microSqNorms, microBatchSize, truth.sqNorm, DATASET_SIZE),
    );
    // Scale of the estimator's inputs: its outputs are differences of them, amplified by ~B.
    const scale = Math.max(...truth.microSqNorms) * step.batchSize;
    worstEstimate = Math.max(
      worstEstimate,
      relativeError(ours.gradientSqNorm, theirs.gradientSqNorm, scale),
      relativeError(ours.traceCovariance, theirs.traceCovariance, scale),
    );
    figures.push(
      `step ${step.step}: |G|² ${ours.gradientSqNorm.toPrecision(10)} vs exact ${theirs.gradientSqNorm.toPrecision(10)}, tr(Σ) ${ours.traceCovariance.toPrecision(10)} vs exact ${theirs.traceCovariance.toPrecision(10)}`,
    );
  });
  console.log(
    `${name}: largest relative difference of the squared norms ${worstNorm.toExponential(2)}, of the estimates ${worstEstimate.toExponential(2)}\n  ${figures.join('\n  ')}`,
  );
  expect(worstNorm).toBeLessThan(1e-12);
  expect(worstEstimate).toBeLessThan(1e-12);
}

describe.skipIf(skipTorch())('PyTorch adapter norms = exact per-example gradients', () => {
  it('plain (one micro-batch per step): the norm of the batch gradient', async () => {
    const { start, steps, exact } = await measure('plain', { accumulation: 1, microBatch: 8 });
    expect(start).toMatchObject({
      framework: 'pytorch',
      datasetSize: DATASET_SIZE,
      parameterCount: 195,
      memoryKind: 'process-rss',
    });
    for (const step of steps) expect(step.peakBytes).toBeGreaterThan(0);
    compare('plain', steps, exact, 8);
  }, 120_000);

  it('accumulated, k = 4 micro-batches of 4', async () => {
    const { steps, exact } = await measure('accumulated', { accumulation: 4, microBatch: 4 });
    compare('accumulated k=4', steps, exact, 4);
  }, 120_000);

  it('a GradScaler-like loss scale of 1024 and a fixed one of 4096: divided out', async () => {
    const scaled = await measure('scaler', {
      accumulation: 4,
      microBatch: 4,
      extra: ['--loss-scale', '1024', '--scale-mode', 'scaler'],
    });
    expect(scaled.start).toMatchObject({ lossScale: 1024 });
    compare('GradScaler-like S=1024, k=4', scaled.steps, scaled.exact, 4);
    const fixed = await measure('static', {
      accumulation: 2,
      microBatch: 4,
      extra: ['--loss-scale', '4096', '--scale-mode', 'static'],
    });
    compare('fixed loss_scale S=4096, k=2', fixed.steps, fixed.exact, 4);
  }, 120_000);

  it('DistributedDataParallel, 2 ranks (gloo, torchrun), k = 2: rank-local and all-reduced', async () => {
    const { start, steps, exact } = await measure('ddp', {
      accumulation: 2,
      microBatch: 4,
      ranks: 2,
    });
    expect(start).toMatchObject({ worldSize: 2, accumulationSteps: 2, microBatchSize: 4 });
    for (const step of steps) {
      expect(step.batchSize).toBe(16);
      expect(step.microSqNorms).toHaveLength(4);
    }
    compare('DDP 2 ranks, k=2', steps, exact, 4);
  }, 900_000);
});
