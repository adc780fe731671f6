// `find --tensorboard DIR`: event files written by batchwise read back by batchwise's own
// TensorBoard reader (every record's CRCs checked), the scalars equal to the report's numbers (as
// float32, simple_value's type), and `batchwise analyze DIR` reading the folder.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTfEventsLog } from '../../src/analyze/tfevents-log.js';
import { decodeEvent } from '../../src/analyze/tfevents-proto.js';
import { splitTfRecords } from '../../src/analyze/tfevents-records.js';
import { findReportSchema } from '../../src/report/find-report-schema.js';
import {
  encodeTensorBoardEvents,
  FIND_TENSORBOARD_TAGS,
  findReportScalars,
  TENSORBOARD_FILE_VERSION,
} from '../../src/report/tensorboard-writer.js';
import { batchwise } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-tensorboard-'));

function readEvents(file: string) {
  const { records, truncatedRecord } = splitTfRecords(file, readFileSync(file));
  expect(truncatedRecord).toBeUndefined();
  return records.map((record) => decodeEvent(record));
}

describe('the TensorBoard writer', () => {
  it('writes records that read back: file_version first, then one scalar each', async () => {
    const scalars = [
      { tag: 'noise/loss', step: 0, value: 2.5, wallTime: 1000.5 },
      { tag: 'noise/loss', step: 10, value: 1.25, wallTime: 1001.5 },
      { tag: 'noise/b_simple', step: 10, value: 512, wallTime: 1001.5 },
      { tag: 'noise/loss', step: 20, value: 0.1, wallTime: 1003 },
    ];
    const file = join(dir, 'events.out.tfevents.1.unit');
    writeFileSync(file, encodeTensorBoardEvents(scalars, 1000));
    const events = readEvents(file);
    expect(events).toHaveLength(5);
    expect(events[0]).toMatchObject({ fileVersion: TENSORBOARD_FILE_VERSION, scalars: [] });
    expect(
      events.slice(1).map((e) => ({
        tag: e.scalars[0]?.tag,
        step: e.step,
        value: e.scalars[0]?.value,
        wallTime: e.wallTime,
      })),
    ).toEqual(scalars.map((s) => ({ ...s, value: Math.fround(s.value) })));
    // batchwise's training-log reader: noise/loss is the loss, steps in order.
    const log = await readTfEventsLog(file);
    expect(log.steps.map((s) => s.step)).toEqual([0, 10, 20]);
    expect(log.steps.map((s) => s.loss)).toEqual([2.5, 1.25, Math.fround(0.1)]);
  });

  it('find --tensorboard writes the report measurements, and analyze reads the folder', async () => {
    const json = join(dir, 'report.json');
    const tb = join(dir, 'tb');
    const r = await batchwise(
      'find',
      '--engine',
      'fake',
      '--no-store',
      '--quiet',
      '--json',
      json,
      '--tensorboard',
      tb,
    );
    expect(r.code).toBe(0);
    const files = readdirSync(tb);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\..+\.batchwise$/);
    const report = findReportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    const events = readEvents(join(tb, files[0] ?? ''));
    const written = events.slice(1).map((e) => ({
      tag: e.scalars[0]?.tag,
      step: e.step,
      value: e.scalars[0]?.value,
    }));
    const expected = findReportScalars(report, 0).map((s) => ({
      tag: s.tag,
      step: s.step,
      value: Math.fround(s.value),
    }));
    expect(written).toEqual(expected);
    const tags = new Set(written.map((w) => w.tag));
    for (const tag of Object.values(FIND_TENSORBOARD_TAGS)) expect(tags).toContain(tag);
    // Peak bytes by batch size, examples/s by batch size, the recommendation at step 0.
    const okTrials = report.memory.trials.filter((t) => typeof t.peakBytes === 'number');
    expect(written.filter((w) => w.tag === FIND_TENSORBOARD_TAGS.memoryPeakBytes)).toHaveLength(
      okTrials.length,
    );
    expect(written).toContainEqual({
      tag: FIND_TENSORBOARD_TAGS.recommendedBatch,
      step: 0,
      value: report.recommendation?.batchSize,
    });
    // Wall time never goes back as the step grows: analyze takes step seconds from it.
    const byStep = [...events.slice(1)].sort((a, b) => a.step - b.step || a.wallTime - b.wallTime);
    for (let i = 1; i < byStep.length; i++)
      expect(byStep[i]?.wallTime).toBeGreaterThanOrEqual(byStep[i - 1]?.wallTime ?? 0);

    const analyzed = await batchwise('analyze', tb);
    expect(analyzed.code).toBe(0);
    expect(analyzed.stdout).toMatch(/tfevents, \d+ steps/);
  });

  it('checks the folder before measuring', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const asFile = await batchwise('find', '--engine', 'fake', '--no-store', '--tensorboard', file);
    expect(asFile.code).toBe(2);
    expect(asFile.stderr).toMatch(/--tensorboard .* is a file; it needs a folder/);
    const missing = await batchwise(
      'find',
      '--engine',
      'fake',
      '--no-store',
      '--tensorboard',
      join(dir, 'no', 'such', 'tb'),
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--tensorboard .*does not exist/);
  });
});
