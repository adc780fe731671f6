// TensorFlow's record framing (TFRecord, used by TensorBoard event files): each record is
// [uint64 length][uint32 masked CRC-32C of the length][data][uint32 masked CRC-32C of the data],
// little-endian (tensorflow/core/lib/io/record_writer.cc). Both CRCs are checked; a corrupt
// record is one error naming the file and record; a record cut short at the end of the file
// (a writer still running) is reported and ignored.

import { BatchwiseError } from '../errors.js';
import { maskedCrc32c } from './crc32c.js';

export interface TfRecords {
  readonly records: readonly Uint8Array[];
  /** Set when the file ends inside a record. */
  readonly truncatedRecord?: number;
}

const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;

/** Split a TFRecord file into its records; record numbers in messages count from 1. */
export function splitTfRecords(file: string, bytes: Uint8Array): TfRecords {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const number = records.length + 1;
    if (offset + HEADER_BYTES > bytes.length) return { records, truncatedRecord: number };
    const length = view.getBigUint64(offset, true);
    const lengthCrc = view.getUint32(offset + 8, true);
    const expectedLengthCrc = maskedCrc32c(bytes.subarray(offset, offset + 8));
    if (lengthCrc !== expectedLengthCrc) {
      throw new BatchwiseError(
        'invalid-data',
        `${file}: record ${number}: the CRC of the length field does not match (corrupt or not a TensorBoard event file, at byte ${offset})`,
      );
    }
    const remaining = BigInt(bytes.length - offset - HEADER_BYTES - FOOTER_BYTES);
    if (length > remaining) return { records, truncatedRecord: number };
    const start = offset + HEADER_BYTES;
    const end = start + Number(length);
    const data = bytes.subarray(start, end);
    if (view.getUint32(end, true) !== maskedCrc32c(data)) {
      throw new BatchwiseError(
        'invalid-data',
        `${file}: record ${number}: the CRC of the data does not match (the record is corrupt, at byte ${offset})`,
      );
    }
    records.push(data);
    offset = end + FOOTER_BYTES;
  }
  return { records };
}

/** One framed record (the writer side, used to write event files in tests and examples). */
export function frameTfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + data.length + FOOTER_BYTES);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, HEADER_BYTES);
  view.setUint32(HEADER_BYTES + data.length, maskedCrc32c(data), true);
  return out;
}
