// Benchmarks of `find`'s probes, each printed side by side in one run:
// 1. memory-ceiling search strategies: trials, seconds and error against the true ceiling
//    (on the fake engine, whose ceiling is exact, and on the real TF.js engine on wasm), and
//    trials and error side by side on caching-allocator curves (the OOM point 1–12% below the
//    line through the measured peaks, as on CUDA);
// 2. the noise-scale estimate against the exact B_simple of the same weights, computed from the
//    per-example gradients of the whole data set;
// 3. the overhead of the noise probe relative to the plain training steps it rides along.
// Run: npx tsx bench/find-probes.ts  (--gap-only: the caching-allocator table alone)

import { fromMicroBatches, twoBatchEstimate } from '../src/analysis/gradient-norms.js';
import { estimateNoiseScale } from '../src/analysis/noise-scale.js';
import type { TrainingSession, WorkloadSpec } from '../src/engines/engine.js';
import { createFakeEngine, type FakeEngineOptions } from '../src/engines/fake/fake-engine.js';
import { createTfjsEngine } from '../src/engines/tfjs/tfjs-engine.js';
import { MEMORY_SEARCH_STRATEGIES, searchMemoryCeiling } from '../src/probes/memory-search.js';
import { probeNoise } from '../src/probes/noise-probe.js';
import { MEMORY_SEARCH_DEFAULTS } from '../test/support/find-defaults.js';

const MiB = 1024 ** 2;

function row(cells: (string | number)[]): string {
  return cells.map((c) => String(c).padEnd(14)).join('');
}

async function memoryStrategies(
  label: string,
  open: () => Promise<TrainingSession>,
  maxBatchSize: number,
  truth?: number,
) {
  console.log(`\n## Memory ceiling search: ${label}`);
  const results = [];
  for (const strategy of MEMORY_SEARCH_STRATEGIES) {
    const session = await open();
    const started = performance.now();
    const result = await searchMemoryCeiling(session, {
      ...MEMORY_SEARCH_DEFAULTS,
      strategy,
      maxBatchSize,
    });
    const wall = (performance.now() - started) / 1000;
    await session.dispose();
    results.push({ strategy, result, wall });
  }
  const exact = truth ?? results.find((r) => r.strategy === 'lightning')?.result;
  const trueCeiling =
    typeof exact === 'number' ? exact : exact?.kind === 'found' ? exact.maxBatch : Number.NaN;
  console.log(row(['strategy', 'ceiling', 'true', 'error %', 'trials', 'failed', 'seconds']));
  for (const { strategy, result, wall } of results) {
    const found = result.kind === 'found' ? result.maxBatch : Number.NaN;
    const failed = result.trials.filter((t) => t.outcome !== 'ok').length;
    console.log(
      row([
        strategy,
        found,
        trueCeiling,
        ((100 * (trueCeiling - found)) / trueCeiling).toFixed(2),
        result.trials.length,
        failed,
        wall.toFixed(2),
      ]),
    );
  }
}

/**
 * Trials and error (% below the true ceiling) per strategy on curves whose OOM point sits a gap
 * below the line through the peaks, for several slopes; '!' marks a returned batch that failed.
 */
async function memoryGapCurves() {
  console.log(
    '\n## Memory ceiling search on caching-allocator curves (fake engine: OOM at budget·(1 − gap), peaks on the line; 1M examples; Accelerate from its default 128 and from --max-batch)',
  );
  const curves: { label: string; options: FakeEngineOptions }[] = [
    {
      label: '300M+.37M/ex',
      options: {
        fixedBytes: 300 * MiB,
        bytesPerExample: 0.37 * MiB,
        memoryBudgetBytes: 2048 * MiB,
      },
    },
    {
      label: '64M+.05M/ex',
      options: { fixedBytes: 64 * MiB, bytesPerExample: 0.05 * MiB, memoryBudgetBytes: 1024 * MiB },
    },
    {
      label: '800M+1.5M/ex',
      options: { fixedBytes: 800 * MiB, bytesPerExample: 1.5 * MiB, memoryBudgetBytes: 2048 * MiB },
    },
  ];
  const gaps = [0, 0.01, 0.03, 0.06, 0.1, 0.12];
  const strategies = [
    { name: 'model', strategy: 'model' as const, start: {} },
    // The engine declares a caching allocator (memoryKind "cuda-allocated" from the adapter).
    { name: 'model+decl', strategy: 'model' as const, start: {}, cachingAllocator: true },
    { name: 'lightning', strategy: 'lightning' as const, start: {} },
    { name: 'accelerate', strategy: 'accelerate' as const, start: {} },
    { name: 'accel(max)', strategy: 'accelerate' as const, start: { startBatchSize: 1_000_000 } },
  ];
  console.log(row(['curve', 'strategy', ...gaps.map((g) => `gap ${g}`)]));
  for (const curve of curves) {
    for (const { name, strategy, start, ...declared } of strategies) {
      const cells: string[] = [];
      for (const allocatorGap of gaps) {
        const session = await createFakeEngine({
          ...curve.options,
          ...declared,
          allocatorGap,
          datasetSize: 1_000_000,
        }).open(fakeSpec);
        const truth = session.truth().maxBatch;
        const result = await searchMemoryCeiling(session, {
          ...MEMORY_SEARCH_DEFAULTS,
          strategy,
          maxBatchSize: 1_000_000,
          ...start,
        });
        if (result.kind !== 'found') {
          cells.push(result.kind);
          continue;
        }
        const failed = result.trials.some(
          (t) => t.batchSize === result.maxBatch && t.outcome !== 'ok',
        );
        const error = (100 * (truth - result.maxBatch)) / truth;
        cells.push(`${result.trials.length} / ${error.toFixed(1)}%${failed ? '!' : ''}`);
      }
      console.log(row([curve.label.slice(0, 13), name, ...cells]));
    }
  }
  console.log(
    "(cells: trials / error below the true ceiling; model+decl: the engine says its counter is a caching allocator's allocated bytes, so the search starts in the gap's prior range)",
  );
}

async function noiseAgainstExact() {
  console.log(
    '\n## Noise scale estimate vs the exact B_simple at the same weights (TF.js mlp, wasm)',
  );
  const spec: WorkloadSpec = {
    model: 'mlp',
    data: 'synthetic',
    dataOptions: { examples: 4096, labelNoise: 0.2 },
    modelOptions: { hiddenUnits: 64 },
    optimizer: 'sgd',
    learningRate: 0.05,
    seed: 5,
  };
  const session = await createTfjsEngine().open(spec, { backend: 'wasm' });
  console.log(
    row(['train steps', 'exact', 'estimate', '95% CI low', '95% CI high', 'ratio', 'measurements']),
  );
  for (const steps of [0, 100, 400]) {
    if (steps > 0) await session.train({ batchSize: 32, steps: steps - (steps === 400 ? 100 : 0) });
    // Exact: every example's gradient at these weights (population statistics over N).
    const all = await session.gradientNorms({
      microBatchSize: 1,
      microBatches: spec.dataOptions!.examples as number,
    });
    if (all.kind !== 'ok') throw new Error(all.kind);
    const meanSq = all.microSqNorms.reduce((s, v) => s + v, 0) / all.microSqNorms.length;
    const exact = (meanSq - all.accumulatedSqNorm) / all.accumulatedSqNorm;
    const samples = [];
    // B_big = 8 x 64 = 512 of N = 4096, drawn without replacement (the estimator corrects for it).
    for (let i = 0; i < 60; i++) {
      const o = await session.gradientNorms({ microBatchSize: 64, microBatches: 8 });
      if (o.kind !== 'ok') throw new Error(o.kind);
      samples.push(
        twoBatchEstimate(
          fromMicroBatches(o.microSqNorms, 64, o.accumulatedSqNorm, o.populationSize),
        ),
      );
    }
    const estimate = estimateNoiseScale(samples, { smoothing: { kind: 'all' } });
    const value = estimate.kind === 'measured' ? estimate.value : Number.NaN;
    const ci = estimate.kind === 'measured' ? estimate.ci : [Number.NaN, Number.NaN];
    console.log(
      row([
        steps,
        exact.toFixed(1),
        value.toFixed(1),
        ci[0]!.toFixed(1),
        ci[1]!.toFixed(1),
        (value / exact).toFixed(3),
        samples.length,
      ]),
    );
  }
  await session.dispose();
}

async function probeOverhead() {
  console.log('\n## Noise probe overhead relative to plain training (TF.js mlp, wasm)');
  const spec: WorkloadSpec = {
    model: 'mlp',
    data: 'synthetic',
    optimizer: 'sgd',
    learningRate: 0.05,
    seed: 1,
  };
  const session = await createTfjsEngine().open(spec, { backend: 'wasm' });
  await session.train({ batchSize: 32, steps: 20 }); // warm-up
  await session.reset();
  const result = await probeNoise(session, {
    trainBatchSize: 32,
    microBatchSize: 16,
    maxMicroBatchSize: 1024,
    microBatches: 8,
    measureEvery: 10,
    measurements: 30,
  });
  const training = result.trainingSteps.reduce((s, r) => s + r.seconds, 0);
  const measuring = result.measurements.reduce((s, m) => s + m.seconds, 0);
  console.log(row(['train steps', 'train s', 'measure s', 'overhead']));
  console.log(
    row([
      result.trainingSteps.length,
      training.toFixed(3),
      measuring.toFixed(3),
      `${((100 * measuring) / training).toFixed(0)}%`,
    ]),
  );
  console.log(
    '(overhead = seconds spent measuring gradient norms / seconds of the training steps between measurements)',
  );
  await session.dispose();
}

const fakeSpec: WorkloadSpec = {
  model: 'fake',
  data: 'fake',
  optimizer: 'sgd',
  learningRate: 0.01,
  seed: 1,
};
const fake = createFakeEngine({
  fixedBytes: 300 * MiB,
  bytesPerExample: 0.37 * MiB,
  memoryBudgetBytes: 2048 * MiB,
});
const fakeTruth = (await fake.open(fakeSpec)).truth().maxBatch;
if (process.argv.includes('--noise-only')) {
  await noiseAgainstExact();
  process.exit(0);
}
if (process.argv.includes('--gap-only')) {
  await memoryGapCurves();
  process.exit(0);
}
await memoryStrategies(
  'fake engine (exact ceiling known)',
  () => fake.open(fakeSpec),
  60_000,
  fakeTruth,
);
const cnnSpec: WorkloadSpec = {
  model: 'cnn',
  data: 'synthetic',
  dataOptions: { examples: 4096, features: 784 },
  modelOptions: { filters1: 8, filters2: 16, denseUnits: 64 },
  optimizer: 'adam',
  learningRate: 1e-3,
  seed: 1,
};
await memoryGapCurves();
await memoryStrategies(
  'TF.js cnn on wasm, budget 256 MiB (true ceiling: lightning bisects to it exactly)',
  () => createTfjsEngine().open(cnnSpec, { backend: 'wasm', memoryBudgetBytes: 256 * MiB }),
  4096,
);
await noiseAgainstExact();
await probeOverhead();
