// The Python helper (adapters/python/batchwise_telemetry.py): its protocol writer's lines parse
// with batchwise's own parser, and a numpy training script that writes through it gives, under
// `batchwise analyze` (the real binary), the exact B_simple of its problem within the interval.
// Skipped where python3 or numpy is missing.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTelemetryLine } from '../../src/protocol/parse-telemetry-line.js';
import type { TelemetryEvent } from '../../src/protocol/telemetry-events.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const ADAPTER = path.join(ROOT, 'adapters/python');
const BIN = path.join(ROOT, 'bin/batchwise.js');
// No __pycache__ left in the source tree.
const PYTHON_ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };

function hasPython(module?: string): boolean {
  const r = spawnSync('python3', ['-c', module ? `import ${module}` : 'pass'], { stdio: 'ignore' });
  return r.status === 0;
}
const python = hasPython();
const numpy = python && hasPython('numpy');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'batchwise-python-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function parseAll(text: string): TelemetryEvent[] {
  return text
    .split('\n')
    .map((line, i) => parseTelemetryLine(line, i + 1))
    .filter((e): e is TelemetryEvent => e !== undefined);
}

describe.skipIf(!python)('batchwise_telemetry.py writer', () => {
  it('writes protocol lines batchwise parses: non-finite numbers as strings, None left out', () => {
    const script = `
import sys
sys.path.insert(0, ${JSON.stringify(ADAPTER)})
from batchwise_telemetry import TelemetryWriter, unscale_sq_norm, sq_norm
w = TelemetryWriter(rank=0)
w.start(framework="test", micro_batch_size=4, accumulation_steps=2, dataset_size=100)
w.step(step=0, batch_size=8, seconds=0.5, loss=float("nan"), micro_sq_norms=[1.0, float("inf")], sq_norm=0.5, micro_batch_size=4)
w.step(step=1, batch_size=8, seconds=0.25, loss=1.5, micro_sq_norms=[400.0, 900.0], sq_norm=100.0, loss_scale=10.0)
w.oom("CUDA out of memory. Tried to allocate 2 GiB\\nmore", batch_size=64)
w.end(steps=2)
assert unscale_sq_norm(400.0, 10.0) == 4.0 and sq_norm([3, 4]) == 25.0
TelemetryWriter(rank=1).step(step=0, batch_size=8, seconds=1, loss=1)  # rank 1: silent
`;
    const out = execFileSync('python3', ['-c', script], {
      encoding: 'utf8',
      env: { ...PYTHON_ENV, BATCHWISE_TELEMETRY: '' },
    });
    const events = parseAll(out);
    expect(events.map((e) => e.event)).toEqual(['start', 'step', 'step', 'oom', 'end']);
    const [start, first, second, oom] = events;
    expect(start).toMatchObject({
      framework: 'test',
      microBatchSize: 4,
      accumulationSteps: 2,
      datasetSize: 100,
      rank: 0,
      worldSize: 1,
    });
    expect(first).toMatchObject({ step: 0, batchSize: 8 });
    if (first?.event === 'step') {
      expect(first.loss).toBeNaN();
      expect(first.microSqNorms).toEqual([1, Number.POSITIVE_INFINITY]);
    }
    // The parser divides the written loss scale out, squared.
    if (second?.event === 'step') expect(second.microSqNorms).toEqual([4, 9]);
    expect(oom).toMatchObject({
      message: 'CUDA out of memory. Tried to allocate 2 GiB',
      batchSize: 64,
    });
  });

  it('writes eval events (extension eval 1); eval_every() takes the value, else $BATCHWISE_EVAL_EVERY', () => {
    const script = `
import sys
sys.path.insert(0, ${JSON.stringify(ADAPTER)})
from batchwise_telemetry import EVAL_SUPPORT, TelemetryWriter, eval_every
w = TelemetryWriter(rank=0)
w.start(framework="test", dataset_size=100, protocol=EVAL_SUPPORT)
w.eval(step=0, loss=2.5, accuracy=0.1, examples=20)
w.eval(step=10, loss=float("nan"))
assert eval_every(5) == 5 and eval_every() == 7 and eval_every(0) == 0
`;
    const out = execFileSync('python3', ['-c', script], {
      encoding: 'utf8',
      env: { ...PYTHON_ENV, BATCHWISE_TELEMETRY: '', BATCHWISE_EVAL_EVERY: '7' },
    });
    const events = parseAll(out);
    expect(events[0]).toMatchObject({ event: 'start', protocol: { eval: 1 } });
    expect(events[1]).toEqual({
      v: 1,
      event: 'eval',
      step: 0,
      loss: 2.5,
      accuracy: 0.1,
      examples: 20,
    });
    expect(events[2]?.event === 'eval' && Number.isNaN(events[2].loss)).toBe(true);
  });

  it('writes to the file named by BATCHWISE_TELEMETRY, appending', async () => {
    const file = path.join(dir, 'env.jsonl');
    const script = `import sys; sys.path.insert(0, ${JSON.stringify(ADAPTER)})
from batchwise_telemetry import TelemetryWriter
with TelemetryWriter() as w:
    w.start(framework="test")
print("ordinary output")`;
    const out = execFileSync('python3', ['-c', script], {
      encoding: 'utf8',
      env: { ...PYTHON_ENV, BATCHWISE_TELEMETRY: file, RANK: '0' },
    });
    expect(out).toBe('ordinary output\n');
    expect(parseAll(await readFile(file, 'utf8'))).toHaveLength(1);
  });

  it('the modules, the Keras helper and the PyTorch example compile without torch or tensorflow installed', () => {
    for (const file of [
      'adapters/python/batchwise_telemetry.py',
      'adapters/python/torchrun_compat.py',
      'adapters/keras/batchwise_keras.py',
      'examples/pytorch_train.py',
    ]) {
      const r = spawnSync(
        'python3',
        ['-c', `import ast,sys; ast.parse(open(sys.argv[1]).read())`, path.join(ROOT, file)],
        { encoding: 'utf8' },
      );
      expect(r.stderr, file).toBe('');
      expect(r.status, file).toBe(0);
    }
  });
});

describe.skipIf(!numpy)('numpy linear regression end to end', () => {
  it('batchwise analyze finds the exact B_simple of the problem within its 95% interval', async () => {
    const telemetry = path.join(dir, 'numpy.jsonl');
    const truthFile = path.join(dir, 'truth.jsonl');
    const report = path.join(dir, 'numpy-report.json');
    execFileSync(
      'python3',
      [
        path.join(ROOT, 'examples/numpy_linear_regression.py'),
        '--steps',
        '300',
        '--output',
        telemetry,
        '--truth',
        truthFile,
      ],
      { env: PYTHON_ENV },
    );
    // The target below is the EMA-weighted truth, so the estimate is asked for that smoothing.
    execFileSync(process.execPath, [
      BIN,
      'analyze',
      telemetry,
      '--smoothing',
      'ema:0.9',
      '--json',
      report,
      '--quiet',
    ]);
    const json = JSON.parse(await readFile(report, 'utf8'));
    const b = json.noise.bSimple;
    expect(b.kind).toBe('measured');
    expect(b.sampleCount).toBe(300);
    // The exact B_simple the estimator targets: the EMA(beta = 0.9) of tr(Sigma) over that of
    // |G|^2, with the same bias-corrected weights (numerator and denominator smoothed separately).
    const truth = (await readFile(truthFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { gradientSqNorm: number; traceCovariance: number });
    const beta = 0.9;
    let g = 0;
    let s = 0;
    truth.forEach((t, i) => {
      const w = (1 - beta) * beta ** (truth.length - 1 - i);
      g += w * t.gradientSqNorm;
      s += w * t.traceCovariance;
    });
    const exact = s / g;
    expect(b.ci95[0]).toBeLessThan(exact);
    expect(b.ci95[1]).toBeGreaterThan(exact);
    expect(b.ci95[1] / b.ci95[0]).toBeLessThan(2); // an informative interval
    console.log(
      `numpy end to end: exact B_simple ${exact.toFixed(2)}, estimated ${b.value.toFixed(2)} (95% CI ${b.ci95[0].toFixed(2)}–${b.ci95[1].toFixed(2)})`,
    );
  });
});
