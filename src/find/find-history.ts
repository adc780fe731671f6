// Reading a `find` run back from its stored events: the measurements a resumed run reuses, and
// what an unfinished run had measured (for `batchwise show` and the dashboard). Pure: events in,
// values out; every event is validated by the one event schema (find-events.ts).

import type { NoiseScaleEstimate } from '../analysis/noise-scale.js';
import { BatchwiseError } from '../errors.js';
import type { PriorMeasurements } from '../probes/find-probes.js';
import type { MemoryTrial } from '../probes/memory-search.js';
import type { ThroughputPoint } from '../probes/throughput-probe.js';
import type { StoredEvent } from '../store/run-store.js';
import { type FindEvent, type FindPhase, parseFindEvent } from './find-events.js';
import type { ResolvedFindConfig } from './resolve-config.js';

/** The run's events, parsed; a stored event that does not parse is one clear error. */
export function findEvents(runId: string, events: readonly StoredEvent[]): FindEvent[] {
  return events.map((stored) => {
    const parsed = parseFindEvent(stored.payload);
    if (!parsed.ok) {
      throw new BatchwiseError(
        'invalid-data',
        `event ${stored.sequence} of run ${runId} is not a find event this batchwise reads (${parsed.why})`,
      );
    }
    return parsed.event;
  });
}

/**
 * The memory trials and throughput points recorded so far, over every segment of the run (each
 * was measured once: a resumed run stores only what the engine measured anew). Aborted ones are
 * left out: they are measured again.
 */
export function priorMeasurements(events: readonly FindEvent[]): PriorMeasurements {
  const memoryTrials: MemoryTrial[] = [];
  const throughputPoints: ThroughputPoint[] = [];
  for (const event of events) {
    if (event.kind === 'memory-trial' && event.trial.outcome !== 'aborted')
      memoryTrials.push(event.trial);
    if (event.kind === 'throughput-point' && event.point.outcome !== 'aborted')
      throughputPoints.push(event.point);
  }
  return { memoryTrials, throughputPoints };
}

export interface PartialRun {
  /** The configuration of the latest segment (the budget in force, the batch cap). */
  readonly config?: ResolvedFindConfig;
  /** The phase the run was in last. */
  readonly phase?: FindPhase;
  readonly memoryTrials: readonly MemoryTrial[];
  readonly throughputPoints: readonly ThroughputPoint[];
  /** Noise measurements of the latest noise run (a resumed run starts it again). */
  readonly noiseMeasurements: number;
  readonly latestNoise?: NoiseScaleEstimate;
  readonly resumes: number;
}

/** What an unfinished run had measured, from its events. */
export function partialRun(events: readonly FindEvent[]): PartialRun {
  const { memoryTrials, throughputPoints } = priorMeasurements(events);
  let config: ResolvedFindConfig | undefined;
  let phase: FindPhase | undefined;
  let noiseMeasurements = 0;
  let latestNoise: NoiseScaleEstimate | undefined;
  let resumes = 0;
  for (const event of events) {
    if (event.kind === 'config') {
      config = event.config;
    } else if (event.kind === 'phase') {
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
    ...(config ? { config } : {}),
    ...(phase ? { phase } : {}),
    memoryTrials,
    throughputPoints,
    noiseMeasurements,
    ...(latestNoise ? { latestNoise } : {}),
    resumes,
  };
}
