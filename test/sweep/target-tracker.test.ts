import { describe, expect, it } from 'vitest';
import { TargetTracker } from '../../src/sweep/target-tracker.js';
import type { TrialSpec } from '../../src/sweep/trial-spec.js';

function spec(target: TrialSpec['target'], extra: Partial<TrialSpec> = {}): TrialSpec {
  return {
    version: 1,
    id: 't',
    batchSize: 10,
    learningRate: 0.1,
    learningRateFactor: 1,
    repeat: 0,
    engine: { name: 'fake', shell: false, fakeStepDelayMs: 0 },
    workload: { model: 'mlp', data: 'synthetic', optimizer: 'sgd', learningRate: 0.1, seed: 1 },
    target,
    smoothingSteps: 3,
    evalEverySteps: 4,
    maxExamples: 1000,
    maxSeconds: 100,
    ...extra,
  };
}

describe('target tracker', () => {
  it('a loss target is met by the mean of the last smoothing steps, not one lucky step', () => {
    const t = new TargetTracker(spec({ kind: 'loss', value: 1 }));
    const losses = [3, 0.5, 2, 1.2, 1, 0.8];
    // The first step compiles (1 s); the time to the target is 6 steps × the median step time.
    const verdicts = losses.map(
      (loss, i) => t.step({ batchSize: 10, seconds: i === 0 ? 1 : 0.1, loss }).kind,
    );
    // means of 3: (3,.5,2)=1.83 (.5,2,1.2)=1.23 (2,1.2,1)=1.4 (1.2,1,.8)=1.0
    expect(verdicts).toEqual([
      'continue',
      'continue',
      'continue',
      'continue',
      'continue',
      'reached',
    ]);
    const end = t.end('reached');
    expect(end).toMatchObject({ stepsToTarget: 6, examplesToTarget: 60, steps: 6 });
    expect(end.secondsToTarget).toBeCloseTo(0.6, 12);
    expect(end.seconds).toBeCloseTo(1.5, 12);
  });

  it('a metric target is met at an evaluation; the eval carries the mean training loss', () => {
    const t = new TargetTracker(
      spec({ kind: 'metric', metric: 'accuracy', direction: '>=', value: 0.9 }),
    );
    for (const loss of [2, 1, 1, 0]) t.step({ batchSize: 10, seconds: 1, loss });
    expect(t.evaluationDue()).toBe(true);
    const first = t.evaluation({ loss: 0.5, accuracy: 0.85 });
    expect(first.verdict.kind).toBe('continue');
    expect(first.event).toMatchObject({
      step: 4,
      examples: 40,
      trainLoss: 1,
      validationAccuracy: 0.85,
    });
    for (const loss of [0, 0, 0, 0]) t.step({ batchSize: 10, seconds: 1, loss });
    expect(t.evaluation({ loss: 0.3, accuracy: 0.91 }).verdict.kind).toBe('reached');
    expect(t.end('reached')).toMatchObject({
      stepsToTarget: 8,
      validationAccuracy: 0.91,
      validationLoss: 0.3,
    });
  });

  it('diverges on a loss that is not finite and runs out of budget', () => {
    const t = new TargetTracker(spec({ kind: 'loss', value: 0 }));
    expect(t.step({ batchSize: 10, seconds: 1, loss: Number.NaN }).kind).toBe('diverged');
    const b = new TargetTracker(spec({ kind: 'loss', value: 0 }, { maxExamples: 30 }));
    const kinds = [1, 1, 1].map((loss) => b.step({ batchSize: 10, seconds: 1, loss }).kind);
    expect(kinds).toEqual(['continue', 'continue', 'not-reached']);
    const s = new TargetTracker(spec({ kind: 'loss', value: 0 }, { maxSeconds: 2 }));
    expect(s.step({ batchSize: 10, seconds: 2.5, loss: 1 })).toMatchObject({
      kind: 'not-reached',
      message: expect.stringMatching(/within 2 s of training/),
    });
  });

  it('an examples target ends the trial when they are trained', () => {
    const t = new TargetTracker(spec({ kind: 'examples', value: 25 }));
    const kinds = [1, 1, 1].map((loss) => t.step({ batchSize: 10, seconds: 1, loss }).kind);
    expect(kinds).toEqual(['continue', 'continue', 'reached']);
  });
});
