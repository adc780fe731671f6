// One sweep trial on an in-process engine (TF.js, fake): open the workload at the trial's batch,
// learning rate and seed, train from the initial weights, evaluate on the held-out data every
// `evalEverySteps`, and stop at the target, the budget, a divergence or an out-of-memory. Every
// step of the way is an event for the sink; a failure is an outcome, never an exception.

import type { TrainingSession, WorkloadSpec } from '../engines/engine.js';
import { loadEngine } from '../engines/registry.js';
import { errorMessage } from '../errors.js';
import { TargetTracker, type TrackerVerdict } from './target-tracker.js';
import type { TrialEnd, TrialEvent } from './trial-events.js';
import type { TrialSpec } from './trial-spec.js';

export type TrialSink = (event: TrialEvent) => void;

/** Steps trained per call to the engine between checks (an evaluation is due at most this often). */
const STEPS_PER_CALL = 50;

export async function runSessionTrial(
  spec: TrialSpec,
  emit: TrialSink,
  signal?: AbortSignal,
): Promise<TrialEnd> {
  const tracker = new TargetTracker(spec);
  const finish = (outcome: TrialEnd['outcome'], message?: string) => {
    const end = tracker.end(outcome, message);
    emit(end);
    return end;
  };
  let session: TrainingSession;
  try {
    const engine = await loadEngine({
      engine: spec.engine.name,
      shell: spec.engine.shell,
      timeoutSeconds: spec.maxSeconds,
      fakeStepDelayMs: spec.engine.fakeStepDelayMs,
    });
    session = await engine.open(spec.workload as WorkloadSpec, {
      ...(spec.engine.backend !== undefined ? { backend: spec.engine.backend } : {}),
      ...(spec.engine.memoryBudgetBytes !== undefined
        ? { memoryBudgetBytes: spec.engine.memoryBudgetBytes }
        : {}),
    });
  } catch (error) {
    return finish('error', errorMessage(error));
  }
  try {
    if (spec.batchSize > session.workload.datasetSize) {
      return finish(
        'error',
        `batch ${spec.batchSize} is larger than the training data (${session.workload.datasetSize} examples)`,
      );
    }
    emit(tracker.start(session.workload.datasetSize));
    const evaluate = async (): Promise<TrackerVerdict | TrialEnd> => {
      const result = session.evaluate ? await session.evaluate({ signal }) : undefined;
      if (result && result.kind !== 'ok') {
        return finish(
          result.kind === 'aborted' ? 'aborted' : outcomeOf(result.kind),
          result.message,
        );
      }
      const { event, verdict } = tracker.evaluation(
        result ? { loss: result.loss, accuracy: result.accuracy } : {},
      );
      emit(event);
      return verdict;
    };
    // The untrained weights: the first point of the curves.
    const first = await evaluate();
    if ('type' in first) return first;
    for (;;) {
      if (signal?.aborted) return finish('aborted', 'interrupted');
      const untilEval = spec.evalEverySteps - (tracker.stepCount % spec.evalEverySteps);
      let verdict: TrackerVerdict = { kind: 'continue' };
      const outcome = await session.train({
        batchSize: spec.batchSize,
        steps: Math.min(untilEval, STEPS_PER_CALL),
        signal,
        onStep: (record) => {
          if (verdict.kind === 'continue') verdict = tracker.step(record);
        },
      });
      if (outcome.kind !== 'ok' && outcome.kind !== 'diverged') {
        return finish(
          outcome.kind === 'aborted' ? 'aborted' : outcomeOf(outcome.kind),
          outcome.message,
        );
      }
      // A diverged step was recorded by the tracker; the engine's verdict agrees.
      const stepVerdict = verdict as TrackerVerdict;
      if (stepVerdict.kind === 'diverged') return finish('diverged', stepVerdict.message);
      if (stepVerdict.kind !== 'continue' || tracker.evaluationDue()) {
        // Evaluate where the trial stands, also at the end (the final generalisation gap).
        const evaluated = await evaluate();
        if ('type' in evaluated) return evaluated;
        const final = stepVerdict.kind !== 'continue' ? stepVerdict : evaluated;
        if (final.kind === 'reached') return finish('reached');
        if (final.kind === 'not-reached' || final.kind === 'diverged')
          return finish(final.kind, final.message);
      }
    }
  } catch (error) {
    return finish('error', errorMessage(error));
  } finally {
    await session.dispose().catch(() => undefined);
  }
}

/** Engine failure kinds as trial outcomes. */
function outcomeOf(kind: string): TrialEnd['outcome'] {
  if (kind === 'oom') return 'oom';
  if (kind === 'diverged') return 'diverged';
  return 'error';
}
