import { describe, expect, it } from 'vitest';
import {
  createLabelEncoder,
  dataError,
  float32Builder,
  int32Builder,
  labelProblem,
  unreadableFileError,
} from '../../src/data/dataset.js';

describe('array builders', () => {
  it('grow past their first allocation and finish trimmed', () => {
    const floats = float32Builder();
    const ints = int32Builder();
    for (let i = 0; i < 3000; i++) {
      floats.push(i / 2);
      ints.push(-i);
    }
    expect(floats.length).toBe(3000);
    const f = floats.finish();
    const n = ints.finish();
    expect(f).toBeInstanceOf(Float32Array);
    expect(f.length).toBe(3000);
    expect(f[2999]).toBe(1499.5);
    expect(n).toBeInstanceOf(Int32Array);
    expect(n[2999]).toBe(-2999);
  });
});

describe('createLabelEncoder', () => {
  it('numbers integer labels in numeric order, one class per value', () => {
    const encoder = createLabelEncoder();
    for (const v of ['10', '2', '+2', '007', '-0', '0']) encoder.add(v);
    const { targets, classNames } = encoder.finish();
    expect(classNames).toEqual(['0', '2', '7', '10']);
    expect([...targets]).toEqual([3, 1, 1, 2, 0, 0]);
  });

  it('numbers string labels in code-unit order', () => {
    const encoder = createLabelEncoder();
    for (const v of ['dog', 'Cat', 'cat', '1']) encoder.add(v);
    const { targets, classNames } = encoder.finish();
    expect(classNames).toEqual(['1', 'Cat', 'cat', 'dog']);
    expect([...targets]).toEqual([3, 1, 2, 0]);
  });
});

describe('errors', () => {
  it('are one line: location, then what is wrong', () => {
    expect(dataError('a.csv:3', 'bad')).toMatchObject({
      code: 'invalid-data',
      message: 'a.csv:3: bad',
    });
    expect(
      unreadableFileError('x', Object.assign(new Error('boom\nstack'), { code: 'EIO' })).message,
    ).toBe('x: cannot read the file (boom)');
  });

  it('labelProblem accepts integers and names, not other numbers', () => {
    expect(labelProblem('3')).toBeUndefined();
    expect(labelProblem('cat')).toBeUndefined();
    expect(labelProblem('')).toBe('is empty');
    expect(labelProblem('1e3')).toMatch(/must be an integer or a class name, found 1e3/);
  });
});
