import { describe, expect, it } from 'vitest';
import { fitStepTime } from '../../src/analysis/step-time.js';
import { resampleThroughput } from '../../src/analysis/step-time-bootstrap.js';

const levels = [
  { batchSize: 8, stepSeconds: [0.011, 0.012, 0.0105, 0.013, 0.0112] },
  { batchSize: 64, stepSeconds: [0.02, 0.021, 0.019, 0.025, 0.0205] },
  { batchSize: 256, stepSeconds: [0.06, 0.061, 0.058, 0.07, 0.062] },
];

describe('resampleThroughput', () => {
  it('keeps the design: every batch size, as many timings as measured, drawn from its own', () => {
    const draws = resampleThroughput(levels, { resamples: 30, seed: 7 });
    expect(draws).toHaveLength(30);
    for (const draw of draws) {
      for (const level of levels) {
        const mine = draw.filter((d) => d.batchSize === level.batchSize);
        expect(mine).toHaveLength(level.stepSeconds.length);
        for (const d of mine) expect(level.stepSeconds).toContain(d.seconds);
      }
    }
    // Not the same draw every time.
    expect(new Set(draws.map((d) => JSON.stringify(d))).size).toBeGreaterThan(25);
  });

  it('is reproducible from its seed and differs between seeds', () => {
    expect(resampleThroughput(levels, { seed: 3 })).toEqual(
      resampleThroughput(levels, { seed: 3 }),
    );
    expect(resampleThroughput(levels, { seed: 3 })).not.toEqual(
      resampleThroughput(levels, { seed: 4 }),
    );
  });

  it('spreads the refitted t0·R around the fit on all timings', () => {
    const ratio = (fit: ReturnType<typeof fitStepTime>) =>
      fit.kind === 'fitted' ? fit.fixedSeconds.value / fit.secondsPerExample.value : Number.NaN;
    const all = ratio(
      fitStepTime(
        levels.flatMap((l) =>
          l.stepSeconds.map((seconds) => ({ batchSize: l.batchSize, seconds })),
        ),
      ),
    );
    const ratios = resampleThroughput(levels, { resamples: 200 })
      .map((d) => ratio(fitStepTime(d)))
      .sort((a, b) => a - b);
    expect(ratios[5]!).toBeLessThan(all);
    expect(ratios[194]!).toBeGreaterThan(all);
    expect(ratios[194]! / ratios[5]!).toBeLessThan(3);
  });

  it('drops unusable timings and needs two batch sizes', () => {
    expect(resampleThroughput([{ batchSize: 8, stepSeconds: [0.01, 0.02] }])).toEqual([]);
    const draws = resampleThroughput([
      { batchSize: 8, stepSeconds: [Number.NaN, 0.01, -1] },
      { batchSize: 16, stepSeconds: [0.02] },
      { batchSize: 32, stepSeconds: [] },
    ]);
    for (const d of draws)
      expect(d).toEqual([
        { batchSize: 8, seconds: 0.01 },
        { batchSize: 16, seconds: 0.02 },
      ]);
  });
});
