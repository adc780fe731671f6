// One sweep trial spec for the queue tests: batch 32 at learning rate 0.1 to training loss 0.5,
// on the given model, data and engine.

import { type TrialSpec, trialSpecSchema } from '../../src/sweep/trial-spec.js';

export function trialSpecFor(
  model: string,
  data: string,
  engine: object = { name: 'tfjs' },
): TrialSpec {
  return trialSpecSchema.parse({
    version: 1,
    id: 'b32-lr1-r0',
    batchSize: 32,
    learningRate: 0.1,
    learningRateFactor: 1,
    repeat: 0,
    engine,
    workload: { model, data, optimizer: 'sgd', learningRate: 0.1, seed: 1 },
    target: { kind: 'loss', value: 0.5 },
    smoothingSteps: 5,
    evalEverySteps: 10,
    maxExamples: 100_000,
    maxSeconds: 60,
  });
}
