// Progress of a `find` run: phase k of 3 (memory, throughput, noise), each finished item a
// permanent log line, and in a terminal a status line below them redrawn every second with what
// is running now, the elapsed time of the phase and of the run, and an ETA where one can be
// estimated honestly:
//   - memory: no ETA (how many trials the search takes depends on what fits);
//   - throughput: the mean time of the batch sizes timed so far × the batch sizes left of the
//     planned --throughput-batches;
//   - noise: the mean time per measurement × the measurements left of --noise-measurements,
//     never past the --noise-seconds budget; before the first measurement, or past the planned
//     count (a noise scale not measurable yet), only the budget's rest, shown as "ETA ≤ …".
// Plain lines in logs and pipes (status-line.ts). The state and its text are pure functions
// (applyFindEvent, renderFindStatus) so that tests read the text.

import { FIND_PHASES, type FindEvent, type FindPhase } from '../find/find-events.js';
import type { ResolvedFindConfig } from '../find/resolve-config.js';
import { formatBytes, formatNumber, formatSeconds } from '../report/format.js';
import {
  type Eta,
  formatDuration,
  formatEta,
  isLiveStream,
  joinParts,
  type StatusStream,
  StatusWriter,
} from './status-line.js';

export interface ProgressSink {
  (event: FindEvent): void;
  done(): void;
}

const PHASE_TEXT: Record<FindPhase, string> = {
  memory: 'searching the largest batch that fits',
  throughput: 'timing steps over batch sizes',
  noise: 'measuring the gradient noise scale along training',
};

/** What the progress display knows of a run: updated by applyFindEvent. */
export interface FindProgressState {
  readonly startedMs: number;
  config?: ResolvedFindConfig;
  phase?: FindPhase;
  phaseStartedMs: number;
  memoryTrials: number;
  lastMemory?: string;
  /** Throughput points reused from the stored run (--resume): done, not timed now. */
  reusedThroughputPoints: number;
  throughputPoints: number;
  lastThroughput?: string;
  noiseMeasurements: number;
  lastNoiseStep?: number;
  lastEstimate?: string;
}

export function initialFindProgress(nowMs: number): FindProgressState {
  return {
    startedMs: nowMs,
    phaseStartedMs: nowMs,
    memoryTrials: 0,
    reusedThroughputPoints: 0,
    throughputPoints: 0,
    noiseMeasurements: 0,
  };
}

function phaseNumber(phase: FindPhase): string {
  return `phase ${FIND_PHASES.indexOf(phase) + 1} of ${FIND_PHASES.length}`;
}

function memoryLine(event: Extract<FindEvent, { kind: 'memory-trial' }>): string {
  const t = event.trial;
  return `memory: batch ${t.batchSize} ${t.outcome}${t.peakBytes ? ` (${formatBytes(t.peakBytes)})` : ''} [${t.reason}]`;
}

function throughputLine(event: Extract<FindEvent, { kind: 'throughput-point' }>): string {
  const p = event.point;
  return `throughput: batch ${p.batchSize}: ${p.outcome === 'ok' ? `${formatNumber(p.examplesPerSecond)} examples/s, median step ${formatSeconds(p.summary.median)}` : p.outcome}`;
}

function estimateText(event: Extract<FindEvent, { kind: 'noise-measurement' }>): string {
  const e = event.estimate;
  return e.kind === 'measured'
    ? `B_simple ${formatNumber(e.value)} (${formatNumber(e.ci[0])}–${formatNumber(e.ci[1])})`
    : 'B_simple not measurable yet';
}

/** What the phase did, for the line that closes it. */
function phaseSummary(state: FindProgressState, nowMs: number): string | undefined {
  if (!state.phase) return undefined;
  const took = formatDuration((nowMs - state.phaseStartedMs) / 1000);
  const count =
    state.phase === 'memory'
      ? `${state.memoryTrials} trial(s)`
      : state.phase === 'throughput'
        ? `${state.throughputPoints} batch size(s) timed${state.reusedThroughputPoints > 0 ? `, ${state.reusedThroughputPoints} reused` : ''}`
        : `${state.noiseMeasurements} measurement(s)`;
  return `${state.phase}: ${count} in ${took} (run ${formatDuration((nowMs - state.startedMs) / 1000)})`;
}

/**
 * Applies one event to the state; returns the permanent lines it adds to the log (a noise
 * measurement is logged every fifth, and the first: 30 to 120 of them would flood a log; the
 * status line shows the latest).
 */
export function applyFindEvent(
  state: FindProgressState,
  event: FindEvent,
  nowMs: number,
): string[] {
  switch (event.kind) {
    case 'config':
      state.config = event.config;
      return event.config.notes.length > 0 ? [`note: ${event.config.notes.join('; ')}`] : [];
    case 'resume':
      state.reusedThroughputPoints = event.throughputPoints;
      return [
        `resuming: reusing ${event.memoryTrials} memory trial(s) and ${event.throughputPoints} throughput point(s)`,
      ];
    case 'phase': {
      const closed = phaseSummary(state, nowMs);
      state.phase = event.phase;
      state.phaseStartedMs = nowMs;
      return [
        ...(closed ? [closed] : []),
        `${phaseNumber(event.phase)}: ${event.phase}: ${PHASE_TEXT[event.phase]}`,
      ];
    }
    case 'memory-trial': {
      state.memoryTrials++;
      const line = memoryLine(event);
      state.lastMemory = `batch ${event.trial.batchSize} ${event.trial.outcome}`;
      return [line];
    }
    case 'throughput-point': {
      state.throughputPoints++;
      const p = event.point;
      state.lastThroughput =
        p.outcome === 'ok'
          ? `batch ${p.batchSize}: ${formatNumber(p.examplesPerSecond)} examples/s`
          : `batch ${p.batchSize}: ${p.outcome}`;
      return [throughputLine(event)];
    }
    case 'noise-measurement': {
      const index = state.noiseMeasurements++;
      state.lastNoiseStep = event.measurement.step;
      state.lastEstimate = estimateText(event);
      if (index % 5 !== 0) return [];
      return [
        `noise: step ${event.measurement.step}, loss ${formatNumber(event.measurement.loss)}: ${state.lastEstimate}`,
      ];
    }
  }
}

/** The closing line of the last phase (at the end of the run). */
export function finishFindProgress(state: FindProgressState, nowMs: number): string[] {
  const closed = phaseSummary(state, nowMs);
  return closed ? [closed] : [];
}

/** The batch sizes the throughput probe plans to time (fewer when the ceiling is small). */
function plannedThroughput(state: FindProgressState): number | undefined {
  return state.config?.settings.throughputBatchCount;
}

/** The time left of the current phase, when it can be estimated; undefined otherwise. */
export function findEta(state: FindProgressState, nowMs: number): Eta | undefined {
  const phaseSeconds = (nowMs - state.phaseStartedMs) / 1000;
  const settings = state.config?.settings;
  if (state.phase === 'throughput') {
    const planned = plannedThroughput(state);
    const done = state.throughputPoints + state.reusedThroughputPoints;
    if (planned === undefined || state.throughputPoints === 0 || done >= planned) return undefined;
    const mean = phaseSeconds / state.throughputPoints;
    return { seconds: Math.max(0, mean * (planned - done)) };
  }
  if (state.phase === 'noise' && settings) {
    const budgetLeft = Math.max(0, settings.noiseMaxSeconds - phaseSeconds);
    const planned = settings.noiseMeasurements;
    const done = state.noiseMeasurements;
    if (done > 0 && done < planned) {
      const estimate = (phaseSeconds / done) * (planned - done);
      if (estimate <= budgetLeft) return { seconds: estimate };
    }
    return { seconds: budgetLeft, atMost: true };
  }
  return undefined;
}

/** What is running now, in words. */
function runningNow(state: FindProgressState): string | undefined {
  switch (state.phase) {
    case undefined:
      return 'starting the probes';
    case 'memory':
      return state.memoryTrials === 0
        ? 'running the first memory trial'
        : `searching, ${state.memoryTrials} trial(s) done (last: ${state.lastMemory})`;
    case 'throughput': {
      const planned = plannedThroughput(state);
      const next = state.throughputPoints + state.reusedThroughputPoints + 1;
      const last = state.lastThroughput ? ` (last: ${state.lastThroughput})` : '';
      if (planned !== undefined && next > planned)
        return `fitting the step time, ${next - 1} batch size(s) timed${last}`;
      return `timing batch size ${next}${planned !== undefined ? ` of ${planned}` : ''}${last}`;
    }
    case 'noise': {
      const planned = state.config?.settings.noiseMeasurements;
      const next = state.noiseMeasurements + 1;
      const of =
        planned !== undefined && next <= planned
          ? ` of ${planned}`
          : ' (extra: not measurable yet, while time is left)';
      const step = state.lastNoiseStep !== undefined ? `, last at step ${state.lastNoiseStep}` : '';
      return `training to noise measurement ${next}${of}${step}`;
    }
  }
}

/** The status line: phase k of 3, what runs now, elapsed (phase and run), ETA when estimable. */
export function renderFindStatus(state: FindProgressState, nowMs: number): string {
  const phaseSeconds = (nowMs - state.phaseStartedMs) / 1000;
  const runSeconds = (nowMs - state.startedMs) / 1000;
  // The times first: a narrow terminal cuts the details at the end, not the clock.
  return joinParts([
    state.phase ? `${phaseNumber(state.phase)} ${state.phase}` : 'starting',
    state.phase
      ? `${formatDuration(phaseSeconds)} (run ${formatDuration(runSeconds)})`
      : formatDuration(runSeconds),
    formatEta(findEta(state, nowMs)),
    runningNow(state),
    state.phase === 'noise' ? state.lastEstimate : undefined,
  ]);
}

export interface ProgressOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
  /** Redraw interval of the status line; 0: no timer (tests redraw by hand). */
  readonly intervalMs?: number;
}

/** The progress sink of `find`: nothing when disabled, plain lines or a live status line. */
export function createProgress(
  stream: StatusStream,
  enabled: boolean,
  options: ProgressOptions = {},
): ProgressSink {
  const now = options.now ?? Date.now;
  const state = initialFindProgress(now());
  const live = isLiveStream(stream, enabled, options.env);
  const writer = new StatusWriter(stream, () => renderFindStatus(state, now()), {
    live,
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
  });
  const sink = ((event: FindEvent) => {
    if (!enabled) return;
    const lines = applyFindEvent(state, event, now());
    for (const line of lines) writer.log(line);
    if (lines.length === 0) writer.redraw();
  }) as ProgressSink;
  sink.done = () => {
    if (!enabled) return;
    for (const line of finishFindProgress(state, now())) writer.log(line);
    writer.done();
  };
  return sink;
}
