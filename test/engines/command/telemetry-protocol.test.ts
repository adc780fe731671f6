// The telemetry protocol parser (src/protocol/): every event, non-finite values kept, the loss
// scale divided out, and one clear line naming the line for each kind of bad input.

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BatchwiseError } from '../../../src/errors.js';
import {
  parseTelemetryLine,
  readTelemetry,
  safeParseTelemetryLine,
  type TelemetryEvent,
} from '../../../src/protocol/index.js';

const step = (fields: Record<string, unknown>) =>
  JSON.stringify({ v: 1, event: 'step', step: 0, batchSize: 8, seconds: 0.1, loss: 1, ...fields });

function invalid(line: string, lineNumber = 7): string {
  const result = safeParseTelemetryLine(line, lineNumber);
  if (result.kind !== 'invalid') throw new Error(`expected invalid, got ${result.kind}`);
  return result.message;
}

describe('parseTelemetryLine', () => {
  it('reads a start event with its defaults', () => {
    const event = parseTelemetryLine(
      '{"v":1,"event":"start","framework":"pytorch","datasetSize":60000,"parameterCount":10}',
      1,
    );
    expect(event).toEqual({
      v: 1,
      event: 'start',
      framework: 'pytorch',
      worldSize: 1,
      rank: 0,
      accumulationSteps: 1,
      datasetSize: 60000,
      parameterCount: 10,
    });
  });

  it('reads a step with norms, tokens and peak bytes, ignoring unknown fields', () => {
    const event = parseTelemetryLine(
      step({ tokens: 4096, peakBytes: 1e9, microSqNorms: [2, 3], sqNorm: 1, mine: 'x' }),
      2,
    );
    expect(event).toMatchObject({ tokens: 4096, peakBytes: 1e9, microSqNorms: [2, 3], sqNorm: 1 });
    expect(event).not.toHaveProperty('mine');
  });

  it('keeps NaN and Infinity, quoted or bare (as Python writes them), as non-finite numbers', () => {
    const quoted = parseTelemetryLine(step({ loss: 'NaN', microSqNorms: ['Infinity', 1] }), 1);
    const bare = parseTelemetryLine(
      '{"v":1,"event":"step","step":0,"batchSize":8,"seconds":0.1,"loss":NaN,"sqNorm":Infinity,"note":"NaN"}',
      1,
    );
    expect(quoted?.event === 'step' && quoted.loss).toBeNaN();
    expect(quoted?.event === 'step' && quoted.microSqNorms?.[0]).toBe(Number.POSITIVE_INFINITY);
    expect(bare?.event === 'step' && bare.loss).toBeNaN();
    expect(bare?.event === 'step' && bare.sqNorm).toBe(Number.POSITIVE_INFINITY);
  });

  it('divides a step loss scale out of the norms, squared', () => {
    const event = parseTelemetryLine(
      step({ microSqNorms: [1024, 4096], sqNorm: 2048, lossScale: 32 }),
      1,
    );
    expect(event).toMatchObject({ microSqNorms: [1, 4], sqNorm: 2, lossScale: 32 });
  });

  it('reads oom and end events; a blank line is nothing', () => {
    expect(parseTelemetryLine('{"v":1,"event":"oom","batchSize":64}', 1)).toEqual({
      v: 1,
      event: 'oom',
      message: 'out of memory',
      batchSize: 64,
    });
    expect(parseTelemetryLine('{"v":1,"event":"end","steps":3}', 2)).toEqual({
      v: 1,
      event: 'end',
      steps: 3,
    });
    expect(parseTelemetryLine('   ', 3)).toBeUndefined();
  });

  it('reads eval events (extension eval 1) and the extension announced in start', () => {
    expect(
      parseTelemetryLine(
        '{"v":1,"event":"eval","step":50,"loss":2.31,"accuracy":0.41,"examples":512,"extra":1}',
        1,
      ),
    ).toEqual({ v: 1, event: 'eval', step: 50, loss: 2.31, accuracy: 0.41, examples: 512 });
    const diverged = parseTelemetryLine('{"v":1,"event":"eval","step":3,"loss":NaN}', 2);
    expect(diverged?.event === 'eval' && Number.isNaN(diverged.loss)).toBe(true);
    expect(
      parseTelemetryLine(
        '{"v":1,"event":"start","framework":"x","protocol":{"plan":1,"eval":1}}',
        3,
      ),
    ).toMatchObject({ protocol: { plan: 1, eval: 1 } });
    expect(invalid('{"v":1,"event":"eval","step":3}')).toBe(
      'telemetry line 7 (eval): "loss": expected a number or "NaN", "Infinity", "-Infinity", got nothing',
    );
    expect(invalid('{"v":1,"event":"eval","step":3,"loss":1,"accuracy":1.5}')).toMatch(
      /^telemetry line 7 \(eval\): "accuracy": .*1\.5/,
    );
  });

  it('says in one line, naming the line, what is wrong', () => {
    expect(invalid('{"v":1,"event":"step",')).toBe(
      'telemetry line 7: not JSON: {"v":1,"event":"step",',
    );
    expect(invalid('[1,2]')).toBe('telemetry line 7: expected a JSON object, got an array');
    expect(invalid('{"event":"step"}')).toBe(
      'telemetry line 7: missing "v" (the protocol version)',
    );
    expect(invalid('{"v":2,"event":"step"}')).toBe(
      'telemetry line 7: protocol version 2 is not supported (this batchwise reads version 1)',
    );
    expect(invalid('{"v":1,"event":"epoch"}')).toBe(
      'telemetry line 7: unknown event "epoch" (expected start, step, eval, oom, item-end, end)',
    );
    expect(invalid('{"v":1,"event":"step","step":0,"batchSize":8,"loss":1}')).toBe(
      'telemetry line 7 (step): missing "seconds"',
    );
    expect(invalid(step({ loss: 'low' }))).toBe(
      'telemetry line 7 (step): "loss": expected a number or "NaN", "Infinity", "-Infinity", got the string "low"',
    );
    expect(invalid(step({ step: 1.5 }))).toBe(
      'telemetry line 7 (step): "step" must be an integer, got number 1.5',
    );
    expect(invalid(step({ sqNorm: -1 }))).toBe(
      'telemetry line 7 (step): "sqNorm": a squared norm cannot be negative, got -1',
    );
    expect(invalid(step({ batchSize: 9, microSqNorms: [1, 2] }))).toBe(
      'telemetry line 7 (step): "microBatchSize": required when batchSize (9) is not a multiple of the 2 microSqNorms',
    );
    expect(invalid('{"v":1,"event":"start"}')).toBe(
      'telemetry line 7 (start): missing "framework"',
    );
    for (const line of ['x', '{"v":1}', step({ seconds: '1' })]) {
      expect(invalid(line)).not.toContain('\n');
    }
  });

  it('throws the message as a BatchwiseError', () => {
    expect(() => parseTelemetryLine('nope', 3)).toThrow(BatchwiseError);
    expect(() => parseTelemetryLine('nope', 3)).toThrow('telemetry line 3: not JSON: nope');
  });
});

describe('readTelemetry', () => {
  const lines = [
    '{"v":1,"event":"start","framework":"jax"}',
    '',
    step({ step: 0 }),
    'garbage',
    step({ step: 1, loss: 'NaN' }),
    '{"v":1,"event":"end"}',
  ].join('\n');

  it('streams the events and throws at the first bad line', async () => {
    const events: TelemetryEvent[] = [];
    await expect(async () => {
      for await (const event of readTelemetry(Readable.from([lines]))) events.push(event);
    }).rejects.toThrow('telemetry line 4: not JSON: garbage');
    expect(events.map((e) => e.event)).toEqual(['start', 'step']);
  });

  it('with onInvalidLine reports and skips bad lines, keeping everything else', async () => {
    const bad: number[] = [];
    const events: TelemetryEvent[] = [];
    for await (const event of readTelemetry(Readable.from([lines]), {
      onInvalidLine: (_, n) => bad.push(n),
    }))
      events.push(event);
    expect(bad).toEqual([4]);
    expect(events.map((e) => e.event)).toEqual(['start', 'step', 'step', 'end']);
  });

  it('names a file it cannot read', async () => {
    await expect(async () => {
      for await (const _ of readTelemetry('/nonexistent/telemetry.jsonl')) break;
    }).rejects.toThrow('cannot read telemetry file /nonexistent/telemetry.jsonl: ENOENT');
  });
});
