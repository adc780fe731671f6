import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCsv, parseCsvRecord } from '../../src/data/csv.js';
import { elideMiddle } from '../../src/terminal-text.js';
import { fixtureFolder } from './fixtures.js';

const { folder, write } = fixtureFolder('csv');
let files = 0;
const fixture = (text: string) => write(`data-${files++}.csv`, text);

/** Loading `text` fails with exactly `file:message`, as a data error. */
async function expectError(text: string, message: (path: string) => string) {
  const path = fixture(text);
  await expect(loadCsv(path)).rejects.toMatchObject({
    code: 'invalid-data',
    message: message(path),
  });
}

describe('parseCsvRecord', () => {
  it('splits on commas outside quotes and undoubles quotes', () => {
    expect(parseCsvRecord('1,2,3')).toEqual(['1', '2', '3']);
    expect(parseCsvRecord('1,"a, b","say ""hi"""')).toEqual(['1', 'a, b', 'say "hi"']);
    expect(parseCsvRecord('"",x,')).toEqual(['', 'x', '']);
  });

  it('reports an open quote as an incomplete record', () => {
    expect(parseCsvRecord('1,"a')).toBeUndefined();
    expect(parseCsvRecord('1,"a\nb"')).toEqual(['1', 'a\nb']);
  });
});

describe('loadCsv', () => {
  it('reads numeric features and maps string labels to sorted class ids', async () => {
    const path = fixture(
      '\uFEFFx1,label,x2\r\n1.5,"dog, big",-2\r\n\r\n0,cat,3e2\r\n.5,dog,+4\r\n',
    );
    const data = await loadCsv(path);
    expect(data.name).toBe(path);
    expect(data.size).toBe(3);
    expect(data.inputShape).toEqual([2]);
    expect(data.inputDtype).toBe('float32');
    expect([...data.inputs]).toEqual([1.5, -2, 0, 300, 0.5, 4]);
    expect(data.classNames).toEqual(['cat', 'dog', 'dog, big']);
    expect([...data.targets]).toEqual([2, 0, 1]);
    expect(data.target).toEqual({ kind: 'classes', classes: 3 });
  });

  it('takes the last column as the label when none is named "label", integers sorted as numbers', async () => {
    const data = await loadCsv(fixture('a,b,y\n1,2,10\n3,4,9\n5,6,+09\n7,8,-1\n'));
    expect(data.classNames).toEqual(['-1', '9', '10']);
    expect([...data.targets]).toEqual([2, 1, 1, 0]);
    expect([...data.inputs]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('uses the label column it is given, and a quoted field may span lines', async () => {
    const data = await loadCsv(fixture('kind,a,b\n"two\nlines",1,2\nother,3,4\n'), {
      label: 'kind',
    });
    expect(data.classNames).toEqual(['other', 'two\nlines']);
    expect([...data.targets]).toEqual([1, 0]);
    expect([...data.inputs]).toEqual([1, 2, 3, 4]);
  });

  it('streams a file larger than its buffers', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},${i % 7}`);
    const data = await loadCsv(fixture(`x,label\n${rows.join('\n')}\n`));
    expect(data.size).toBe(5000);
    expect(data.inputs[4999]).toBe(4999);
    expect(data.targets[4999]).toBe(4999 % 7);
    expect(data.target).toEqual({ kind: 'classes', classes: 7 });
  });

  it('names the file and line of every bad input', async () => {
    await expectError('', (p) => `${p}: file is empty`);
    await expectError('\n  \n', (p) => `${p}: file is empty`);
    await expectError(
      '1,2,3\n4,5,6\n',
      (p) => `${p}:1: the first row must be a header naming the columns, found numbers`,
    );
    await expectError('a,b,label\n', (p) => `${p}: no data rows after the header`);
    await expectError('a,b,label\n1,2,x\n3,4\n', (p) => `${p}:3: expected 3 fields, found 2`);
    await expectError('a,b,label\n1,2,x\n3,4,y,5\n', (p) => `${p}:3: expected 3 fields, found 4`);
    await expectError(
      'a,x3,label\n1,2,x\n\n3,abc,y\n',
      (p) => `${p}:4: column "x3" is not a number ("abc")`,
    );
    await expectError(
      'a,b,label\n1,2,x\n3,NaN,y\n',
      (p) =>
        `${p}:3: column "b" is "NaN": a NaN or infinite input poisons every gradient; remove the row or fill in the value`,
    );
    await expectError(
      'a,b,label\n-inf,2,x\n',
      (p) =>
        `${p}:2: column "a" is "-inf": a NaN or infinite input poisons every gradient; remove the row or fill in the value`,
    );
    await expectError(
      'a,b,label\n1,,x\n',
      (p) => `${p}:2: column "b" is empty (missing values are not supported)`,
    );
    await expectError(
      'a,b,label\n1,0x1F,x\n',
      (p) => `${p}:2: column "b" is not a number ("0x1F")`,
    );
    await expectError(
      'a,b,label\n1,1e39,x\n',
      (p) => `${p}:2: column "b" is too large for float32 (1e39)`,
    );
    await expectError(
      'a,b,label\n1,2,0.5\n',
      (p) =>
        `${p}:2: label "label" must be an integer or a class name, found 0.5 (regression targets are not supported)`,
    );
    await expectError('a,b,label\n1,2, \n', (p) => `${p}:2: label "label" is empty`);
    await expectError(
      'a,b,label\n1,2,"x\n3,4,y\n',
      (p) => `${p}:2: a quoted field is never closed`,
    );
    await expectError(
      'x\n1\n',
      (p) => `${p}:1: found 1 column ("x"); need at least one feature column and a label column`,
    );
    await expectError('a,,label\n1,2,3\n', (p) => `${p}:1: column 2 of the header has no name`);
    await expectError('a,a,label\n1,2,3\n', (p) => `${p}:1: column "a" appears twice`);
  });

  it('lists the columns present when the label column is missing', async () => {
    const path = fixture('a,b,c\n1,2,3\n');
    await expect(loadCsv(path, { label: 'y' })).rejects.toMatchObject({
      code: 'invalid-data',
      message: `${path}:1: no label column "y" (columns: "a", "b", "c")`,
    });
  });

  it('needs two data rows and two classes, and says so instead of TF.js', async () => {
    await expectError('a,b,label\n1,2,0\n', (p) => `${p}: found 1 data row; at least 2 are needed`);
    await expectError(
      'a,b,label\n1,2,x\n3,4,x\n5,6, x\n',
      (p) =>
        `${p}: the label column "label" has one class ("x" in all 3 data rows); a classifier needs at least 2`,
    );
    const path = fixture('a,kind,b\n1,cat,2\n3,cat,4\n');
    await expect(loadCsv(path, { label: 'kind' })).rejects.toThrow(
      `${path}: the label column "kind" has one class ("cat" in all 2 data rows); a classifier needs at least 2`,
    );
  });

  it('quotes at most 60 characters of a 3 MB cell, elided in the middle', async () => {
    const huge = `${'a'.repeat(1_500_000)}${'z'.repeat(1_500_000)}`;
    const shown = `"${'a'.repeat(30)}…${'z'.repeat(29)}"`;
    await expectError(
      `a,b,label\n1,${huge},x\n`,
      (p) => `${p}:2: column "b" is not a number (${shown})`,
    );
    const digits = '9'.repeat(3_000_000);
    await expectError(
      `a,b,label\n1,${digits},x\n`,
      (p) => `${p}:2: column "b" is too large for float32 (${elideMiddle(digits)})`,
    );
    const fraction = `0.${'5'.repeat(3_000_000)}`;
    await expectError(
      `a,b,label\n1,2,${fraction}\n`,
      (p) =>
        `${p}:2: label "label" must be an integer or a class name, found ${elideMiddle(fraction)} (regression targets are not supported)`,
    );
    await expectError(
      `${huge},${huge},label\n1,2,3\n`,
      (p) => `${p}:1: column ${shown} appears twice`,
    );
    const many = Array.from({ length: 5000 }, (_, i) => `c${i}`).join(',');
    const path = fixture(`${many}\n${many.replace(/c/g, '')}\n`);
    const error = await loadCsv(path, { label: 'y' }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/\(columns: "c0", .*"c11", … \(5000 in all\)\)$/);
  });

  it('escapes control characters and refuses binary files', async () => {
    await expectError(
      'a,b\x1b[31m,label\n1,abc\x1b[0m\x07,x\n',
      (p) => `${p}:2: column "b\\x1b[31m" is not a number ("abc\\x1b[0m\\x07")`,
    );
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const binary = write('binary.csv', Buffer.concat([Buffer.from('\x1b[31m'), bytes, bytes]));
    await expect(loadCsv(binary)).rejects.toMatchObject({
      code: 'invalid-data',
      message: `${binary}:1: holds a NUL byte: this is a binary file, not text`,
    });
  });

  it('a missing file is a one-line data error', async () => {
    const path = join(folder, 'absent.csv');
    await expect(loadCsv(path)).rejects.toMatchObject({
      code: 'invalid-data',
      message: `${path}: cannot read the file (no such file)`,
    });
    await expect(loadCsv(folder)).rejects.toMatchObject({
      message: `${folder}: cannot read the file (is a directory, not a file)`,
    });
  });
});
