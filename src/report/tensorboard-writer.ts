// `find --tensorboard DIR`: the run's measurements as a TensorBoard event file, beside training
// curves. The format is the one `batchwise analyze` reads (src/analyze/tfevents-*.ts): TFRecord
// framing (length, masked CRC-32C of the length, an Event protobuf, masked CRC-32C of the data)
// of tensorflow.Event messages, the first holding file_version "brain.Event:2", the others one
// Summary.Value with simple_value each (what PyTorch's SummaryWriter.add_scalar writes).
//
// Tags and steps: memory and throughput by batch size (the step is the batch), the noise probe's
// loss and B_simple by training step, the recommendation at step 0. The tags by batch are named so
// that `analyze` does not take them for training-log fields: it reads noise/loss as the loss.

import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { encodeEvent } from '../analyze/tfevents-proto.js';
import { frameTfRecord } from '../analyze/tfevents-records.js';
import type { FindReport } from './find-report-schema.js';

export const TENSORBOARD_FILE_VERSION = 'brain.Event:2';

export interface TensorBoardScalar {
  readonly tag: string;
  readonly step: number;
  readonly value: number;
  /** Seconds since the epoch. */
  readonly wallTime: number;
}

/** The scalar tags `find --tensorboard` writes. */
export const FIND_TENSORBOARD_TAGS = {
  memoryPeakBytes: 'memory/peak_memory_by_batch',
  throughput: 'throughput/examples_per_second_by_batch',
  stepSeconds: 'throughput/median_step_seconds_by_batch',
  noiseLoss: 'noise/loss',
  noiseBSimple: 'noise/b_simple',
  recommendedBatch: 'recommendation/recommended_batch',
  recommendedLearningRate: 'recommendation/learning_rate',
} as const;

/** One event file's bytes: the file_version record, then one record per scalar. */
export function encodeTensorBoardEvents(
  scalars: readonly TensorBoardScalar[],
  startWallTime: number,
): Uint8Array {
  const records = [
    frameTfRecord(
      encodeEvent({ wallTime: startWallTime, step: 0, fileVersion: TENSORBOARD_FILE_VERSION }),
    ),
    ...scalars.map((s) =>
      frameTfRecord(
        encodeEvent({
          wallTime: s.wallTime,
          step: s.step,
          scalars: [{ tag: s.tag, value: s.value }],
        }),
      ),
    ),
  ];
  const out = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
  let offset = 0;
  for (const record of records) {
    out.set(record, offset);
    offset += record.length;
  }
  return out;
}

const finite = (value: number | null | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * The scalars of a find report. Wall times: each noise measurement at the start plus the noise
 * probe's seconds so far (analyze reads step seconds from the wall time between steps). A reader
 * of one event file groups every tag by step, so the scalars by batch size share steps with the
 * noise curve: they take the wall time of the last noise measurement at or before their step (or
 * the start), which keeps wall time non-decreasing in the step and the noise curve's step times
 * as measured.
 */
export function findReportScalars(report: FindReport, startWallTime: number): TensorBoardScalar[] {
  const tags = FIND_TENSORBOARD_TAGS;
  const noise: TensorBoardScalar[] = [];
  let wallTime = startWallTime;
  const trajectory = new Map(report.noise.trajectory.map((t) => [t.step, t]));
  for (const measurement of report.noise.measurements) {
    if (finite(measurement.seconds)) wallTime += measurement.seconds;
    if (finite(measurement.loss))
      noise.push({
        tag: tags.noiseLoss,
        step: measurement.step,
        value: measurement.loss,
        wallTime,
      });
    const point = trajectory.get(measurement.step);
    if (point?.kind === 'measured' && finite(point.value))
      noise.push({ tag: tags.noiseBSimple, step: measurement.step, value: point.value, wallTime });
  }
  const wallAt = (step: number): number => {
    let at = startWallTime;
    for (const s of noise) if (s.step <= step) at = Math.max(at, s.wallTime);
    return at;
  };
  const byBatch = (tag: string, step: number, value: number): TensorBoardScalar => ({
    tag,
    step,
    value,
    wallTime: wallAt(step),
  });
  const scalars: TensorBoardScalar[] = [];
  for (const trial of report.memory.trials) {
    if (finite(trial.peakBytes))
      scalars.push(byBatch(tags.memoryPeakBytes, trial.batchSize, trial.peakBytes));
  }
  for (const point of report.throughput.points) {
    if (point.outcome !== 'ok') continue;
    if (finite(point.examplesPerSecond))
      scalars.push(byBatch(tags.throughput, point.batchSize, point.examplesPerSecond));
    if (finite(point.medianSeconds))
      scalars.push(byBatch(tags.stepSeconds, point.batchSize, point.medianSeconds));
  }
  scalars.push(...noise);
  const r = report.recommendation;
  if (r) {
    scalars.push(byBatch(tags.recommendedBatch, 0, r.batchSize));
    scalars.push(byBatch(tags.recommendedLearningRate, 0, r.learningRate));
  }
  return scalars;
}

/** The file name TensorBoard looks for: events.out.tfevents.<seconds>.<host>.<pid>.batchwise. */
export function tensorBoardFileName(wallTime: number): string {
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'localhost';
  return `events.out.tfevents.${Math.floor(wallTime)}.${host}.${process.pid}.batchwise`;
}

/** Writes the report's scalars into a new event file in `dir` (created when missing). */
export function writeFindTensorBoard(
  report: FindReport,
  dir: string,
  nowSeconds = Date.now() / 1000,
): string {
  const created = Date.parse(report.createdAt) / 1000;
  const start = Number.isFinite(created) ? created : nowSeconds;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, tensorBoardFileName(nowSeconds));
  writeFileSync(file, encodeTensorBoardEvents(findReportScalars(report, start), start));
  return file;
}
