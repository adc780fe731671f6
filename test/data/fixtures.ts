// Fixture files for the data loader tests: a fresh temporary folder per test file, and IDX bytes
// written as the format specifies (big-endian header, dimensions and values).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FixtureFolder {
  readonly folder: string;
  /** Writes `content` to `name` in the folder and returns its path. */
  write(name: string, content: string | Uint8Array): string;
}

export function fixtureFolder(prefix: string): FixtureFolder {
  const folder = mkdtempSync(join(tmpdir(), `batchwise-${prefix}-`));
  return {
    folder,
    write(name, content) {
      const path = join(folder, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

const WRITERS: Record<
  number,
  { bytes: number; write: (b: Buffer, v: number, at: number) => void }
> = {
  8: { bytes: 1, write: (b, v, at) => b.writeUInt8(v, at) },
  9: { bytes: 1, write: (b, v, at) => b.writeInt8(v, at) },
  11: { bytes: 2, write: (b, v, at) => b.writeInt16BE(v, at) },
  12: { bytes: 4, write: (b, v, at) => b.writeInt32BE(v, at) },
  13: { bytes: 4, write: (b, v, at) => b.writeFloatBE(v, at) },
  14: { bytes: 8, write: (b, v, at) => b.writeDoubleBE(v, at) },
};

/** An IDX file: 0x00 0x00 type-code rank, each dimension as uint32, then the values. */
export function idxBytes(
  typeCode: number,
  dims: readonly number[],
  values: readonly number[],
): Buffer {
  const { bytes, write } = WRITERS[typeCode]!;
  const header = 4 + 4 * dims.length;
  const buffer = Buffer.alloc(header + values.length * bytes);
  buffer[2] = typeCode;
  buffer[3] = dims.length;
  dims.forEach((d, i) => {
    buffer.writeUInt32BE(d, 4 + 4 * i);
  });
  values.forEach((v, i) => {
    write(buffer, v, header + i * bytes);
  });
  return buffer;
}
