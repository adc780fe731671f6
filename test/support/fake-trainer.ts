// A fake training command that speaks the telemetry protocol (docs/protocol.md), for testing
// the command engine: it really trains a linear least-squares problem with SGD (so gradient
// norms are real and the noise scale is known), reports simulated step times (t0 + B/R) and
// peak memory (fixed + microBatch · perExample), and misbehaves on demand.
//
//   node --import tsx test/support/fake-trainer.ts --batch-size {batch} --steps {steps}
//     [--telemetry PATH] [--micro-batch N | --accumulation K] [--seed N] [--dataset-size N]
//     [--oom-above N] [--oom-message TEXT] [--hang] [--crash] [--silent] [--no-steps]
//     [--stdout] [--step-delay-ms N] [--spawn-sleeper PIDFILE] [--invalid-line]
//     [--misbehave-from BATCH]
//
// Telemetry goes to --telemetry, else $BATCHWISE_TELEMETRY, else (or with --stdout) standard
// output. --oom-above N: above batch N, an `oom` event and exit 1, or with --oom-message TEXT,
// TEXT on standard error and exit 1 (no event), or with --oom-message SIGKILL, a SIGKILL.
// --hang, --crash, --silent, --no-steps, --invalid-line act only from batch --misbehave-from
// (default 2), so that the engine's opening run at batch 1 succeeds.

import { spawn } from 'node:child_process';
import { openSync, writeFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  LinearRegressionProblem,
  sqNorm,
  weightedMean,
} from '../../src/engines/fake/linear-regression.js';

const { values } = parseArgs({
  options: {
    'batch-size': { type: 'string' },
    steps: { type: 'string' },
    telemetry: { type: 'string' },
    'micro-batch': { type: 'string' },
    accumulation: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'dataset-size': { type: 'string', default: '4096' },
    dimension: { type: 'string', default: '16' },
    lr: { type: 'string', default: '0.05' },
    'oom-above': { type: 'string' },
    'oom-message': { type: 'string' },
    hang: { type: 'boolean', default: false },
    crash: { type: 'boolean', default: false },
    silent: { type: 'boolean', default: false },
    'no-steps': { type: 'boolean', default: false },
    stdout: { type: 'boolean', default: false },
    'step-delay-ms': { type: 'string', default: '0' },
    'spawn-sleeper': { type: 'string' },
    'invalid-line': { type: 'boolean', default: false },
    'misbehave-from': { type: 'string', default: '2' },
  },
});

const integer = (name: string, text: string | undefined): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`fake-trainer: --${name} must be an integer, got ${text}\n`);
    process.exit(2);
  }
  return value;
};

const batchSize = integer('batch-size', values['batch-size']);
const steps = integer('steps', values.steps);
const seed = integer('seed', values.seed);
const datasetSize = integer('dataset-size', values['dataset-size']);
const dimension = integer('dimension', values.dimension);
const learningRate = Number(values.lr);
const stepDelayMs = integer('step-delay-ms', values['step-delay-ms']);
/** --hang, --crash, --silent, --no-steps and --invalid-line act from this batch on (default 2). */
const misbehave = batchSize >= integer('misbehave-from', values['misbehave-from']);

/** Micro-batches per step: given, implied by --micro-batch, or the largest of 8, 4, 2 that divides. */
function accumulationSteps(): number {
  if (values.accumulation !== undefined) return integer('accumulation', values.accumulation);
  if (values['micro-batch'] !== undefined) {
    return Math.max(1, Math.floor(batchSize / integer('micro-batch', values['micro-batch'])));
  }
  return [8, 4, 2].find((k) => batchSize >= k && batchSize % k === 0) ?? 1;
}
const accumulation = accumulationSteps();
const microBatchSize = Math.floor(batchSize / accumulation);

const FIXED_SECONDS = 0.06;
const EXAMPLES_PER_SECOND = 4000;
const FIXED_BYTES = 32 * 1024 ** 2;
const BYTES_PER_EXAMPLE = 1024 ** 2;

if (values['spawn-sleeper']) {
  // A grandchild in the same process group, which the engine must also end.
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  sleeper.unref();
  writeFileSync(values['spawn-sleeper'], String(sleeper.pid));
}

if (misbehave && values.silent) process.exit(0);

const path = values.stdout ? undefined : (values.telemetry ?? process.env.BATCHWISE_TELEMETRY);
const fd = path ? openSync(path, 'a') : 1;
const emit = (event: Record<string, unknown>) =>
  writeSync(fd, `${JSON.stringify({ v: 1, ...event })}\n`);

if (misbehave && values['no-steps']) {
  process.stdout.write('fake-trainer: nothing to do\n');
  process.exit(0);
}

emit({
  event: 'start',
  framework: 'fake-trainer',
  frameworkVersion: '1',
  worldSize: 1,
  rank: 0,
  microBatchSize,
  accumulationSteps: accumulation,
  datasetSize,
  parameterCount: dimension,
  device: 'cpu',
  seed,
});

if (misbehave && values['invalid-line'])
  writeSync(fd, '{"v":1,"event":"step","step":0,"batchSize":"many"}\n');

const oomAbove =
  values['oom-above'] !== undefined ? integer('oom-above', values['oom-above']) : undefined;
if (oomAbove !== undefined && batchSize > oomAbove) {
  const message = values['oom-message'];
  if (message === 'SIGKILL') process.kill(process.pid, 'SIGKILL');
  if (message !== undefined) {
    process.stderr.write(
      `Traceback (most recent call last):\n  File "train.py", line 1\n${message}\n`,
    );
    process.exit(1);
  }
  emit({ event: 'oom', message: `simulated: batch ${batchSize} is over ${oomAbove}`, batchSize });
  process.exit(1);
}

if (misbehave && values.hang) setInterval(() => {}, 1000);
else {
  const problem = new LinearRegressionProblem({ dimension, deltaNorm: 2, noiseStd: 1, seed });
  for (let step = 0; step < steps; step++) {
    const micro = Array.from({ length: accumulation }, () => problem.batch(microBatchSize));
    const gradient = weightedMean(
      micro.map((m) => m.gradient),
      micro.map(() => 1),
    );
    const loss = micro.reduce((s, m) => s + m.loss, 0) / micro.length;
    emit({
      event: 'step',
      step,
      batchSize,
      seconds: FIXED_SECONDS + batchSize / EXAMPLES_PER_SECOND,
      loss,
      peakBytes: FIXED_BYTES + BYTES_PER_EXAMPLE * microBatchSize,
      microBatchSize,
      microSqNorms: micro.map((m) => sqNorm(m.gradient)),
      sqNorm: sqNorm(gradient),
    });
    problem.step(gradient, learningRate);
    if (misbehave && values.crash) {
      process.stderr.write('Traceback (most recent call last):\nRuntimeError: simulated crash\n');
      process.exit(3);
    }
    if (stepDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, stepDelayMs));
  }
  emit({ event: 'end', steps });
}
