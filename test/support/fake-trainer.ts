// A fake training command that speaks the telemetry protocol (docs/protocol.md), for testing
// the command engine: it really trains a linear least-squares problem with SGD (so gradient
// norms are real and the noise scale is known), reports simulated step times (t0 + B/R) and
// peak memory (fixed + microBatch · perExample), and misbehaves on demand.
//
//   node --import tsx test/support/fake-trainer.ts --batch-size {batch} --steps {steps}
//     [--telemetry PATH] [--micro-batch N | --accumulation K] [--seed N] [--dataset-size N]
//     [--oom-above N] [--oom-message TEXT] [--hang] [--crash] [--silent] [--no-steps]
//     [--stdout] [--step-delay-ms N] [--spawn-sleeper PIDFILE] [--invalid-line]
//     [--misbehave-from BATCH] [--plan PATH] [--announce-plan] [--oom-exits] [--startup-ms N]
//     [--real-time] [--launch-log PATH] [--ignore-batch N] [--no-peak] [--nan-norms]
//     [--memory-kind KIND] [--lr X] [--eval-every N] [--validation-size N]
//
// Telemetry goes to --telemetry, else $BATCHWISE_TELEMETRY, else (or with --stdout) standard
// output. --oom-above N: above batch N, an `oom` event and exit 1, or with --oom-message TEXT,
// TEXT on standard error and exit 1 (no event), or with --oom-message SIGKILL, a SIGKILL.
// --hang, --crash, --silent, --no-steps, --invalid-line act only from batch --misbehave-from
// (default 2), so that the engine's opening run at batch 1 succeeds.
//
// Plans (docs/protocol.md, "Plans"): with --plan PATH ({plan}) or $BATCHWISE_PLAN, the trainer
// runs the plan's work items one after another in this one process, tagging each step with the
// item's id and ending each with `item-end`; an item over --oom-above writes an `oom` of the item
// and goes on with the next (as a PyTorch script that catches CUDA OOM does), or with --oom-exits
// exits 1. --announce-plan writes "protocol": {"plan": 1} in the start event (support without
// {plan} in the template). Other flags: --startup-ms N sleeps before the start event (an
// interpreter's start-up), --real-time sleeps each step's reported seconds, --launch-log PATH
// appends one JSON line per launch (pid, start time, seconds to the start event) and one per plan
// item ({pid, item}), --ignore-batch
// N runs batch N whatever was asked (from --misbehave-from), --no-peak writes no peakBytes,
// --nan-norms writes NaN micro-batch norms, --memory-kind KIND writes memoryKind KIND in the
// start event (cuda-allocated: the peaks are a caching allocator's, as on CUDA).
//
// --lr X is the SGD learning rate ({lr}; default 0.05). --eval-every N ({eval_every}; 0, the
// default: none) writes an `eval` event (protocol extension `eval` 1, announced in the start
// event) before the first step and after every N steps: the mean loss of the current weights on
// a held-out set of --validation-size examples (default 512) of the same linear-regression
// problem, drawn once from their own seed (the training batches are the same with or without it).

import { spawn } from 'node:child_process';
import { appendFileSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createRandom } from '../../src/analysis/random.js';
import {
  LinearRegressionProblem,
  sqNorm,
  weightedMean,
} from '../../src/engines/fake/linear-regression.js';
import { type PlanItem, parsePlanLine } from '../../src/protocol/plan.js';

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
    'eval-every': { type: 'string', default: '0' },
    'validation-size': { type: 'string', default: '512' },
    'oom-above': { type: 'string' },
    'oom-message': { type: 'string' },
    'memory-kind': { type: 'string' },
    hang: { type: 'boolean', default: false },
    crash: { type: 'boolean', default: false },
    silent: { type: 'boolean', default: false },
    'no-steps': { type: 'boolean', default: false },
    stdout: { type: 'boolean', default: false },
    'step-delay-ms': { type: 'string', default: '0' },
    'spawn-sleeper': { type: 'string' },
    'invalid-line': { type: 'boolean', default: false },
    'misbehave-from': { type: 'string', default: '2' },
    plan: { type: 'string' },
    'announce-plan': { type: 'boolean', default: false },
    'oom-exits': { type: 'boolean', default: false },
    'startup-ms': { type: 'string', default: '0' },
    'real-time': { type: 'boolean', default: false },
    'launch-log': { type: 'string' },
    'ignore-batch': { type: 'string' },
    'no-peak': { type: 'boolean', default: false },
    'nan-norms': { type: 'boolean', default: false },
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
if (!(learningRate > 0)) {
  process.stderr.write(`fake-trainer: --lr must be a positive number, got ${values.lr}\n`);
  process.exit(2);
}
const evalEvery = integer('eval-every', values['eval-every']);
const validationSize = integer('validation-size', values['validation-size']);
const stepDelayMs = integer('step-delay-ms', values['step-delay-ms']);
/** --hang, --crash, --silent, --no-steps and --invalid-line act from this batch on (default 2). */
const misbehaveFrom = integer('misbehave-from', values['misbehave-from']);
const misbehave = batchSize >= misbehaveFrom;
const startupMs = integer('startup-ms', values['startup-ms']);
const launchedAt = Date.now() - process.uptime() * 1000;

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
const planPath = values.plan || process.env.BATCHWISE_PLAN;

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

if (startupMs > 0) await new Promise((resolve) => setTimeout(resolve, startupMs));
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
  ...(values['memory-kind'] ? { memoryKind: values['memory-kind'] } : {}),
  ...(values.plan || values['announce-plan'] || evalEvery > 0
    ? {
        protocol: {
          ...(values.plan || values['announce-plan'] ? { plan: 1 } : {}),
          ...(evalEvery > 0 ? { eval: 1 } : {}),
        },
      }
    : {}),
});
if (values['launch-log']) {
  appendFileSync(
    values['launch-log'],
    `${JSON.stringify({ pid: process.pid, launchedAt, startupSeconds: (Date.now() - launchedAt) / 1000, plan: planPath !== undefined })}\n`,
  );
}

if (misbehave && values['invalid-line'])
  writeSync(fd, '{"v":1,"event":"step","step":0,"batchSize":"many"}\n');

const oomAbove =
  values['oom-above'] !== undefined ? integer('oom-above', values['oom-above']) : undefined;
const ignoreBatch =
  values['ignore-batch'] !== undefined
    ? integer('ignore-batch', values['ignore-batch'])
    : undefined;
const problem = new LinearRegressionProblem({ dimension, deltaNorm: 2, noiseStd: 1, seed });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The held-out examples (x, label noise), drawn once from their own seed. */
const heldOut = (() => {
  if (evalEvery === 0) return [];
  const random = createRandom(seed + 7919);
  return Array.from({ length: validationSize }, () => ({
    x: Array.from({ length: dimension }, () => random.normal()),
    noise: problem.noiseStd * random.normal(),
  }));
})();

/** Writes the held-out loss of the current weights (w − w* = problem.delta) after `step` steps. */
function evaluate(step: number, tag: Record<string, number>): void {
  let loss = 0;
  for (const { x, noise } of heldOut) {
    const residual = x.reduce((s, xi, i) => s + xi * (problem.delta[i] ?? 0), 0) - noise;
    loss += (0.5 * residual * residual) / heldOut.length;
  }
  emit({ event: 'eval', step, loss, examples: heldOut.length, ...tag });
}

interface Work {
  readonly item?: number;
  readonly batchSize: number;
  readonly steps: number;
  readonly microBatchSize: number;
  readonly accumulation: number;
}

/** Runs one trial (the whole run, or one plan item); false when the process must end. */
async function train(work: Work): Promise<boolean> {
  const tag = work.item !== undefined ? { item: work.item } : {};
  const acting = work.batchSize >= misbehaveFrom;
  if (oomAbove !== undefined && work.batchSize > oomAbove) {
    const message = values['oom-message'];
    if (message === 'SIGKILL') process.kill(process.pid, 'SIGKILL');
    if (message !== undefined) {
      process.stderr.write(
        `Traceback (most recent call last):\n  File "train.py", line 1\n${message}\n`,
      );
      process.exit(1);
    }
    emit({
      event: 'oom',
      message: `simulated: batch ${work.batchSize} is over ${oomAbove}`,
      batchSize: work.batchSize,
      ...tag,
    });
    if (work.item === undefined || values['oom-exits']) process.exit(1);
    return true;
  }
  if (acting && values.hang) {
    setInterval(() => {}, 1000);
    await new Promise(() => {});
  }
  const ran = acting && ignoreBatch !== undefined ? ignoreBatch : work.batchSize;
  const micro = Math.max(1, Math.floor(ran / work.accumulation));
  if (evalEvery > 0) evaluate(0, tag);
  for (let step = 0; step < work.steps; step++) {
    const batches = Array.from({ length: work.accumulation }, () => problem.batch(micro));
    const gradient = weightedMean(
      batches.map((m) => m.gradient),
      batches.map(() => 1),
    );
    const loss = batches.reduce((s, m) => s + m.loss, 0) / batches.length;
    const seconds = FIXED_SECONDS + ran / EXAMPLES_PER_SECOND;
    if (values['real-time']) await sleep(seconds * 1000);
    emit({
      event: 'step',
      step,
      batchSize: ran,
      seconds,
      loss,
      ...(values['no-peak'] ? {} : { peakBytes: FIXED_BYTES + BYTES_PER_EXAMPLE * micro }),
      microBatchSize: micro,
      microSqNorms: batches.map((m) => (values['nan-norms'] ? 'NaN' : sqNorm(m.gradient))),
      sqNorm: values['nan-norms'] ? 'NaN' : sqNorm(gradient),
      ...tag,
    });
    problem.step(gradient, learningRate);
    if (evalEvery > 0 && (step + 1) % evalEvery === 0) evaluate(step + 1, tag);
    if (acting && values.crash) {
      process.stderr.write('Traceback (most recent call last):\nRuntimeError: simulated crash\n');
      process.exit(3);
    }
    if (stepDelayMs > 0) await sleep(stepDelayMs);
  }
  if (work.item !== undefined) emit({ event: 'item-end', item: work.item, steps: work.steps });
  return true;
}

/** The plan's lines as they are appended, until its stop line. */
async function* planItems(path: string): AsyncGenerator<PlanItem> {
  const fd = openSync(path, 'r');
  let position = 0;
  let pending = '';
  const buffer = Buffer.alloc(64 * 1024);
  for (;;) {
    const bytes = readSync(fd, buffer, 0, buffer.length, position);
    if (bytes === 0) {
      await sleep(5);
      continue;
    }
    position += bytes;
    const lines = (pending + buffer.subarray(0, bytes).toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const text of lines) {
      const line = parsePlanLine(text);
      if (line === undefined) continue;
      if ('stop' in line) return;
      yield line;
    }
  }
}

if (planPath) {
  for await (const item of planItems(planPath)) {
    if (values['launch-log'])
      appendFileSync(
        values['launch-log'],
        `${JSON.stringify({ pid: process.pid, item: item.id })}\n`,
      );
    if (!(await train({ ...item, item: item.id }))) break;
  }
  emit({ event: 'end' });
} else if (await train({ batchSize, steps, microBatchSize, accumulation })) {
  emit({ event: 'end', steps });
}
