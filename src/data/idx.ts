// The IDX format of MNIST and Fashion-MNIST (LeCun et al., "THE MNIST DATABASE", file formats):
// a magic number 0x00 0x00 <type code> <number of dimensions>, then each dimension as a
// big-endian uint32, then the values, big-endian, row-major. Gzip-compressed files (magic bytes
// 1f 8b) are read transparently. Also the image + label pair as a class data set.

// biome-ignore-all lint/style/noNonNullAssertion: tight loops over typed arrays whose indices are in range by construction (bounded by the arrays' lengths or by sizes checked on entry)

import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { BatchwiseError, requireInteger } from '../errors.js';
import {
  type Dataset,
  dataError,
  requireRegularFile,
  unreadableFileError,
  withFeatureStatistics,
} from './dataset.js';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export type IdxData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

export interface IdxArray {
  readonly dtype: IdxDtype;
  readonly dims: readonly number[];
  /** prod(dims) values, row-major, in host byte order. */
  readonly data: IdxData;
}

interface IdxType {
  readonly dtype: IdxDtype;
  readonly bytes: 1 | 2 | 4 | 8;
  readonly view: (buffer: ArrayBuffer) => IdxData;
}

/** By type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. */
const TYPE_CODES: Readonly<Record<number, IdxType>> = {
  8: { dtype: 'uint8', bytes: 1, view: (buffer) => new Uint8Array(buffer) },
  9: { dtype: 'int8', bytes: 1, view: (buffer) => new Int8Array(buffer) },
  11: { dtype: 'int16', bytes: 2, view: (buffer) => new Int16Array(buffer) },
  12: { dtype: 'int32', bytes: 4, view: (buffer) => new Int32Array(buffer) },
  13: { dtype: 'float32', bytes: 4, view: (buffer) => new Float32Array(buffer) },
  14: { dtype: 'float64', bytes: 8, view: (buffer) => new Float64Array(buffer) },
};

const gunzipAsync = promisify(gunzip);

function hex(bytes: Uint8Array): string {
  return `0x${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Decodes IDX bytes; `name` (the file) starts every error message. */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (bytes.length < 4) {
    throw dataError(name, `truncated: ${bytes.length} bytes, an IDX header needs at least 4`);
  }
  const magic = hex(bytes.subarray(0, 4));
  const type = TYPE_CODES[bytes[2]!];
  const rank = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || rank === 0) {
    throw dataError(
      name,
      `not an IDX file: bad magic number ${magic} (expected 0x0000, a type code 08, 09, 0b, 0c, 0d or 0e, and the number of dimensions)`,
    );
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw dataError(
      name,
      `truncated: the header of ${rank} dimensions needs ${headerBytes} bytes, the file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((product, d) => product * d, 1);
  const dataBytes = count * type.bytes;
  const actualBytes = bytes.length - headerBytes;
  if (actualBytes !== dataBytes) {
    const promise = `the header promises ${dims.join('×')} ${type.dtype} values (${dataBytes} bytes)`;
    throw dataError(
      name,
      actualBytes < dataBytes
        ? `truncated: ${promise} but only ${actualBytes} bytes follow`
        : `${actualBytes - dataBytes} bytes more than ${promise}`,
    );
  }
  // A copy with its own buffer (a Buffer's slice would share Node's pool), put into host order.
  const copy = new Uint8Array(bytes.length - headerBytes);
  copy.set(bytes.subarray(headerBytes));
  const values = Buffer.from(copy.buffer);
  if (endianness() === 'LE') {
    if (type.bytes === 2) values.swap16();
    if (type.bytes === 4) values.swap32();
    if (type.bytes === 8) values.swap64();
  }
  const data = type.view(copy.buffer);
  return { dtype: type.dtype, dims, data };
}

/** Reads an IDX file, gunzipping it first when it starts with the gzip magic bytes 1f 8b. */
export async function readIdx(path: string): Promise<IdxArray> {
  await requireRegularFile(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw unreadableFileError(path, error);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw dataError(path, `truncated or corrupt gzip data (${reason})`);
    }
  }
  return parseIdx(bytes, path);
}

export interface IdxPairOptions {
  /** Keep only the first `examples` images; default all. */
  readonly examples?: number | undefined;
}

/**
 * Images (count × rows × columns [× channels]) and their labels as a class data set: inputs
 * [rows, columns, channels] float32 in [0, 1] (uint8 divided by 255; other types min-max scaled
 * over the file), classes = largest label + 1.
 */
export async function loadIdxPair(
  imagesPath: string,
  labelsPath: string,
  options: IdxPairOptions = {},
): Promise<Dataset> {
  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw dataError(
      imagesPath,
      `expected images of 3 dimensions (count, rows, columns), found ${images.dims.join('×')}`,
    );
  }
  if (labels.dims.length !== 1 || labels.dtype.startsWith('float')) {
    throw dataError(
      labelsPath,
      `expected integer labels of 1 dimension (count), found ${labels.dtype} ${labels.dims.join('×')}`,
    );
  }
  const imageCount = images.dims[0]!;
  const labelCount = labels.dims[0]!;
  if (imageCount !== labelCount) {
    throw dataError(
      imagesPath,
      `holds ${imageCount} images but ${labelsPath} holds ${labelCount} labels`,
    );
  }
  if (imageCount === 0) throw dataError(imagesPath, 'holds no images');
  const size = requireInteger('examples', options.examples ?? imageCount);
  if (size > imageCount) {
    throw new BatchwiseError(
      'invalid-argument',
      `examples (${size}) is larger than the ${imageCount} images in ${imagesPath}`,
    );
  }

  let classes = 0;
  labels.data.forEach((label, i) => {
    if (label < 0) throw dataError(labelsPath, `label ${i} is negative (${label})`);
    classes = Math.max(classes, label + 1);
  });
  if (classes < 2) {
    throw dataError(labelsPath, 'every label is 0: one class; a classifier needs at least 2');
  }

  const inputShape = [images.dims[1]!, images.dims[2]!, images.dims[3] ?? 1];
  const width = inputShape[0]! * inputShape[1]! * inputShape[2]!;
  const pixels = images.data.subarray(0, size * width);
  const inputs = new Float32Array(pixels.length);
  if (images.dtype === 'uint8') {
    for (let i = 0; i < pixels.length; i++) inputs[i] = pixels[i]! / 255;
  } else {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const value of images.data) {
      if (value < min) min = value;
      if (value > max) max = value;
    }
    const range = max > min ? max - min : 1;
    for (let i = 0; i < pixels.length; i++) inputs[i] = (pixels[i]! - min) / range;
  }
  return withFeatureStatistics({
    name: imagesPath,
    size,
    inputShape,
    inputDtype: 'float32',
    inputs,
    targets: Int32Array.from(labels.data.subarray(0, size)),
    target: { kind: 'classes', classes },
  });
}
