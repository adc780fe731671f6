import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadIdxPair, readIdx } from '../../src/data/idx.js';
import { fixtureFolder, idxBytes } from './fixtures.js';

const { write: fixture } = fixtureFolder('idx');

async function expectError(name: string, bytes: Uint8Array, message: (path: string) => string) {
  const path = fixture(name, bytes);
  await expect(readIdx(path)).rejects.toMatchObject({
    code: 'invalid-data',
    message: message(path),
  });
}

describe('readIdx', () => {
  it('decodes every type code, big-endian', async () => {
    const cases: [number, string, number[]][] = [
      [0x08, 'uint8', [0, 1, 128, 255, 7, 9]],
      [0x09, 'int8', [-128, -1, 0, 1, 100, 127]],
      [0x0b, 'int16', [-32768, -2, 0, 3, 300, 32767]],
      [0x0c, 'int32', [-2147483648, -70000, 0, 1, 70000, 2147483647]],
      [0x0d, 'float32', [-1.5, 0, 0.25, 3, 1e10, -2e-3]],
      [0x0e, 'float64', [-1.5, 0, 0.1, Math.PI, 1e300, -2e-300]],
    ];
    for (const [code, dtype, values] of cases) {
      const idx = await readIdx(fixture(`type-${code}`, idxBytes(code, [2, 3], values)));
      expect(idx.dtype).toBe(dtype);
      expect(idx.dims).toEqual([2, 3]);
      const expected = dtype === 'float32' ? values.map(Math.fround) : values;
      expect([...idx.data]).toEqual(expected);
    }
  });

  it('reads gzip transparently, by magic bytes rather than name', async () => {
    const bytes = idxBytes(0x0c, [3], [1, -2, 3]);
    const zipped = await readIdx(fixture('plain-name', gzipSync(bytes)));
    expect([...zipped.data]).toEqual([1, -2, 3]);
    expect(zipped.dims).toEqual([3]);
  });

  it('rejects a bad magic number, a truncated file and extra bytes, naming the file', async () => {
    await expectError(
      'bad-magic',
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]),
      (p) =>
        `${p}: not an IDX file: bad magic number 0x504b0304 (expected 0x0000, a type code 08, 09, 0b, 0c, 0d or 0e, and the number of dimensions)`,
    );
    await expectError(
      'bad-type',
      Buffer.from([0, 0, 0x0a, 1, 0, 0, 0, 0]),
      (p) =>
        `${p}: not an IDX file: bad magic number 0x00000a01 (expected 0x0000, a type code 08, 09, 0b, 0c, 0d or 0e, and the number of dimensions)`,
    );
    await expectError(
      'tiny',
      Buffer.from([0, 0]),
      (p) => `${p}: truncated: 2 bytes, an IDX header needs at least 4`,
    );
    await expectError(
      'short-header',
      idxBytes(0x08, [2, 3, 4], []).subarray(0, 10),
      (p) => `${p}: truncated: the header of 3 dimensions needs 16 bytes, the file has 10`,
    );
    const full = idxBytes(0x08, [10, 28, 28], new Array(7840).fill(1));
    await expectError(
      'truncated',
      full.subarray(0, 1000),
      (p) =>
        `${p}: truncated: the header promises 10×28×28 uint8 values (7840 bytes) but only 984 bytes follow`,
    );
    await expectError(
      'extra',
      Buffer.concat([idxBytes(0x0b, [2], [1, 2]), Buffer.from([9, 9])]),
      (p) => `${p}: 2 bytes more than the header promises 2 int16 values (4 bytes)`,
    );
    await expectError(
      'truncated.gz',
      gzipSync(full).subarray(0, 30),
      (p) => `${p}: truncated or corrupt gzip data (unexpected end of file)`,
    );
    const path = join(tmpdir(), 'batchwise-absent-idx3-ubyte');
    await expect(readIdx(path)).rejects.toMatchObject({
      message: `${path}: cannot read the file (no such file)`,
    });
  });
});

describe('loadIdxPair', () => {
  const pixels = Array.from({ length: 4 * 2 * 3 }, (_, i) => (i * 11) % 256);
  const images = fixture('pair-images-idx3-ubyte.gz', gzipSync(idxBytes(0x08, [4, 2, 3], pixels)));
  const labels = fixture('pair-labels-idx1-ubyte', idxBytes(0x08, [4], [3, 0, 1, 3]));

  it('scales uint8 pixels to [0, 1] and counts classes as the largest label + 1', async () => {
    const data = await loadIdxPair(images, labels);
    expect(data.size).toBe(4);
    expect(data.inputShape).toEqual([2, 3, 1]);
    expect(data.inputDtype).toBe('float32');
    expect([...data.inputs]).toEqual(pixels.map((p) => Math.fround(p / 255)));
    expect([...data.targets]).toEqual([3, 0, 1, 3]);
    expect(data.target).toEqual({ kind: 'classes', classes: 4 });
  });

  it('keeps the first examples when asked, classes still from every label', async () => {
    const data = await loadIdxPair(images, labels, { examples: 2 });
    expect(data.size).toBe(2);
    expect(data.inputs.length).toBe(12);
    expect([...data.targets]).toEqual([3, 0]);
    expect(data.target).toEqual({ kind: 'classes', classes: 4 });
    await expect(loadIdxPair(images, labels, { examples: 5 })).rejects.toMatchObject({
      code: 'invalid-argument',
      message: `examples (5) is larger than the 4 images in ${images}`,
    });
  });

  it('min-max scales other types over the file', async () => {
    const floats = fixture('float-images', idxBytes(0x0d, [2, 1, 2], [-1, 0, 1, 3]));
    const twoLabels = fixture('two-labels', idxBytes(0x08, [2], [0, 1]));
    const scaled = await loadIdxPair(floats, twoLabels);
    expect([...scaled.inputs]).toEqual([0, 0.25, 0.5, 1]);
  });

  it('rejects labels of one class', async () => {
    const zeros = fixture('zero-labels', idxBytes(0x08, [4], [0, 0, 0, 0]));
    await expect(loadIdxPair(images, zeros)).rejects.toMatchObject({
      code: 'invalid-data',
      message: `${zeros}: every label is 0: one class; a classifier needs at least 2`,
    });
  });

  it('rejects images and labels of the wrong shape or count', async () => {
    const flat = fixture('flat', idxBytes(0x08, [4, 6], pixels));
    await expect(loadIdxPair(flat, labels)).rejects.toMatchObject({
      code: 'invalid-data',
      message: `${flat}: expected images of 3 dimensions (count, rows, columns), found 4×6`,
    });
    const floatLabels = fixture('float-labels', idxBytes(0x0d, [4], [0, 1, 2, 3]));
    await expect(loadIdxPair(images, floatLabels)).rejects.toMatchObject({
      message: `${floatLabels}: expected integer labels of 1 dimension (count), found float32 4`,
    });
    const negative = fixture('negative-labels', idxBytes(0x09, [4], [0, 1, -2, 3]));
    await expect(loadIdxPair(images, negative)).rejects.toMatchObject({
      message: `${negative}: label 2 is negative (-2)`,
    });
    const three = fixture('three-labels', idxBytes(0x08, [3], [0, 1, 2]));
    await expect(loadIdxPair(images, three)).rejects.toMatchObject({
      code: 'invalid-data',
      message: `${images}: holds 4 images but ${three} holds 3 labels`,
    });
  });
});
