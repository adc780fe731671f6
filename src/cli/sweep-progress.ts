// Progress of a `sweep`: a permanent line per finished trial and, in a terminal, a status line
// below them (status-line.ts): trials done of the total, the trials running now, the elapsed time
// and an ETA = the mean wall time of the finished trials × the trials left / the workers (shown
// once a trial has finished). Plain lines only in logs and pipes.

import type { TrialEvent } from '../sweep/trial-events.js';
import {
  type Eta,
  formatDuration,
  formatEta,
  isLiveStream,
  joinParts,
  type StatusStream,
  StatusWriter,
} from './status-line.js';
import { renderTrialLine } from './sweep-summary.js';

interface RunningTrial {
  readonly startedMs: number;
  step?: number;
}

export interface SweepProgressState {
  readonly startedMs: number;
  total: number;
  workers: number;
  finished: number;
  /** Wall seconds of each trial finished in this run (start event to end event). */
  readonly trialSeconds: number[];
  readonly running: Map<string, RunningTrial>;
}

export function initialSweepProgress(nowMs: number): SweepProgressState {
  return {
    startedMs: nowMs,
    total: 0,
    workers: 1,
    finished: 0,
    trialSeconds: [],
    running: new Map(),
  };
}

/** Applies a trial event; returns the permanent lines it adds (a line per finished trial). */
export function applyTrialEvent(
  state: SweepProgressState,
  event: TrialEvent,
  nowMs: number,
): string[] {
  if (event.type === 'trial-start') {
    state.running.set(event.id, { startedMs: nowMs });
    return [];
  }
  if (event.type === 'eval') {
    const trial = state.running.get(event.id);
    if (trial) trial.step = event.step;
    return [];
  }
  const trial = state.running.get(event.id);
  if (trial) {
    state.trialSeconds.push((nowMs - trial.startedMs) / 1000);
    state.running.delete(event.id);
  }
  state.finished++;
  return [renderTrialLine(event, state.finished, state.total)];
}

/** mean trial time × trials left / workers, once a trial has finished. */
export function sweepEta(state: SweepProgressState): Eta | undefined {
  const left = state.total - state.finished;
  if (state.trialSeconds.length === 0 || left <= 0) return undefined;
  const mean = state.trialSeconds.reduce((a, b) => a + b, 0) / state.trialSeconds.length;
  return { seconds: (mean * left) / Math.max(1, state.workers) };
}

export function renderSweepStatus(state: SweepProgressState, nowMs: number): string | undefined {
  if (state.total === 0) return undefined;
  const running = [...state.running.entries()].map(
    ([id, t]) => `${id}${t.step !== undefined ? ` step ${t.step}` : ''}`,
  );
  return joinParts([
    `trials ${state.finished} of ${state.total}`,
    formatDuration((nowMs - state.startedMs) / 1000),
    formatEta(sweepEta(state)),
    running.length > 0 ? `running ${running.join(', ')}` : 'starting trials',
  ]);
}

export interface SweepProgress {
  log(line: string): void;
  config(total: number, workers: number): void;
  event(event: TrialEvent): void;
  done(): void;
}

/** The progress of `sweep`: nothing when disabled (--quiet), plain lines or a status line. */
export function createSweepProgress(
  stream: StatusStream,
  enabled: boolean,
  options: { env?: NodeJS.ProcessEnv; now?: () => number; intervalMs?: number } = {},
): SweepProgress {
  const now = options.now ?? Date.now;
  const state = initialSweepProgress(now());
  const writer = new StatusWriter(stream, () => renderSweepStatus(state, now()), {
    live: isLiveStream(stream, enabled, options.env),
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
  });
  return {
    log: (line) => {
      if (enabled) writer.log(line);
    },
    config: (total, workers) => {
      state.total = total;
      state.workers = workers;
    },
    event: (event) => {
      if (!enabled) return;
      const lines = applyTrialEvent(state, event, now());
      for (const line of lines) writer.log(line);
      if (lines.length === 0) writer.redraw();
    },
    done: () => writer.done(),
  };
}
