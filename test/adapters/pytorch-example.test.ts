// examples/pytorch_train.py on real PyTorch (1.13 or 2.x), as a user runs it: through
// `batchwise find --engine command` to a recommendation, and through `batchwise analyze` of the
// telemetry it writes with gradient accumulation and under DistributedDataParallel (2 ranks,
// gloo, torchrun). The model is a small decoder (width 32, 1 layer, context 16) so that it runs
// on a shared CPU. Needs a Python with torch (test/support/python.ts) and `npm run build`.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTelemetryLine } from '../../src/protocol/parse-telemetry-line.js';
import type { TelemetryEvent, TelemetryStep } from '../../src/protocol/telemetry-events.js';
import {
  PYTHON_ENV,
  requireTorchPython,
  runTorchrun,
  skipTorch,
  torchrunArgv,
} from '../support/python.js';
import { batchwise } from '../support/run-cli.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLE = path.join(ROOT, 'examples/pytorch_train.py');
const SMALL = ['--width', '32', '--layers', '1', '--context', '16', '--vocab', '64'];
const DATASET = ['--dataset-size', '4096', '--threads', '1'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'batchwise-torch-example-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function events(file: string): Promise<TelemetryEvent[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .map((line, i) => parseTelemetryLine(line, i + 1))
    .filter((e): e is TelemetryEvent => e !== undefined);
}

async function analyze(telemetry: string): Promise<{
  noise: { bSimple: { kind: string; sampleCount: number; value?: number } };
}> {
  const report = `${telemetry}.report.json`;
  const result = await batchwise('analyze', telemetry, '--json', report, '--quiet');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(await readFile(report, 'utf8'));
}

describe.skipIf(skipTorch())('examples/pytorch_train.py on real PyTorch', () => {
  it('batchwise analyze: 4 accumulated micro-batches per step give a measured B_simple', async () => {
    const { python } = requireTorchPython();
    const telemetry = path.join(dir, 'accumulated.jsonl');
    await run(
      python,
      [EXAMPLE, '--batch-size', '32', '--accumulation', '4', '--steps', '30', ...SMALL, ...DATASET],
      { env: { ...PYTHON_ENV, BATCHWISE_TELEMETRY: telemetry } },
    );
    const all = await events(telemetry);
    expect(all[0]).toMatchObject({
      event: 'start',
      framework: 'pytorch',
      microBatchSize: 8,
      accumulationSteps: 4,
      datasetSize: 4096,
      memoryKind: 'process-rss',
    });
    const steps = all.filter((e): e is TelemetryStep => e.event === 'step');
    expect(steps).toHaveLength(30);
    for (const step of steps) {
      expect(step).toMatchObject({ batchSize: 32, microBatchSize: 8 });
      expect(step.microSqNorms).toHaveLength(4);
      expect(step.peakBytes).toBeGreaterThan(0);
    }
    // The process's peak RSS never goes down.
    const peaks = steps.map((s) => s.peakBytes ?? 0);
    expect(peaks).toEqual([...peaks].sort((a, b) => a - b));
    expect(all.at(-1)).toMatchObject({ event: 'end', steps: 30 });
    const report = await analyze(telemetry);
    expect(report.noise.bSimple.kind).toBe('measured');
    expect(report.noise.bSimple.sampleCount).toBe(30);
  }, 180_000);

  it('--plan: runs the work items in one process, every step tagged, then item-end', async () => {
    const { python } = requireTorchPython();
    const telemetry = path.join(dir, 'plan.jsonl');
    const plan = path.join(dir, 'plan-items.jsonl');
    await writeFile(
      plan,
      [
        { v: 1, id: 1, phase: 'open', batchSize: 1, steps: 0, microBatchSize: 1, accumulation: 1 },
        {
          v: 1,
          id: 2,
          phase: 'memory',
          batchSize: 64,
          steps: 2,
          microBatchSize: 64,
          accumulation: 1,
        },
        {
          v: 1,
          id: 3,
          phase: 'throughput',
          batchSize: 32,
          steps: 3,
          microBatchSize: 8,
          accumulation: 4,
        },
        { v: 1, stop: true },
      ]
        .map((line) => `${JSON.stringify(line)}\n`)
        .join(''),
    );
    await run(python, [EXAMPLE, '--plan', plan, ...SMALL, ...DATASET], {
      env: { ...PYTHON_ENV, BATCHWISE_TELEMETRY: telemetry },
    });
    const all = await events(telemetry);
    expect(all[0]).toMatchObject({ event: 'start', protocol: { plan: 1 } });
    const kinds = all.map((e) =>
      e.event === 'step' ? `step ${e.item}:${e.batchSize}/${e.microBatchSize}` : e.event,
    );
    expect(kinds).toEqual([
      'start',
      'item-end',
      'step 2:64/64',
      'step 2:64/64',
      'item-end',
      'step 3:32/8',
      'step 3:32/8',
      'step 3:32/8',
      'item-end',
      'end',
    ]);
    const accumulated = all.filter((e): e is TelemetryStep => e.event === 'step' && e.item === 3);
    expect(accumulated.map((s) => s.step)).toEqual([0, 1, 2]);
    for (const step of accumulated) expect(step.microSqNorms).toHaveLength(4);
  }, 180_000);

  it('under torchrun, 2 ranks (gloo): every rank-local micro-batch norm, analysed', async () => {
    const { python } = requireTorchPython();
    const telemetry = path.join(dir, 'ddp.jsonl');
    await runTorchrun(
      (port) => [
        ...torchrunArgv(python),
        '--nproc_per_node',
        '2',
        '--master_addr',
        '127.0.0.1',
        '--master_port',
        String(port),
        EXAMPLE,
        '--batch-size',
        '32',
        '--accumulation',
        '2',
        '--steps',
        '20',
        ...SMALL,
        ...DATASET,
      ],
      { ...PYTHON_ENV, OMP_NUM_THREADS: '1', BATCHWISE_TELEMETRY: telemetry },
      [telemetry],
    );
    const all = await events(telemetry);
    expect(all[0]).toMatchObject({ event: 'start', worldSize: 2, rank: 0, microBatchSize: 8 });
    const steps = all.filter((e): e is TelemetryStep => e.event === 'step');
    expect(steps).toHaveLength(20); // rank 0 writes for both
    for (const step of steps) {
      expect(step).toMatchObject({ batchSize: 32, microBatchSize: 8 });
      expect(step.microSqNorms).toHaveLength(4); // 2 ranks × 2 micro-batches
    }
    const report = await analyze(telemetry);
    expect(report.noise.bSimple.kind).toBe('measured');
    expect(report.noise.bSimple.sampleCount).toBe(20);
  }, 900_000);

  it('batchwise find --engine command drives it to a recommendation', async () => {
    const { python } = requireTorchPython();
    const report = path.join(dir, 'find.json');
    const started = Date.now();
    const result = await batchwise(
      'find',
      '--engine',
      'command',
      '--cmd',
      [
        `'${python}'`,
        `'${EXAMPLE}'`,
        '--batch-size {batch} --steps {steps} --micro-batch-size {micro_batch}',
        '--accumulation {accumulation} --seed {seed}',
        ...SMALL,
        ...DATASET,
      ].join(' '),
      '--max-batch',
      '64',
      '--throughput-batches',
      '2',
      '--noise-measurements',
      '4',
      '--noise-every',
      '2',
      '--noise-seconds',
      '20',
      '--timeout',
      '120',
      '--quiet',
      '--json',
      report,
    );
    console.log(`find on the PyTorch example: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(await readFile(report, 'utf8'));
    expect(json.status).toBe('complete');
    expect(json.engine).toMatchObject({ name: 'command' });
    expect(json.workload).toMatchObject({ datasetSize: 4096, parameterCount: 17376 });
    expect(json.recommendation.batchSize).toBeGreaterThanOrEqual(1);
    expect(json.recommendation.batchSize).toBeLessThanOrEqual(64);
    expect(json.noise.bSimple.kind).toBe('measured');
  }, 600_000);
});
