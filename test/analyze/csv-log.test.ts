// CSV training logs: default column names, --map, the three ways to give gradient norms
// (micro-batch columns, per-rank columns, a small/big pair), the loss scale, and each bad input
// as one line naming the file and line.

import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsvLog } from '../../src/analyze/csv-log.js';
import { parseFieldMapping } from '../../src/analyze/field-map.js';
import { linearRegressionFixture, tempDirectory, toCsv, writeFixture } from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDirectory();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const csv = (name: string, text: string) => writeFixture(dir, name, text);

describe('readCsvLog', () => {
  it('reads per-micro-batch columns, with steps of different accumulation', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 3 });
    const log = await readCsvLog(await csv('micro.csv', toCsv(steps)));
    expect(log.steps).toHaveLength(9);
    const last = log.steps.at(-1)!;
    expect(last).toMatchObject({ step: 8, batchSize: 128 });
    expect(last.gradient?.kind === 'parts' && last.gradient.parts.length).toBe(16);
    const first = log.steps[0]!;
    // Empty cells of the unused micro columns are absent, not zero.
    expect(first.gradient?.kind === 'parts' && first.gradient.parts.length).toBe(4);
    expect(first.location).toEqual({ file: log.file, unit: 'line', index: 2 });
  });

  it('reads a small/big pair and divides the loss scale out, squared', async () => {
    const file = await csv(
      'pair.csv',
      'iteration,batch,step_time,train_loss,micro_batch_size,grad_sq_norm_small,grad_sq_norm_big,loss_scale\n0,64,0.1,2.0,16,400,100,10\n',
    );
    const log = await readCsvLog(file);
    expect(log.steps[0]).toMatchObject({
      step: 0,
      batchSize: 64,
      seconds: 0.1,
      loss: 2,
      gradient: {
        kind: 'pair',
        smallBatchSize: 16,
        smallSqNorm: 4,
        bigBatchSize: 64,
        bigSqNorm: 1,
      },
    });
  });

  it('reads per-rank columns and divides the batch among them when no part size is given', async () => {
    const file = await csv(
      'ranks.csv',
      'step,batch_size,grad_sq_norm_rank_0,grad_sq_norm_rank_1,grad_sq_norm\n5,256,2,3,1\n',
    );
    const log = await readCsvLog(file);
    expect(log.steps[0]!.gradient).toEqual({
      kind: 'parts',
      parts: [
        { batchSize: 128, sqNorm: 2 },
        { batchSize: 128, sqNorm: 3 },
      ],
      wholeSqNorm: 1,
    });
  });

  it('maps columns with --map, including a prefix for per-part norms', async () => {
    const file = await csv(
      'mapped.csv',
      'it,bs,secs,l,gn_a0,gn_a1,gn_all,mb\n1,32,0.2,1.5,4,5,2,16\n',
    );
    const mapping = parseFieldMapping([
      'step=it',
      'batchSize=bs',
      'seconds=secs',
      'loss=l',
      'microSqNorms=gn_a*',
      'sqNorm=gn_all',
      'smallBatchSize=mb',
    ]);
    const log = await readCsvLog(file, mapping);
    expect(log.steps[0]).toMatchObject({ step: 1, batchSize: 32, seconds: 0.2, loss: 1.5 });
    expect(log.steps[0]!.gradient).toMatchObject({ kind: 'parts', wholeSqNorm: 2 });
    expect(log.warnings).toEqual([]);
  });

  it('keeps a recorded NaN norm, with a warning naming the line', async () => {
    const file = await csv(
      'nan.csv',
      'step,batch_size,grad_sq_norm_micro_0,grad_sq_norm_micro_1,grad_sq_norm_big\n0,16,1,2,1\n1,16,nan,2,1\n',
    );
    const log = await readCsvLog(file);
    expect(log.steps).toHaveLength(2);
    expect(log.warnings).toEqual([
      `${file}: line 3: a gradient squared norm is NaN or infinite (step 1): skipped for the noise scale`,
    ]);
  });

  it('bad input: each one line naming the file and line', async () => {
    const cases: [string, string, RegExp][] = [
      ['empty.csv', '', /empty\.csv: the file is empty/],
      ['header.csv', 'step,loss\n', /header\.csv: a header but no rows/],
      [
        'word.csv',
        'step,loss\n0,1.5\n1,abc\n',
        /word\.csv: line 3: column "loss" is not a number \("abc"\)/,
      ],
      ['fields.csv', 'step,loss\n0,1.5,7\n', /fields\.csv: line 2: 3 fields, the header has 2/],
      ['none.csv', 'a,b\n1,2\n', /none\.csv: line 1: the header names none of batchwise's fields/],
      [
        'batch.csv',
        'step,batch_size\n0,2.5\n',
        /batch\.csv: line 2: the batch size must be a whole number >= 1, got 2\.5/,
      ],
      [
        'nobig.csv',
        'step,batch_size,grad_sq_norm_micro_0,grad_sq_norm_micro_1\n0,16,1,2\n',
        /nobig\.csv: line 2: small-batch squared norms need the squared norm of the whole/,
      ],
      ['quote.csv', 'step,loss\n0,"1.5\n', /quote\.csv: line 2: a quoted field is never closed/],
    ];
    for (const [name, text, message] of cases) {
      const error = await readCsvLog(await csv(name, text)).catch((e: Error) => e);
      expect(error, name).toBeInstanceOf(Error);
      expect((error as Error).message, name).toMatch(message);
      expect((error as Error).message, name).not.toMatch(/\n/);
    }
  });

  it('--map: an unknown field or a missing column is one clear line', async () => {
    expect(() => parseFieldMapping(['lr=foo'])).toThrow(
      /--map: unknown field "lr"; the fields are step, batchSize/,
    );
    expect(() => parseFieldMapping(['loss'])).toThrow(/--map takes field=column, got "loss"/);
    const file = await csv('m.csv', 'step,loss\n0,1\n');
    await expect(readCsvLog(file, { loss: 'Loss' })).rejects.toThrow(
      /m\.csv: --map loss=Loss: no column "Loss" \(the columns are step, loss\)/,
    );
  });
});
