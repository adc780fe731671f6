// Protocol JSON lines (docs/protocol.md) read through src/protocol's parser: steps and norms,
// ranks that write their own lines merged, out-of-memory events, and bad input as one line
// naming the file and line.

import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProtocolLog } from '../../src/analyze/protocol-log.js';
import { linearRegressionFixture, tempDirectory, toProtocol, writeFixture } from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDirectory();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (fields: Record<string, unknown>) => JSON.stringify({ v: 1, ...fields });
const step = (fields: Record<string, unknown> = {}) =>
  line({ event: 'step', step: 0, batchSize: 32, seconds: 0.1, loss: 1, ...fields });

describe('readProtocolLog', () => {
  it('reads steps, norms and the start event', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 2 });
    const file = await writeFixture(dir, 'run.jsonl', toProtocol(steps, { datasetSize: 5000 }));
    const log = await readProtocolLog(file);
    expect(log.steps).toHaveLength(6);
    expect(log.run.datasetSize).toBe(5000);
    expect(log.steps[0]).toMatchObject({
      step: 0,
      batchSize: 32,
      location: { unit: 'line', index: 2 },
    });
    expect(log.steps[0]!.gradient?.kind === 'parts' && log.steps[0]!.gradient.parts.length).toBe(4);
  });

  it('merges the lines of several ranks: rank 0 is the step, every rank adds its parts', async () => {
    const text = [
      line({ event: 'start', framework: 'pytorch', worldSize: 2, rank: 0 }),
      step({
        batchSize: 64,
        microBatchSize: 16,
        microSqNorms: [4, 5],
        sqNorm: 1,
        rank: 0,
        worldSize: 2,
      }),
      step({
        batchSize: 64,
        microBatchSize: 16,
        microSqNorms: [6, 7],
        sqNorm: 1,
        rank: 1,
        worldSize: 2,
        seconds: 0.2,
      }),
    ].join('\n');
    const log = await readProtocolLog(await writeFixture(dir, 'ranks.jsonl', text));
    expect(log.steps).toHaveLength(1);
    expect(log.steps[0]!.seconds).toBe(0.1);
    expect(log.steps[0]!.gradient).toEqual({
      kind: 'parts',
      parts: [4, 5, 6, 7].map((sqNorm) => ({ batchSize: 16, sqNorm })),
      wholeSqNorm: 1,
    });
    expect(log.worldSize).toBe(2);
  });

  it('records out-of-memory events and NaN norms, naming the line', async () => {
    const text = [
      step({ microSqNorms: [1, 'NaN'], sqNorm: 1 }),
      step({ step: 1, microSqNorms: [1, 2], sqNorm: Number.NaN }).replace('null', 'NaN'),
      line({ event: 'oom', message: 'CUDA out of memory', batchSize: 512 }),
    ].join('\n');
    const file = await writeFixture(dir, 'nan.jsonl', text);
    const log = await readProtocolLog(file);
    expect(log.outOfMemoryBatchSizes).toEqual([512]);
    expect(log.warnings).toContain(
      `${file}: line 1: a gradient squared norm is NaN or infinite (step 0): skipped for the noise scale`,
    );
    expect(log.warnings).toContain(
      `${file}: line 2: a gradient squared norm is NaN or infinite (step 1): skipped for the noise scale`,
    );
    expect(log.warnings.join('\n')).toMatch(/line 3: out of memory at batch 512/);
  });

  it('bad input: each one line naming the file and line', async () => {
    const cases: [string, string, RegExp][] = [
      ['notjson.jsonl', `${step()}\n{"v":1,"event":`, /notjson\.jsonl: line 2: not JSON/],
      [
        'type.jsonl',
        step({ loss: 'abc' }),
        /type\.jsonl: line 1 \(step\): "loss".*got the string "abc"/,
      ],
      [
        'missing.jsonl',
        line({ event: 'step', step: 0, batchSize: 8, loss: 1 }),
        /missing\.jsonl: line 1 \(step\): missing "seconds"/,
      ],
      [
        'version.jsonl',
        JSON.stringify({ v: 2, event: 'step' }),
        /version\.jsonl: line 1: protocol version 2 is not supported/,
      ],
      ['empty.jsonl', '', /empty\.jsonl: the file is empty/],
      ['nostep.jsonl', line({ event: 'start', framework: 'x' }), /nostep\.jsonl: no step events/],
    ];
    for (const [name, text, message] of cases) {
      const error = await readProtocolLog(await writeFixture(dir, name, text)).catch(
        (e: Error) => e,
      );
      expect(error, name).toBeInstanceOf(Error);
      expect((error as Error).message, name).toMatch(message);
      expect((error as Error).message, name).not.toMatch(/\n/);
    }
  });
});
