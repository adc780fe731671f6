// The sweep job: resolves what to train (find's report, the batches, the learning rates, the
// target), keeps the run in the store (claimed, every trial event committed as it arrives), runs
// the trials in worker processes, and builds the report from what finished. A resumed sweep
// reruns only the trials that did not end. No terminal I/O: events out, a tagged outcome back;
// src/cli/commands/sweep.ts prints.

import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { WorkloadSpec } from '../engines/engine.js';
import { loadEngine } from '../engines/registry.js';
import { BatchwiseError, errorMessage } from '../errors.js';
import { findSettingsSchema } from '../find/find-settings.js';
import { runFind } from '../find/run-find.js';
import { workloadSpecOf } from '../find/workload-spec.js';
import { runQueuedTrials } from '../queue/queue-coordinator.js';
import { checkRedis } from '../queue/redis-connection.js';
import { type FindReport, findReportSchema } from '../report/find-report-schema.js';
import { workloadSettingsOf } from '../settings/workload-settings.js';
import { runKind } from '../store/run-kind.js';
import type { RunStore, StoredRun } from '../store/run-store.js';
import { VERSION } from '../version.js';
import { basisOf, planTrials } from './plan-trials.js';
import {
  countedEvents,
  finishedTrials,
  type SweepConfig,
  sweepConfigSchema,
  TRIAL_EVENT_KIND,
  trialEventsOf,
} from './sweep-config.js';
import { buildSweepReport, type SweepReport } from './sweep-report.js';
import { type SweepSettings, targetOf } from './sweep-settings.js';
import type { TrialEvent } from './trial-events.js';
import { runTrials } from './worker-pool.js';

export interface SweepResumePlan {
  readonly run: StoredRun;
  readonly config: SweepConfig;
  /** Events of the trials so far (the finished ones are not run again). */
  readonly events: readonly TrialEvent[];
}

export interface SweepJob {
  /**
   * With `--batches auto` and no report, the sweep runs find first on the same workload (stored
   * like any find run): this is told when it starts and what it recommended.
   */
  readonly onFind?: (phase: 'start' | 'done', report?: FindReport) => void;
  readonly settings: SweepSettings;
  readonly command: readonly string[];
  readonly store?: RunStore;
  readonly resume?: SweepResumePlan;
  readonly signal?: AbortSignal;
  /** The resolved configuration, once, before any trial runs. */
  readonly onConfig?: (config: SweepConfig, pending: number) => void;
  /** Every trial event as it arrives (and is stored). */
  readonly onEvent?: (event: TrialEvent) => void;
  readonly onStored?: (runId: string) => void;
  /** Run the trials on workers through a queue instead of local processes. */
  readonly queue?: SweepQueue;
}

export interface SweepQueue {
  /** redis:// or rediss:// (src/queue/redis-connection.ts). */
  readonly url: string;
  /** Runs of one trial before it is recorded as failed. */
  readonly attempts: number;
  /** Retries, lost connections, a queue without workers. */
  readonly log?: (line: string) => void;
  /** The sweep's key in the queue, once known (for `batchwise worker` messages and docs). */
  readonly onKey?: (key: string) => void;
}

/**
 * The sweep's key in the queue: its run id (so --resume re-attaches to its jobs) and a digest of
 * its trials (two stores' run ids may meet); without a store, random.
 */
function queueKeyOf(runId: string | undefined, config: SweepConfig): string {
  if (runId === undefined) return `unstored-${randomUUID()}`;
  const digest = createHash('sha256').update(JSON.stringify(config.trials)).digest('hex');
  return `${runId}-${digest.slice(0, 8)}`;
}

export type SweepOutcome = {
  readonly kind: 'complete' | 'interrupted';
  readonly report: SweepReport;
  readonly runId?: string;
};

/** The stored sweep to resume (the given one, or the newest unfinished sweep). */
export function planSweepResume(store: RunStore, runRef: string | undefined): SweepResumePlan {
  const run =
    runRef !== undefined
      ? store.getRun(runRef)
      : store.latestResumable((r) => runKind(r) === 'sweep');
  if (!run) {
    throw new BatchwiseError(
      'invalid-argument',
      `no interrupted sweep to resume in ${store.path} (batchwise runs lists the runs)`,
    );
  }
  const kind = runKind(run);
  if (kind !== 'sweep') {
    throw new BatchwiseError(
      'invalid-argument',
      kind === 'find'
        ? `run ${run.id} is a find run: continue it with batchwise find --resume ${run.id}`
        : `run ${run.id} is a ${kind} run, not a sweep: nothing to resume`,
    );
  }
  if (run.status === 'complete' || run.status === 'failed') {
    throw new BatchwiseError(
      'invalid-argument',
      run.status === 'complete'
        ? `sweep ${run.id} is complete; nothing to resume (batchwise show ${run.id} prints it)`
        : `sweep ${run.id} failed before its trials could finish (batchwise show ${run.id} says why); start a new sweep`,
    );
  }
  const config = sweepConfigSchema.safeParse(run.options);
  if (!config.success) {
    throw new BatchwiseError(
      'invalid-data',
      `sweep ${run.id} in ${store.path} has no settings this batchwise reads (stored by another version?); it cannot be resumed`,
    );
  }
  return { run, config: config.data, events: trialEventsOf(store.events(run.id)) };
}

function readFindReport(path: string): FindReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BatchwiseError('invalid-option', `--from-report ${path}: ${errorMessage(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BatchwiseError(
      'invalid-data',
      `--from-report ${path} is not JSON: give the file that batchwise find --json wrote`,
    );
  }
  const parsed = findReportSchema.safeParse(json);
  if (!parsed.success) {
    throw new BatchwiseError(
      'invalid-data',
      `--from-report ${path} is not a batchwise find report (${parsed.error.issues[0]?.path.join('.') || 'its shape'} does not match): give the file that batchwise find --json wrote`,
    );
  }
  return parsed.data;
}

/** The workload each trial trains, with its held-out data (the built-in engines only). */
async function sweepWorkload(settings: SweepSettings): Promise<WorkloadSpec> {
  const spec = await workloadSpecOf(settings);
  if (settings.engine === 'command') return spec;
  return {
    ...spec,
    validation: {
      ...(settings.validationData !== undefined
        ? { data: settings.validationData }
        : { fraction: settings.validationSplit }),
      seed: settings.seed,
    },
  };
}

/** Opens the workload once to learn the training set's size (and to fail early on bad input). */
async function trainingSizeOf(settings: SweepSettings, workload: WorkloadSpec): Promise<number> {
  const engine = await loadEngine(settings);
  const session = await engine.open(workload, {
    backend: settings.backend,
    ...(settings.memoryBudgetBytes !== undefined
      ? { memoryBudgetBytes: settings.memoryBudgetBytes }
      : {}),
  });
  try {
    return session.workload.datasetSize;
  } finally {
    await session.dispose();
  }
}

/**
 * find on the sweep's workload, with find's defaults for everything else (and the sweep's loss
 * target): what `--batches auto` rests on when no report is given.
 */
async function findFirst(job: SweepJob): Promise<FindReport> {
  job.onFind?.('start');
  const settings = findSettingsSchema.parse({
    ...workloadSettingsOf(job.settings),
    ...(job.settings.targetLoss !== undefined ? { targetLoss: job.settings.targetLoss } : {}),
  });
  const outcome = await runFind({
    settings,
    command: ['find', '(run by sweep)'],
    ...(job.store ? { store: job.store } : {}),
    ...(job.signal ? { signal: job.signal } : {}),
  });
  if (outcome.kind !== 'complete') {
    throw new BatchwiseError(
      'invalid-option',
      `--batches auto rests on find's recommendation, and find gave none (${outcome.kind === 'no-recommendation' ? outcome.message : 'interrupted'}); give --batches 16,64,256`,
    );
  }
  job.onFind?.('done', outcome.report);
  return outcome.report;
}

/** Resolves what a new sweep trains. */
export async function resolveSweep(job: SweepJob): Promise<SweepConfig> {
  const { settings } = job;
  const report =
    settings.fromReport !== undefined
      ? readFindReport(settings.fromReport)
      : settings.batches === 'auto'
        ? await findFirst(job)
        : undefined;
  const basis = basisOf(settings, report);
  const target =
    targetOf(settings) ??
    (basis.targetLoss !== undefined
      ? { kind: 'loss' as const, value: basis.targetLoss }
      : undefined);
  if (!target) {
    throw new BatchwiseError(
      'invalid-option',
      'a sweep trains to a target: give --target-loss X, --target-metric accuracy>=X or --examples N',
    );
  }
  const workload = await sweepWorkload(settings);
  const trainingSize = await trainingSizeOf(settings, workload);
  const plan = planTrials({ settings, basis, target, workload, trainingSize });
  return {
    kind: 'sweep',
    settings,
    basis,
    ...(settings.fromReport !== undefined ? { fromReport: settings.fromReport } : {}),
    batches: [...plan.batches],
    rule: plan.rule,
    baseRule: plan.baseRule,
    target,
    trials: [...plan.trials],
    trainingSize,
    notes: [...plan.notes],
  };
}

export async function runSweep(job: SweepJob): Promise<SweepOutcome> {
  const { store, resume } = job;
  if (store && resume) store.claimRun(resume.run.id);
  let runId = resume?.run.id;
  let ended = false;
  try {
    // An unreachable queue fails now, not after find and the plan.
    if (job.queue) await checkRedis(job.queue.url);
    const config = resume ? resume.config : await resolveSweep(job);
    const command = resume ? [...resume.run.command] : [...job.command];
    // A resumed trial starts over; the report counts one attempt of each (countedEvents).
    const events: TrialEvent[] = [...(resume?.events ?? [])];
    const done = finishedTrials(countedEvents(events));
    const pending = config.trials.filter((t) => !done.has(t.id));
    if (store && runId === undefined) {
      runId = store.createRun({ command, options: config, spec: config.trials[0]?.workload ?? {} });
    } else if (store && runId !== undefined) {
      store.setStatus(runId, 'running');
    }
    if (store && runId !== undefined) job.onStored?.(runId);
    job.onConfig?.(config, pending.length);
    const onEvent = (event: TrialEvent) => {
      if (store && runId !== undefined) store.appendEvent(runId, TRIAL_EVENT_KIND, event);
      events.push(event);
      job.onEvent?.(event);
    };
    if (job.queue) {
      const key = queueKeyOf(runId, config);
      job.queue.onKey?.(key);
      await runQueuedTrials(pending, {
        url: job.queue.url,
        sweep: key,
        attempts: job.queue.attempts,
        signal: job.signal,
        onEvent,
        known: events,
        ...(job.queue.log ? { log: job.queue.log } : {}),
      });
    } else {
      await runTrials(pending, { workers: config.settings.workers, signal: job.signal, onEvent });
    }
    const finished = finishedTrials(countedEvents(events));
    const interrupted =
      job.signal?.aborted === true || config.trials.some((t) => !finished.has(t.id));
    const report = buildSweepReport({
      config,
      events,
      command,
      status: interrupted ? 'interrupted' : 'complete',
      createdAt: new Date().toISOString(),
      version: VERSION,
      ...(resume ? { resumedFrom: resume.run.id, reused: done.size } : {}),
    });
    if (store && runId !== undefined) {
      store.setStatus(runId, report.status, JSON.parse(JSON.stringify(report)));
      ended = true;
    }
    return { kind: report.status, report, ...(runId !== undefined ? { runId } : {}) };
  } catch (error) {
    if (store && runId !== undefined && !ended) store.setStatus(runId, 'failed');
    throw error;
  } finally {
    if (store && runId !== undefined) store.releaseRun(runId);
  }
}
