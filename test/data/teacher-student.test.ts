import { describe, expect, it } from 'vitest';
import { teacherStudentDataset } from '../../src/data/teacher-student.js';

describe('teacherStudentDataset', () => {
  it('has the requested shape, standard Gaussian inputs and every class', () => {
    const data = teacherStudentDataset({ examples: 4000, features: 8, classes: 5, seed: 3 });
    expect(data.size).toBe(4000);
    expect(data.inputShape).toEqual([8]);
    expect(data.inputDtype).toBe('float32');
    expect(data.inputs.length).toBe(32000);
    expect(data.target).toEqual({ kind: 'classes', classes: 5 });
    const values = [...data.inputs];
    const n = values.length;
    const mean = values.reduce((s, v) => s + v, 0) / n;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    // Standard errors: 1/sqrt(n) for the mean, sqrt(2/n) for the variance; 5 of them allowed.
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    const counts = new Array(5).fill(0);
    for (const y of data.targets) counts[y]++;
    for (const count of counts) expect(count).toBeGreaterThan(4000 / 5 / 4);
  });

  it('is reproducible by seed', () => {
    const a = teacherStudentDataset({ examples: 200, seed: 7 });
    const b = teacherStudentDataset({ examples: 200, seed: 7 });
    const c = teacherStudentDataset({ examples: 200, seed: 8 });
    expect(b.inputs).toEqual(a.inputs);
    expect(b.targets).toEqual(a.targets);
    expect(c.inputs).not.toEqual(a.inputs);
  });

  it('more label noise means more labels that disagree with the teacher: p (1 - 1/K)', () => {
    const examples = 8192;
    const classes = 10;
    const teacher = teacherStudentDataset({ examples, classes, seed: 11 });
    let previous = -1;
    for (const labelNoise of [0, 0.1, 0.3, 0.6, 1]) {
      const noisy = teacherStudentDataset({ examples, classes, labelNoise, seed: 11 });
      const sameInputs = Buffer.from(noisy.inputs.buffer).equals(
        Buffer.from(teacher.inputs.buffer),
      );
      expect(sameInputs).toBe(true);
      let disagreements = 0;
      for (let i = 0; i < examples; i++)
        if (noisy.targets[i] !== teacher.targets[i]) disagreements++;
      const fraction = disagreements / examples;
      // A replaced label is a uniform class, so it still agrees with probability 1/K.
      const expected = labelNoise * (1 - 1 / classes);
      const standardError = Math.sqrt((expected * (1 - expected)) / examples);
      expect(Math.abs(fraction - expected)).toBeLessThanOrEqual(4 * standardError);
      expect(fraction).toBeGreaterThan(previous);
      previous = fraction;
    }
  });

  it('rejects impossible options', () => {
    expect(() => teacherStudentDataset({ labelNoise: 1.5, seed: 1 })).toThrow(
      'labelNoise must be a probability from 0 to 1, got 1.5',
    );
    expect(() => teacherStudentDataset({ classes: 1, seed: 1 })).toThrow(
      'classes must be an integer >= 2, got 1',
    );
    expect(() => teacherStudentDataset({ examples: 0, seed: 1 })).toThrow(
      'examples must be an integer >= 1, got 0',
    );
  });
});
