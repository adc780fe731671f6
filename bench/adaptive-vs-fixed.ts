// Does the adaptive batch (issue 16) reach the target sooner than the best fixed batch? The
// project's mlp on Fashion-MNIST (the built-in model, 784-256-10, plain SGD), the same loop
// (src/adaptive/train-adaptive.ts: k = 2 micro-batches per step in both modes), the same seeds.
// 1. A grid of fixed batches, each with its best learning rate from a small grid, trained to the
//    target (smoothed training loss); the fastest (batch, lr) is the best fixed batch, as a
//    sweep picks it. 2. Repeats of the best fixed batch and of fitAdaptive (starting at the
//    smallest batch of the grid with its tuned learning rate, noise rule), interleaved, same
//    seeds. Printed side by side: time- and steps-to-target ratios and the validation accuracy
//    at the target (2,000 test-split examples).
// Goal (issue 16): adaptive at least 10% sooner, with no worse validation accuracy.
// Run: npx tsx bench/adaptive-vs-fixed.ts [repeats=3] [examples=10000] [target-loss=0.45] [hidden-units=256]

import * as tf from '@tensorflow/tfjs-core';
import type { AdaptiveHistory } from '../src/adaptive/adaptive-history.js';
import type { FitAdaptiveOptions } from '../src/adaptive/adaptive-options.js';
import { fitAdaptiveTrainable } from '../src/adaptive/fit-adaptive.js';
import { fitLine } from '../src/analysis/linear-fit.js';
import { loadFashionMnist } from '../src/data/fashion-mnist.js';
import { selectBackend } from '../src/engines/tfjs/backend.js';
import { buildModel } from '../src/engines/tfjs/models/build-model.js';

const repeats = Number(process.argv[2] ?? 3);
const examples = Number(process.argv[3] ?? 10000);
const targetLoss = Number(process.argv[4] ?? 0.45);
const hiddenUnits = Number(process.argv[5] ?? 256);
const FIXED_BATCHES = [32, 64, 128, 256, 512];
const LEARNING_RATES = [0.05, 0.1, 0.2, 0.4];
const ADAPTIVE_START = FIXED_BATCHES[0] ?? 32;
/** A grid run slower than this many times the fastest so far is stopped (as a sweep prunes). */
const PRUNE_FACTOR = 2;
const MAX_SECONDS = 90;

const backend = await selectBackend('wasm');
const train = await loadFashionMnist({ examples });
const test = await loadFashionMnist({ split: 'test', examples: 2000 });
const tensors = (d: typeof train) => ({
  x: tf.tensor2d(d.inputs as Float32Array, [d.size, 28 * 28]),
  y: tf.tensor1d(d.targets, 'int32'),
});
const data = tensors(train);
const validation = tensors(test);

interface Result {
  readonly reached: boolean;
  readonly seconds: number;
  readonly steps: number;
  readonly accuracy: number;
  readonly history: AdaptiveHistory;
}

async function trainOnce(
  mode: 'fixed' | 'adaptive',
  batch: number,
  learningRate: number,
  seed: number,
  maxSeconds: number,
): Promise<Result> {
  const model = await buildModel('mlp', {
    inputShape: [28 * 28],
    inputDtype: 'float32',
    target: { kind: 'classes', classes: 10 },
    seed,
    options: { hiddenUnits },
  });
  const options: FitAdaptiveOptions = {
    initialBatchSize: batch,
    adapt: mode === 'adaptive',
    targetLoss,
    maxSeconds,
    seed,
    validationData: [validation.x, validation.y],
  };
  try {
    const history = fitAdaptiveTrainable(
      model,
      { kind: 'sgd', learningRate },
      data.x,
      data.y,
      options,
      { model: 'mlp', data: 'fashion-mnist' },
    );
    return {
      reached: history.outcome.kind === 'reached-target',
      seconds: history.trainingSeconds,
      steps: history.steps.length,
      accuracy: history.validation.at(-1)?.accuracy ?? Number.NaN,
      history,
    };
  } finally {
    model.dispose();
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const cell = (v: string | number, width = 14) => String(v).padEnd(width);

const started = Date.now();
await trainOnce('fixed', 64, 0.1, 99, 3); // warm-up: wasm kernels and allocator
console.log(
  `## adaptive vs fixed batch: mlp (784-${hiddenUnits}-10) on Fashion-MNIST (${examples} examples, backend ${backend.name}), plain SGD, target smoothed training loss ${targetLoss}, ${repeats} repeat(s)`,
);
console.log('');
console.log('### 1. fixed-batch grid (seed 1; time to target in s, - = not reached or pruned)');
console.log([cell('batch'), ...LEARNING_RATES.map((lr) => cell(`lr ${lr}`))].join(''));
let bestFixed: { batch: number; lr: number; seconds: number } | undefined;
/** Every step's seconds per batch size over the grid: the measured step-time line. */
const stepSeconds = new Map<number, number[]>();
const bestLrAt = new Map<number, { lr: number; seconds: number }>();
for (const batch of FIXED_BATCHES) {
  const row = [cell(batch)];
  for (const lr of LEARNING_RATES) {
    const limit = Math.min(MAX_SECONDS, bestFixed ? PRUNE_FACTOR * bestFixed.seconds : MAX_SECONDS);
    const r = await trainOnce('fixed', batch, lr, 1, limit);
    stepSeconds.set(batch, [
      ...(stepSeconds.get(batch) ?? []),
      ...r.history.steps.map((s) => s.seconds),
    ]);
    row.push(cell(r.reached ? r.seconds.toFixed(2) : '-'));
    if (!r.reached) continue;
    if (!bestFixed || r.seconds < bestFixed.seconds) bestFixed = { batch, lr, seconds: r.seconds };
    const atBatch = bestLrAt.get(batch);
    if (!atBatch || r.seconds < atBatch.seconds) bestLrAt.set(batch, { lr, seconds: r.seconds });
  }
  console.log(row.join(''));
}
if (!bestFixed) {
  console.log(
    `no fixed batch reached loss ${targetLoss} within ${MAX_SECONDS} s: nothing to compare`,
  );
  process.exit(1);
}
const adaptiveLr = bestLrAt.get(ADAPTIVE_START)?.lr ?? bestFixed.lr;
console.log('');
console.log(
  `best fixed: batch ${bestFixed.batch} at lr ${bestFixed.lr}; adaptive starts at batch ${ADAPTIVE_START} with its tuned lr ${adaptiveLr} (noise rule)`,
);

console.log('');
console.log('### 2. repeats, interleaved (same seeds)');
console.log(
  [
    cell('seed', 6),
    cell('mode', 10),
    cell('reached', 9),
    cell('steps', 8),
    cell('time (s)', 10),
    cell('val acc', 9),
    'batches',
  ].join(''),
);
const fixedRuns: Result[] = [];
const adaptiveRuns: Result[] = [];
for (let seed = 1; seed <= repeats; seed++) {
  for (const mode of ['fixed', 'adaptive'] as const) {
    const r =
      mode === 'fixed'
        ? await trainOnce('fixed', bestFixed.batch, bestFixed.lr, seed, MAX_SECONDS)
        : await trainOnce('adaptive', ADAPTIVE_START, adaptiveLr, seed, MAX_SECONDS);
    (mode === 'fixed' ? fixedRuns : adaptiveRuns).push(r);
    const path = [r.history.settings.initialBatchSize, ...r.history.changes.map((c) => c.toBatch)];
    console.log(
      [
        cell(seed, 6),
        cell(mode, 10),
        cell(r.reached ? 'yes' : 'no', 9),
        cell(r.steps, 8),
        cell(r.seconds.toFixed(2), 10),
        cell((r.accuracy * 100).toFixed(2), 9),
        path.join(' -> '),
      ].join(''),
    );
  }
}
for (const [i, r] of adaptiveRuns.entries()) {
  for (const c of r.history.changes) console.log(`  seed ${i + 1}: ${c.reason}`);
}
const reachedAll = [...fixedRuns, ...adaptiveRuns].every((r) => r.reached);
const m = (runs: Result[], f: (r: Result) => number) => median(runs.map(f));
const fixedSeconds = m(fixedRuns, (r) => r.seconds);
const adaptiveSeconds = m(adaptiveRuns, (r) => r.seconds);
const fixedSteps = m(fixedRuns, (r) => r.steps);
const adaptiveSteps = m(adaptiveRuns, (r) => r.steps);
const perStep = (runs: Result[]) => m(runs, (r) => (r.seconds / r.steps) * 1000);
console.log('');
console.log('### 3. side by side (medians over the repeats)');
console.log([cell('', 22), cell('fixed'), cell('adaptive'), cell('adaptive/fixed')].join(''));
console.log(
  [
    cell('time to target (s)', 22),
    cell(fixedSeconds.toFixed(2)),
    cell(adaptiveSeconds.toFixed(2)),
    cell((adaptiveSeconds / fixedSeconds).toFixed(3)),
  ].join(''),
);
console.log(
  [
    cell('steps to target', 22),
    cell(fixedSteps),
    cell(adaptiveSteps),
    cell((adaptiveSteps / fixedSteps).toFixed(3)),
  ].join(''),
);
console.log(
  [
    cell('ms per step', 22),
    cell(perStep(fixedRuns).toFixed(2)),
    cell(perStep(adaptiveRuns).toFixed(2)),
    cell((perStep(adaptiveRuns) / perStep(fixedRuns)).toFixed(3)),
  ].join(''),
);
console.log(
  [
    cell('examples to target', 22),
    cell(m(fixedRuns, (r) => r.history.steps.at(-1)?.examples ?? 0)),
    cell(m(adaptiveRuns, (r) => r.history.steps.at(-1)?.examples ?? 0)),
  ].join(''),
);
console.log(
  [
    cell('validation accuracy %', 22),
    cell((m(fixedRuns, (r) => r.accuracy) * 100).toFixed(2)),
    cell((m(adaptiveRuns, (r) => r.accuracy) * 100).toFixed(2)),
  ].join(''),
);
console.log('');
const faster = 1 - adaptiveSeconds / fixedSeconds;
console.log(
  `${reachedAll ? '' : 'NOT every run reached the target; '}adaptive is ${(faster * 100).toFixed(1)}% ${faster >= 0 ? 'sooner' : 'later'} than the best fixed batch (goal: at least 10% sooner)`,
);
const grew = adaptiveRuns.filter((r) => r.history.changes.length > 0).length;
if (grew === 0) {
  console.log(
    `the adaptive runs never grew the batch (B* stayed below 2 x ${ADAPTIVE_START}): this compares fixed batch ${ADAPTIVE_START} with fixed batch ${bestFixed.batch}, not adaptation`,
  );
} else {
  console.log(`${grew} of ${adaptiveRuns.length} adaptive runs grew the batch`);
}
// Why: the time-optimal batch the measured line and B_noise imply (docs/adaptive.md).
const levels = [...stepSeconds.entries()].map(([x, ys]) => ({ x, y: median(ys) }));
const line = fitLine(levels);
const noiseAtTarget = median(
  fixedRuns.flatMap((r) =>
    r.history.steps.slice(-100).flatMap((s) => (s.bNoise === null ? [] : [s.bNoise])),
  ),
);
console.log(
  `step time (median per batch, all grid steps): ${levels.map((p) => `${p.x}: ${(p.y * 1000).toFixed(1)} ms`).join(', ')}`,
);
if (line && line.slope > 0) {
  const t0R = line.intercept / line.slope;
  console.log(
    `fitted t(B) = t0 + B/R: t0 ${(line.intercept * 1000).toFixed(2)} ms, R ${(1 / line.slope).toFixed(0)} examples/s, t0·R ${t0R.toFixed(1)} examples; B_noise over the last 100 steps of the fixed runs ${noiseAtTarget.toFixed(0)} -> time-optimal B* = sqrt(B_noise t0 R) ${Math.sqrt(Math.max(0, noiseAtTarget * t0R)).toFixed(0)}`,
  );
}
console.log(`(bench ${((Date.now() - started) / 1000).toFixed(0)} s)`);
