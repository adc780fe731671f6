import { describe, expect, it } from 'vitest';
import { loadJsonl } from '../../src/data/jsonl.js';
import { fixtureFolder } from './fixtures.js';

const { write } = fixtureFolder('jsonl');
let files = 0;
const fixture = (lines: readonly string[]) => write(`data-${files++}.jsonl`, lines.join('\n'));

async function expectError(lines: readonly string[], message: (path: string) => string) {
  const path = fixture(lines);
  await expect(loadJsonl(path)).rejects.toMatchObject({
    code: 'invalid-data',
    message: message(path),
  });
}

describe('loadJsonl', () => {
  it('reads the numeric fields of the first record, in its order, other than the label', async () => {
    const path = fixture([
      '{"b": 1, "name": "first", "a": 2, "label": "cat"}',
      '',
      '{"a": 4, "b": 3, "label": "ant", "extra": true}',
      '{"label": "cat", "a": 6, "b": 5}',
    ]);
    const data = await loadJsonl(path);
    expect(data.size).toBe(3);
    expect(data.inputShape).toEqual([2]);
    expect([...data.inputs]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(data.classNames).toEqual(['ant', 'cat']);
    expect([...data.targets]).toEqual([1, 0, 1]);
    expect(data.target).toEqual({ kind: 'classes', classes: 2 });
  });

  it('reads an x or features array; the label defaults to the last other field', async () => {
    const x = await loadJsonl(fixture(['{"x": [1, 2, 3], "y": 2}', '{"x": [4, 5, 6], "y": 0}']));
    expect(x.inputShape).toEqual([3]);
    expect([...x.inputs]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...x.targets]).toEqual([1, 0]);
    const features = await loadJsonl(
      fixture([
        '{"id": 7, "features": [0.5], "class": 3}',
        '{"id": 8, "features": [1.5], "class": 1}',
      ]),
      { label: 'class' },
    );
    expect([...features.inputs]).toEqual([0.5, 1.5]);
    expect(features.classNames).toEqual(['1', '3']);
  });

  it('names the file and line of every bad input', async () => {
    await expectError([], (p) => `${p}: file is empty`);
    await expectError(['', '  '], (p) => `${p}: file is empty`);
    await expectError(
      ['{"a": 1, "label": 0}', '{"a": 1,'],
      (p) => `${p}:2: not valid JSON: {"a": 1,`,
    );
    await expectError(['[1, 2]'], (p) => `${p}:1: expected a JSON object, found an array`);
    await expectError(
      ['{"a": 1, "label": 0}', '3'],
      (p) => `${p}:2: expected a JSON object, found a number (3)`,
    );
    await expectError(
      ['{"a": 1, "b": 2, "label": 0}', '{"a": 1, "label": 0}'],
      (p) => `${p}:2: field "b" is missing`,
    );
    await expectError(
      ['{"a": 1, "label": 0}', '{"a": "abc", "label": 0}'],
      (p) => `${p}:2: field "a" must be a number, found a string ("abc")`,
    );
    await expectError(
      ['{"a": 1, "label": 0}', '{"a": 1}'],
      (p) => `${p}:2: field "label" is missing`,
    );
    await expectError(
      ['{"a": 1, "label": true}'],
      (p) => `${p}:1: label "label" must be an integer or a string, found a boolean (true)`,
    );
    await expectError(
      ['{"a": 1, "label": 1.5}'],
      (p) =>
        `${p}:1: label "label" must be an integer or a class name, found 1.5 (regression targets are not supported)`,
    );
    await expectError(
      ['{"x": [1, 2], "y": 0}', '{"x": [1], "y": 0}'],
      (p) => `${p}:2: field "x" has 1 value, expected 2 as in the first record`,
    );
    await expectError(
      ['{"x": [1, 2], "y": 0}', '{"x": [1, null], "y": 0}'],
      (p) => `${p}:2: field "x" item 1 must be a number, found null`,
    );
    await expectError(
      ['{"x": [1, 2], "y": 0}', '{"x": 3, "y": 0}'],
      (p) => `${p}:2: field "x" must be an array of numbers, found a number (3)`,
    );
    await expectError(['{"x": [], "y": 0}'], (p) => `${p}:1: field "x" is an empty array`);
    await expectError(
      ['{"name": "a", "label": 0}'],
      (p) => `${p}:1: no numeric fields besides the label "label" and no "x" or "features" array`,
    );
  });

  it('needs two records and two classes', async () => {
    await expectError(
      ['{"a": 1, "label": 0}'],
      (p) => `${p}: found 1 record; at least 2 are needed`,
    );
    await expectError(
      ['{"a": 1, "label": "cat"}', '{"a": 2, "label": "cat"}'],
      (p) =>
        `${p}: the label field "label" has one class ("cat" in all 2 records); a classifier needs at least 2`,
    );
  });

  it('lists the fields present when the label field is missing', async () => {
    const path = fixture(['{"a": 1, "b": 2}']);
    await expect(loadJsonl(path, { label: 'y' })).rejects.toMatchObject({
      code: 'invalid-data',
      message: `${path}:1: no label field "y" (fields: "a", "b")`,
    });
  });
});
