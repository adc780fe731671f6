// Reading a `find` run back from its stored events: the measurements a resumed run reuses, and
// what an unfinished run had measured (for `batchwise show`). Pure: events in, values out.

import type { NoiseScaleEstimate } from '../analysis/noise-scale.js';
import type { FindEvent, PriorMeasurements } from '../probes/find-probes.js';
import type { MemoryTrial } from '../probes/memory-search.js';
import type { ThroughputPoint } from '../probes/throughput-probe.js';
import type { StoredEvent } from './run-store.js';

/** Stored when a run is resumed: what it reused. */
export interface ResumeEvent {
  readonly kind: 'resume';
  readonly memoryTrials: number;
  readonly throughputPoints: number;
}

/** The events `find` stores: the probes' events and the resume marks. */
export type StoredFindEvent = FindEvent | ResumeEvent;

function findEvents(events: readonly StoredEvent[]): StoredFindEvent[] {
  return events.map((e) => e.payload as StoredFindEvent);
}

/**
 * The memory trials and throughput points recorded so far, over every segment of the run (each
 * was measured once: a resumed run stores only what the engine measured anew). Aborted ones are
 * left out: they are measured again.
 */
export function priorMeasurements(events: readonly StoredEvent[]): PriorMeasurements {
  const memoryTrials: MemoryTrial[] = [];
  const throughputPoints: ThroughputPoint[] = [];
  for (const event of findEvents(events)) {
    if (event.kind === 'memory-trial' && event.trial.outcome !== 'aborted')
      memoryTrials.push(event.trial);
    if (event.kind === 'throughput-point' && event.point.outcome !== 'aborted')
      throughputPoints.push(event.point);
  }
  return { memoryTrials, throughputPoints };
}

export interface PartialRun {
  /** The phase the run was in last. */
  readonly phase?: 'memory' | 'throughput' | 'noise';
  readonly memoryTrials: readonly MemoryTrial[];
  readonly throughputPoints: readonly ThroughputPoint[];
  /** Noise measurements of the latest noise run (a resumed run starts it again). */
  readonly noiseMeasurements: number;
  readonly latestNoise?: NoiseScaleEstimate;
  readonly resumes: number;
}

/** What an unfinished run had measured, from its events. */
export function partialRun(events: readonly StoredEvent[]): PartialRun {
  const { memoryTrials, throughputPoints } = priorMeasurements(events);
  let phase: PartialRun['phase'];
  let noiseMeasurements = 0;
  let latestNoise: NoiseScaleEstimate | undefined;
  let resumes = 0;
  for (const event of findEvents(events)) {
    if (event.kind === 'phase') {
      phase = event.phase;
      if (event.phase === 'noise') {
        noiseMeasurements = 0;
        latestNoise = undefined;
      }
    } else if (event.kind === 'noise-measurement') {
      noiseMeasurements++;
      latestNoise = event.estimate;
    } else if (event.kind === 'resume') {
      resumes++;
    }
  }
  return {
    ...(phase ? { phase } : {}),
    memoryTrials,
    throughputPoints,
    noiseMeasurements,
    ...(latestNoise ? { latestNoise } : {}),
    resumes,
  };
}
