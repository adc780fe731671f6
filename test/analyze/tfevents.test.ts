// TensorBoard event files: CRC-32C against its published check value, records written by our
// own writer read back (simple_value and 0-d tensor scalars), and every corruption one line
// naming the file and record.

import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../src/analyze/crc32c.js';
import { readTfEventsLog } from '../../src/analyze/tfevents-log.js';
import { decodeEvent, encodeEvent } from '../../src/analyze/tfevents-proto.js';
import { frameTfRecord, splitTfRecords } from '../../src/analyze/tfevents-records.js';
import { linearRegressionFixture, tempDirectory, toTfEvents, writeFixture } from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDirectory();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ascii = (text: string) => new TextEncoder().encode(text);

describe('crc32c', () => {
  it('matches the CRC-32C check value of "123456789" (RFC 3720 §B.4; 0xE3069283)', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
  });

  it('matches RFC 3720 §B.4 test vectors: 32 zero bytes 0x8A9136AA, 32 0xFF bytes 0x62A8AB43', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });

  it('masks as TensorFlow does: rotate right 15, add 0xa282ead8', () => {
    const crc = crc32c(ascii('123456789'));
    const expected = ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) % 2 ** 32;
    expect(maskedCrc32c(ascii('123456789'))).toBe(expected);
  });
});

describe('event records', () => {
  it('round-trips framing and Event messages (simple_value and tensor scalars)', () => {
    const data = encodeEvent({
      wallTime: 12.5,
      step: 7,
      scalars: [
        { tag: 'a', value: 1.5 },
        { tag: 'b', value: 2.25, asTensor: true },
      ],
    });
    const { records } = splitTfRecords('x', frameTfRecord(data));
    expect(records).toHaveLength(1);
    const event = decodeEvent(records[0]!);
    expect(event).toMatchObject({ wallTime: 12.5, step: 7 });
    expect(event.scalars).toEqual([
      { tag: 'a', value: 1.5 },
      { tag: 'b', value: 2.25 },
    ]);
  });

  it('reads a generated log: batch sizes, micro-batch norms, seconds, loss', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 5 });
    const file = await writeFixture(dir, 'events.out.tfevents.1.host', toTfEvents(steps));
    const log = await readTfEventsLog(file);
    expect(log.format).toBe('tfevents');
    expect(log.steps).toHaveLength(steps.length);
    const first = log.steps[0]!;
    expect(first.batchSize).toBe(32);
    expect(first.seconds).toBeCloseTo(steps[0]!.seconds, 6);
    expect(first.gradient?.kind).toBe('parts');
    if (first.gradient?.kind === 'parts') {
      expect(first.gradient.parts).toHaveLength(4);
      expect(first.gradient.parts[0]!.batchSize).toBe(8);
      expect(first.gradient.parts[2]!.sqNorm).toBeCloseTo(steps[0]!.microSqNorms[2]!, 4);
    }
    expect(log.steps.at(-1)!.batchSize).toBe(128);
  });

  it('reads tensor scalars (TF2 tf.summary.scalar) and takes seconds from wall_time when no tag holds them', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 4, accumulations: [4] });
    const file = await writeFixture(
      dir,
      'tensors.tfevents',
      toTfEvents(steps, { asTensor: true, withSeconds: false }),
    );
    const log = await readTfEventsLog(file);
    expect(log.steps[1]!.seconds).toBeCloseTo(steps[1]!.seconds, 3);
    expect(log.steps[0]!.seconds).toBeUndefined();
    expect(log.warnings.join('\n')).toMatch(/wall_time/);
  });

  it('maps tags with --map', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 3, accumulations: [2] });
    const file = await writeFixture(dir, 'mapped.tfevents', toTfEvents(steps, { prefix: 'x/' }));
    const log = await readTfEventsLog(file, { loss: 'x/step_seconds', seconds: 'x/loss' });
    expect(log.steps[0]!.loss).toBeCloseTo(steps[0]!.seconds, 6);
    await expect(readTfEventsLog(file, { loss: 'nope' })).rejects.toThrow(
      /mapped\.tfevents: --map loss=nope: no tag "nope" \(the tags are/,
    );
  });

  it('detects a corrupt data CRC, naming the file and record', async () => {
    const { steps } = linearRegressionFixture({ stepsPerBatch: 3, accumulations: [2] });
    const bytes = toTfEvents(steps);
    // Flip a byte inside the third record's data (records 1 and 2 are intact).
    const { records } = splitTfRecords('x', bytes);
    const offset = 12 + records[0]!.length + 4 + 12 + records[1]!.length + 4 + 12 + 5;
    bytes[offset]! ^= 0xff;
    const file = await writeFixture(dir, 'corrupt.tfevents', bytes);
    await expect(readTfEventsLog(file)).rejects.toThrow(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: record 3: the CRC of the data does not match`,
      ),
    );
  });

  it('detects a corrupt length CRC and a file that is not an event file', async () => {
    const bytes = toTfEvents(
      linearRegressionFixture({ stepsPerBatch: 1, accumulations: [2] }).steps,
    );
    bytes[2]! ^= 0x01;
    const file = await writeFixture(dir, 'badlength.tfevents', bytes);
    await expect(readTfEventsLog(file)).rejects.toThrow(
      /badlength\.tfevents: record 1: the CRC of the length field/,
    );
    const text = await writeFixture(dir, 'text.tfevents', 'step,loss\n1,2\n');
    await expect(readTfEventsLog(text)).rejects.toThrow(
      /text\.tfevents: record 1: .*not a TensorBoard event file/,
    );
  });

  it('ignores, with a warning, a last record cut short (a writer still running)', async () => {
    const bytes = toTfEvents(
      linearRegressionFixture({ stepsPerBatch: 3, accumulations: [2] }).steps,
    );
    const file = await writeFixture(dir, 'cut.tfevents', bytes.subarray(0, bytes.length - 7));
    const log = await readTfEventsLog(file);
    expect(log.steps).toHaveLength(2);
    expect(log.warnings.join('\n')).toMatch(/cut\.tfevents: record 4: cut short/);
  });

  it('an empty file, or events without scalars, is one clear error', async () => {
    const empty = await writeFixture(dir, 'empty.tfevents', new Uint8Array());
    await expect(readTfEventsLog(empty)).rejects.toThrow(/empty\.tfevents: the file is empty/);
    const versionOnly = await writeFixture(
      dir,
      'version.tfevents',
      frameTfRecord(encodeEvent({ wallTime: 1, step: 0, fileVersion: 'brain.Event:2' })),
    );
    await expect(readTfEventsLog(versionOnly)).rejects.toThrow(
      /version\.tfevents: 1 records but no scalar summaries/,
    );
  });

  it('a record whose CRCs hold but whose data is not an Event is one clear error', async () => {
    const file = await writeFixture(
      dir,
      'garbage.tfevents',
      frameTfRecord(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff])),
    );
    await expect(readTfEventsLog(file)).rejects.toThrow(
      /garbage\.tfevents: record 1: not a tensorflow\.Event message/,
    );
  });
});
