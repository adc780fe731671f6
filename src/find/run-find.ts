// The find job: opens the engine on the workload, resolves the configuration, keeps the run in the
// store (claimed, so no other process writes into it), runs the probes, decides and reports. No
// terminal I/O: progress leaves as typed events, the result as a tagged outcome; the command line
// (src/cli/commands/find.ts) prints it and picks the exit code, a library caller uses it as is.

import { arch, cpus, freemem, platform, totalmem } from 'node:os';
import type { TrainingSession, WorkloadSpec } from '../engines/engine.js';
import { loadEngine } from '../engines/registry.js';
import { recommendFromEvidence } from '../planner/from-evidence.js';
import type { Recommendation } from '../planner/recommend.js';
import { type FindEvidence, runFindProbes } from '../probes/find-probes.js';
import { buildFindReport, findReportToJson, type MachineInfo } from '../report/find-report.js';
import type { FindReport } from '../report/find-report-schema.js';
import type { RunStore } from '../store/run-store.js';
import { VERSION } from '../version.js';
import type { FindEvent } from './find-events.js';
import type { FindSettings } from './find-settings.js';
import { type ResolvedFindConfig, resolveFindConfig } from './resolve-config.js';
import { type ResumePlan, resumeMessage } from './resume.js';
import { workloadSpecOf } from './workload-spec.js';

export interface FindJob {
  /** The settings to measure with; ignored when resuming (the stored run has its own). */
  readonly settings: FindSettings;
  /** Keep every measurement here as it happens; none: nothing is stored. */
  readonly store?: RunStore;
  /** Continue this stored run instead of starting one (find/resume.ts). */
  readonly resume?: ResumePlan;
  /** The command line, kept with the run and the report. */
  readonly command: readonly string[];
  /** Ctrl-C: the probes stop after the current step and the report keeps what finished. */
  readonly signal?: AbortSignal;
  /** Every event, as it is stored: the configuration, then each measurement. */
  readonly onEvent?: (event: FindEvent) => void;
  /** Called once the run is in the store, before anything is measured. */
  readonly onStored?: (runId: string) => void;
}

/** Why a finished run gives no recommendation. */
export type NoRecommendationReason = 'diverged' | 'engine-broken' | 'memory' | 'not-measured';

export type FindOutcome =
  | { readonly kind: 'complete'; readonly report: FindReport; readonly runId?: string }
  | { readonly kind: 'interrupted'; readonly report: FindReport; readonly runId?: string }
  | {
      readonly kind: 'no-recommendation';
      readonly reason: NoRecommendationReason;
      /** One line for the user: what happened and what to do. */
      readonly message: string;
      readonly report: FindReport;
      readonly runId?: string;
    };

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    platform: platform(),
    arch: arch(),
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    totalMemoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    node: process.version,
  };
}

/** Why there is no recommendation, in one line. */
function whyNone(
  evidence: FindEvidence,
  session: TrainingSession,
  settings: FindSettings,
): { reason: NoRecommendationReason; message: string } {
  const broken = session.broken?.();
  if (broken !== undefined) {
    // A user's command that cannot be trusted says what to fix itself; backend advice is TF.js's.
    return {
      reason: 'engine-broken',
      message:
        session.engine.name === 'command'
          ? broken
          : `${broken}; the run is marked failed and will not be resumed — lower --memory-budget, or try --backend cpu`,
    };
  }
  if (evidence.noise?.outcome === 'diverged') {
    return {
      reason: 'diverged',
      message: `training diverged at learning rate ${settings.learningRate}: ${evidence.noise.message ?? 'the loss became non-finite'}; no batch size is recommended from a run that does not train — lower --lr`,
    };
  }
  const memory = evidence.memory;
  if (memory && memory.kind !== 'found') {
    return { reason: 'memory', message: `memory: ${memory.message}` };
  }
  return {
    reason: 'not-measured',
    message: evidence.messages.join('; ') || 'nothing could be measured',
  };
}

function decide(
  evidence: FindEvidence,
  session: TrainingSession,
  config: ResolvedFindConfig,
): Recommendation | undefined {
  // A broken engine's measurements are not evidence.
  if (session.broken?.() !== undefined) return undefined;
  return recommendFromEvidence(evidence, session.workload, {
    learningRateBatchSize: config.settings.learningRateBatchSize,
    confidenceLevel: config.settings.confidenceLevel,
    ...(config.settings.targetLoss !== undefined ? { targetLoss: config.settings.targetLoss } : {}),
  });
}

/** Opens the workload on its engine. Bad input (a missing file, an unknown model) throws one line. */
async function openSession(settings: FindSettings): Promise<{
  session: TrainingSession;
  spec: WorkloadSpec;
}> {
  const spec = await workloadSpecOf(settings);
  const engine = await loadEngine(settings);
  const session = await engine.open(spec, {
    backend: settings.backend,
    ...(settings.memoryBudgetBytes !== undefined
      ? { memoryBudgetBytes: settings.memoryBudgetBytes }
      : {}),
  });
  return { session, spec };
}

export async function runFind(job: FindJob): Promise<FindOutcome> {
  const { store, resume } = job;
  // A resumed run measures with its stored settings and the budget that was in force.
  const settings: FindSettings = resume
    ? { ...resume.config.settings, memoryBudgetBytes: resume.config.memoryBudgetBytes }
    : job.settings;
  // Claimed before the engine opens, so that a second resume fails at once.
  if (store && resume) store.claimRun(resume.run.id);
  let runId = resume?.run.id;
  let session: TrainingSession | undefined;
  let ended = false;
  try {
    const opened = await openSession(settings);
    session = opened.session;
    const config = resolveFindConfig(settings, session);
    const command = resume ? [...resume.run.command] : [...job.command];
    if (store && runId === undefined) {
      runId = store.createRun({ command, options: config, spec: opened.spec });
    }
    const emit = (event: FindEvent) => {
      // Each event is committed before the probes move on: a kill loses none of them.
      if (store && runId !== undefined) store.appendEvent(runId, event.kind, event);
      job.onEvent?.(event);
    };
    if (store && runId !== undefined) {
      if (resume) store.setStatus(runId, 'running');
      job.onStored?.(runId);
    }
    emit({ kind: 'config', config });
    if (resume) {
      emit({
        kind: 'resume',
        memoryTrials: resume.prior.memoryTrials.length,
        throughputPoints: resume.prior.throughputPoints.length,
      });
    }
    const evidence = await runFindProbes(session, config, {
      ...(job.signal ? { signal: job.signal } : {}),
      onEvent: emit,
      ...(resume ? { prior: resume.prior } : {}),
    });
    const recommendation = decide(evidence, session, config);
    const none = recommendation ? undefined : whyNone(evidence, session, settings);
    const report = buildFindReport({
      // The reason replaces the probe's own line about the same failure.
      evidence:
        none?.reason === 'diverged'
          ? {
              ...evidence,
              messages: evidence.messages.filter((m) => !m.startsWith('noise: diverged')),
            }
          : evidence,
      recommendation,
      engine: session.engine,
      workload: session.workload,
      config,
      machine: machineInfo(),
      command,
      createdAt: new Date().toISOString(),
      version: VERSION,
      messages: [
        ...(resume ? [resumeMessage(resume)] : []),
        ...(none && !evidence.interrupted ? [none.message] : []),
      ],
    });
    if (store && runId !== undefined) {
      // Stored as the JSON document --json writes (non-finite numbers as null).
      store.setStatus(runId, report.status, JSON.parse(findReportToJson(report)));
      ended = true;
    }
    const stored = runId !== undefined ? { runId } : {};
    if (report.status === 'interrupted') return { kind: 'interrupted', report, ...stored };
    if (none === undefined) return { kind: 'complete', report, ...stored };
    return { kind: 'no-recommendation', ...none, report, ...stored };
  } catch (error) {
    if (store && runId !== undefined && !ended) store.setStatus(runId, 'failed');
    throw error;
  } finally {
    if (store && runId !== undefined) store.releaseRun(runId);
    await session?.dispose();
  }
}
