// The fake trainer (test/support/fake-trainer.ts) as a command template for the command engine.

import { fileURLToPath } from 'node:url';

export const FAKE_TRAINER = fileURLToPath(
  new URL('../../support/fake-trainer.ts', import.meta.url),
);

/** The template with every macro, plus extra fake-trainer flags. */
export function fakeTrainerCommand(...extra: string[]): string[] {
  return [
    process.execPath,
    '--import',
    'tsx',
    FAKE_TRAINER,
    '--batch-size',
    '{batch}',
    '--steps',
    '{steps}',
    '--micro-batch',
    '{micro_batch}',
    '--accumulation',
    '{accumulation}',
    '--seed',
    '{seed}',
    '--telemetry',
    '{telemetry}',
    ...extra,
  ];
}

export const SPEC = {
  model: 'fake-trainer',
  data: 'fake',
  optimizer: 'sgd',
  learningRate: 0.05,
  seed: 1,
} as const;
