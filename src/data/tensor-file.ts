// A batchwise tensor file (`.bwt`): a data set as raw typed arrays, what the library writes when a
// caller hands over tensors (src/library/find-batch-size.ts) so that `find` — which opens its
// workload from files, also in child processes — reads exactly those values, fast.
//   bytes 0–7   "BWTENS01"
//   bytes 8–11  header length H (uint32, little-endian)
//   H bytes     JSON header: { size, inputShape, inputDtype, target: { kind: 'classes', classes } }
//   then        size × prod(inputShape) inputs (float32 or int32, little-endian), size int32 labels

import { readFile, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { z } from 'zod';
import { BatchwiseError } from '../errors.js';
import { type Dataset, dataError, unreadableFileError, withFeatureStatistics } from './dataset.js';

const MAGIC = 'BWTENS01';

const headerSchema = z.object({
  size: z.number().int().positive(),
  inputShape: z.array(z.number().int().positive()).min(1),
  inputDtype: z.enum(['float32', 'int32']),
  target: z.object({ kind: z.literal('classes'), classes: z.number().int().min(2) }),
});
export type TensorFileHeader = z.output<typeof headerSchema>;

function requireLittleEndian(): void {
  if (endianness() !== 'LE') {
    throw new BatchwiseError('invalid-data', 'tensor files are little-endian; this host is not');
  }
}

export async function writeTensorFile(
  path: string,
  header: TensorFileHeader,
  inputs: Float32Array | Int32Array,
  labels: Int32Array,
): Promise<void> {
  requireLittleEndian();
  const json = Buffer.from(JSON.stringify(headerSchema.parse(header)));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  await writeFile(
    path,
    Buffer.concat([
      Buffer.from(MAGIC, 'latin1'),
      length,
      json,
      Buffer.from(inputs.buffer, inputs.byteOffset, inputs.byteLength),
      Buffer.from(labels.buffer, labels.byteOffset, labels.byteLength),
    ]),
  );
}

export async function loadTensorFile(path: string): Promise<Dataset> {
  requireLittleEndian();
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw unreadableFileError(path, error);
  }
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) {
    throw dataError(path, 'not a batchwise tensor file (no BWTENS01 header)');
  }
  const headerLength = bytes.readUInt32LE(8);
  let header: TensorFileHeader;
  try {
    header = headerSchema.parse(JSON.parse(bytes.toString('utf8', 12, 12 + headerLength)));
  } catch {
    throw dataError(path, 'its header is not a valid tensor file header');
  }
  const width = header.inputShape.reduce((a, b) => a * b, 1);
  const start = 12 + headerLength;
  const inputBytes = header.size * width * 4;
  if (bytes.length !== start + inputBytes + header.size * 4) {
    throw dataError(path, `holds ${bytes.length} bytes, not what its header describes`);
  }
  // Copies: the typed arrays need 4-byte alignment, which the file offset does not promise.
  const inputBuffer = bytes.buffer.slice(
    bytes.byteOffset + start,
    bytes.byteOffset + start + inputBytes,
  );
  const inputs =
    header.inputDtype === 'float32' ? new Float32Array(inputBuffer) : new Int32Array(inputBuffer);
  const targets = new Int32Array(
    bytes.buffer.slice(bytes.byteOffset + start + inputBytes, bytes.byteOffset + bytes.length),
  );
  for (const label of targets) {
    if (!(label >= 0 && label < header.target.classes)) {
      throw dataError(path, `a label (${label}) is outside 0..${header.target.classes - 1}`);
    }
  }
  const dataset: Dataset = {
    name: path,
    size: header.size,
    inputShape: header.inputShape,
    inputDtype: header.inputDtype,
    inputs,
    targets,
    target: header.target,
  };
  return header.inputDtype === 'float32' ? withFeatureStatistics(dataset) : dataset;
}
