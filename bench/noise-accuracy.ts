// Accuracy of find's noise probe on real data: a small TF.js MLP trained on a Fashion-MNIST
// subset (Debian's dataset-fashion-mnist), the probe's B_simple and its 95% interval at the end
// of its run (the stationary window, as `find` measures it) against the exact B_simple at the
// same weights, from the per-example gradients of every training example. Printed side by side
// over seeds and run lengths, with the ratio and the coverage of the interval.
// Run: npx tsx bench/noise-accuracy.ts [seeds=10]

import type { TrainingSession, WorkloadSpec } from '../src/engines/engine.js';
import { createTfjsEngine } from '../src/engines/tfjs/tfjs-engine.js';
import { findSettingsSchema, noiseSmoothingOf } from '../src/find/find-settings.js';
import { probeNoise } from '../src/probes/noise-probe.js';

const EXAMPLES = 1000;
const SEEDS = Number(process.argv[2] ?? 10);
const RUN_MEASUREMENTS = [10, 30];
const settings = findSettingsSchema.parse({});

/**
 * Exact B_simple = tr(Sigma)/|G|^2 at the current weights: every example's gradient (micro-batches
 * of 1 drawn without replacement over all N), |G|^2 the squared norm of their mean, tr(Sigma) the
 * mean squared deviation, mean|g_i|^2 − |G|^2 (McCandlish et al. 2018 §2.2).
 */
async function exactBSimple(session: TrainingSession): Promise<number> {
  const all = await session.gradientNorms({ microBatchSize: 1, microBatches: EXAMPLES });
  if (all.kind !== 'ok') throw new Error(`exact gradients: ${all.kind}`);
  const meanSq = all.microSqNorms.reduce((s, x) => s + x, 0) / all.microSqNorms.length;
  return (meanSq - all.accumulatedSqNorm) / all.accumulatedSqNorm;
}

function cell(value: string | number, width = 12): string {
  return String(value).padEnd(width);
}

const rows: { ratio: number; covered: boolean }[] = [];
console.log(
  `## find's noise probe vs the exact B_simple (TF.js mlp, Fashion-MNIST ${EXAMPLES} examples, sgd 0.05)`,
);
console.log(
  [
    'seed',
    'measured',
    'loss',
    'exact',
    'estimate',
    'ci low',
    'ci high',
    'ratio',
    'covered',
    'window',
  ]
    .map((h) => cell(h))
    .join(''),
);
for (let seed = 1; seed <= SEEDS; seed++) {
  for (const measurements of RUN_MEASUREMENTS) {
    const spec: WorkloadSpec = {
      model: 'mlp',
      data: 'fashion-mnist',
      optimizer: 'sgd',
      learningRate: 0.05,
      seed,
      dataOptions: { examples: EXAMPLES },
    };
    const session = await createTfjsEngine().open(spec, { backend: 'wasm' });
    const result = await probeNoise(session, {
      trainBatchSize: 32,
      microBatchSize: settings.noiseMicroBatchSize,
      maxMicroBatchSize: Math.floor(EXAMPLES / settings.noiseMicroBatches),
      microBatches: settings.noiseMicroBatches,
      measureEvery: settings.noiseMeasureEvery,
      measurements,
      // As find runs it: measure until measurable within the time limit.
      maxMeasurements: measurements * settings.noiseExtraMeasurementsFactor,
      maxSeconds: settings.noiseMaxSeconds,
      estimator: {
        smoothing: noiseSmoothingOf(settings),
        confidence: settings.confidenceLevel,
      },
    });
    const exact = await exactBSimple(session);
    await session.dispose();
    const final = result.final;
    const loss = result.measurements.at(-1)?.loss ?? Number.NaN;
    if (final.kind !== 'measured') {
      console.log(
        [seed, measurements, loss.toFixed(3), exact.toFixed(1), 'not measurable']
          .map((c) => cell(c))
          .join(''),
      );
      rows.push({ ratio: Number.NaN, covered: false });
      continue;
    }
    const covered = final.ci[0] <= exact && exact <= final.ci[1];
    rows.push({ ratio: final.value / exact, covered });
    console.log(
      [
        seed,
        measurements,
        loss.toFixed(3),
        exact.toFixed(1),
        final.value.toFixed(1),
        final.ci[0].toFixed(1),
        final.ci[1].toFixed(1),
        (final.value / exact).toFixed(3),
        covered ? 'yes' : 'no',
        final.windowSize ?? '',
      ]
        .map((c) => cell(c))
        .join(''),
    );
  }
}
const within = rows.filter((r) => r.ratio >= 1 / 1.5 && r.ratio <= 1.5).length;
const covered = rows.filter((r) => r.covered).length;
const ratios = rows
  .map((r) => r.ratio)
  .filter(Number.isFinite)
  .sort((a, b) => a - b);
const median = ratios[Math.floor(ratios.length / 2)] ?? Number.NaN;
console.log(
  `\nwithin 1.5x of the exact value: ${within}/${rows.length} (${((100 * within) / rows.length).toFixed(0)}%, goal: all)`,
);
console.log(
  `interval covers the exact value: ${covered}/${rows.length} (${((100 * covered) / rows.length).toFixed(0)}%, goal: at least 90%)`,
);
console.log(`median ratio estimate/exact: ${median.toFixed(3)}`);
