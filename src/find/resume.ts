// Which stored run --resume continues, and what it had measured. Only a run that stopped early
// (interrupted, or killed while running) is resumed: a complete run has nothing left to do, and a
// failed one may hold measurements of a broken engine, so it is never continued.

import { BatchwiseError } from '../errors.js';
import type { PriorMeasurements } from '../probes/find-probes.js';
import { runKind } from '../store/run-kind.js';
import type { RunStore, StoredRun } from '../store/run-store.js';
import { findEvents, priorMeasurements } from './find-history.js';
import { type ResolvedFindConfig, resolvedFindConfigSchema } from './resolve-config.js';

export interface ResumePlan {
  readonly run: StoredRun;
  readonly config: ResolvedFindConfig;
  readonly prior: PriorMeasurements;
}

/** The run to resume (the given one, or the newest unfinished) with what it had measured. */
export function planResume(store: RunStore, runRef: string | undefined): ResumePlan {
  const run =
    runRef !== undefined
      ? store.getRun(runRef)
      : store.latestResumable((r) => runKind(r) === 'find');
  if (!run) {
    throw new BatchwiseError(
      'invalid-argument',
      `no interrupted run to resume in ${store.path} (batchwise runs lists the runs)`,
    );
  }
  if (run.status === 'complete') {
    throw new BatchwiseError(
      'invalid-argument',
      `run ${run.id} is complete; nothing to resume (batchwise show ${run.id} prints it)`,
    );
  }
  if (run.status === 'failed') {
    throw new BatchwiseError(
      'invalid-argument',
      `run ${run.id} failed, so it is not resumed: its measurements may come from a broken engine (batchwise show ${run.id} says why); start a new run`,
    );
  }
  if (runKind(run) !== 'find') {
    throw new BatchwiseError(
      'invalid-argument',
      `run ${run.id} is a sweep: continue it with batchwise sweep --resume ${run.id}`,
    );
  }
  const config = resolvedFindConfigSchema.safeParse(run.options);
  if (!config.success) {
    throw new BatchwiseError(
      'invalid-data',
      `run ${run.id} in ${store.path} has no settings this batchwise reads (stored by another version?); it cannot be resumed`,
    );
  }
  return {
    run,
    config: config.data,
    prior: priorMeasurements(findEvents(run.id, store.events(run.id))),
  };
}

/** The report message of a resumed run: what was reused and what ran again. */
export function resumeMessage(plan: ResumePlan): string {
  const { memoryTrials, throughputPoints } = plan.prior;
  return (
    `resumed run ${plan.run.id}: ${memoryTrials.length} memory trial(s) and ${throughputPoints.length} ` +
    'throughput point(s) reused from before the interruption; the noise probe ran again from the ' +
    'initial weights (it depends on the training state)'
  );
}
