// Placeholder replaced by the command trial runner (merged from its branch).

import type { TrialSink } from './run-trial.js';
import type { TrialEnd } from './trial-events.js';
import type { TrialSpec } from './trial-spec.js';

export async function runCommandTrial(
  spec: TrialSpec,
  emit: TrialSink,
  _signal?: AbortSignal,
): Promise<TrialEnd> {
  const end: TrialEnd = {
    type: 'trial-end',
    id: spec.id,
    outcome: 'error',
    message: 'the command engine is not available for sweeps in this build',
    steps: 0,
    examples: 0,
    seconds: 0,
  };
  emit(end);
  return end;
}
