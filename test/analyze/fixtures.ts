// Generated training logs with known answers: the exact linear-regression problem (gradient
// noise known in closed form) at fixed weights, timed by t(B) = t0 + B/R with 2% noise, written
// as CSV, protocol JSON lines or a TensorBoard event file.

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRandom } from '../../src/analysis/random.js';
import { encodeEvent } from '../../src/analyze/tfevents-proto.js';
import { frameTfRecord } from '../../src/analyze/tfevents-records.js';
import { LinearRegressionProblem, sqNorm } from '../../src/engines/fake/linear-regression.js';

export interface FixtureStep {
  readonly step: number;
  readonly batchSize: number;
  readonly microBatchSize: number;
  readonly seconds: number;
  readonly loss: number;
  readonly microSqNorms: readonly number[];
  readonly sqNorm: number;
  readonly peakBytes: number;
}

export interface Fixture {
  readonly steps: readonly FixtureStep[];
  /** The exact B_simple of the problem at its (fixed) weights. */
  readonly bSimple: number;
}

export const T0_SECONDS = 0.01;
export const PEAK_EXAMPLES_PER_SECOND = 4000;
export const FIXED_BYTES = 200e6;
export const BYTES_PER_EXAMPLE = 1e6;

/** `stepsPerBatch` steps at each accumulation count, micro-batches of `microBatchSize`. */
export function linearRegressionFixture(
  options: {
    accumulations?: readonly number[];
    microBatchSize?: number;
    stepsPerBatch?: number;
    seed?: number;
  } = {},
): Fixture {
  const problem = new LinearRegressionProblem({
    dimension: 10,
    deltaNorm: 1,
    noiseStd: 1,
    seed: options.seed ?? 3,
  });
  const random = createRandom((options.seed ?? 3) + 100);
  const micro = options.microBatchSize ?? 8;
  const steps: FixtureStep[] = [];
  for (const k of options.accumulations ?? [4, 8, 16]) {
    for (let i = 0; i < (options.stepsPerBatch ?? 60); i++) {
      const parts = Array.from({ length: k }, () => problem.batch(micro));
      const whole = parts[0]!.gradient.map(
        (_, j) => parts.reduce((s, p) => s + p.gradient[j]!, 0) / k,
      );
      const batchSize = micro * k;
      steps.push({
        step: steps.length,
        batchSize,
        microBatchSize: micro,
        seconds: (T0_SECONDS + batchSize / PEAK_EXAMPLES_PER_SECOND) * (1 + 0.02 * random.normal()),
        loss: parts.reduce((s, p) => s + p.loss, 0) / k,
        microSqNorms: parts.map((p) => sqNorm(p.gradient)),
        sqNorm: sqNorm(whole),
        peakBytes: FIXED_BYTES + BYTES_PER_EXAMPLE * batchSize,
      });
    }
  }
  return { steps, bSimple: problem.truth().bSimple };
}

export async function tempDirectory(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'batchwise-analyze-'));
}

/** CSV with per-micro-batch columns grad_sq_norm_micro_<i> (empty where a step has fewer). */
export function toCsv(steps: readonly FixtureStep[], withPeak = false): string {
  const k = Math.max(...steps.map((s) => s.microSqNorms.length));
  const micro = Array.from({ length: k }, (_, i) => `grad_sq_norm_micro_${i}`);
  const header = [
    'step',
    'batch_size',
    'micro_batch_size',
    'seconds',
    'loss',
    ...(withPeak ? ['peak_bytes'] : []),
    ...micro,
    'grad_sq_norm_big',
  ];
  const rows = steps.map((s) =>
    [
      s.step,
      s.batchSize,
      s.microBatchSize,
      s.seconds,
      s.loss,
      ...(withPeak ? [s.peakBytes] : []),
      ...micro.map((_, i) => s.microSqNorms[i] ?? ''),
      s.sqNorm,
    ].join(','),
  );
  return `${[header.join(','), ...rows].join('\n')}\n`;
}

export function toProtocol(
  steps: readonly FixtureStep[],
  start: Record<string, unknown> = {},
): string {
  const lines = [
    JSON.stringify({ v: 1, event: 'start', framework: 'test', ...start }),
    ...steps.map((s) =>
      JSON.stringify({
        v: 1,
        event: 'step',
        step: s.step,
        batchSize: s.batchSize,
        seconds: s.seconds,
        loss: s.loss,
        microBatchSize: s.microBatchSize,
        microSqNorms: s.microSqNorms,
        sqNorm: s.sqNorm,
      }),
    ),
    JSON.stringify({ v: 1, event: 'end', steps: steps.length }),
  ];
  return `${lines.join('\n')}\n`;
}

/** A TensorBoard event file: a file_version event, then each step's scalars in one event. */
export function toTfEvents(
  steps: readonly FixtureStep[],
  options: { prefix?: string; asTensor?: boolean; withSeconds?: boolean } = {},
): Uint8Array {
  const prefix = options.prefix ?? 'train/';
  const records = [
    frameTfRecord(encodeEvent({ wallTime: 1.7e9, step: 0, fileVersion: 'brain.Event:2' })),
  ];
  let wallTime = 1.7e9;
  for (const s of steps) {
    wallTime += s.seconds;
    const scalars = [
      { tag: `${prefix}loss`, value: s.loss },
      { tag: `${prefix}batch_size`, value: s.batchSize },
      { tag: `${prefix}micro_batch_size`, value: s.microBatchSize },
      ...(options.withSeconds === false
        ? []
        : [{ tag: `${prefix}step_seconds`, value: s.seconds }]),
      ...s.microSqNorms.map((v, i) => ({ tag: `${prefix}grad_sq_norm_micro_${i}`, value: v })),
      { tag: `${prefix}grad_sq_norm_big`, value: s.sqNorm },
    ].map((x) => ({ ...x, asTensor: options.asTensor ?? false }));
    records.push(frameTfRecord(encodeEvent({ wallTime, step: s.step, scalars })));
  }
  const total = records.reduce((n, r) => n + r.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const r of records) {
    out.set(r, offset);
    offset += r.length;
  }
  return out;
}

export async function writeFixture(
  directory: string,
  name: string,
  content: string | Uint8Array,
): Promise<string> {
  const file = path.join(directory, name);
  await writeFile(file, content);
  return file;
}
