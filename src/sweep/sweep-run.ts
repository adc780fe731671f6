// A stored sweep run as a report, for `batchwise show` and the dashboard: the stored report once
// the run ended, else one built from its configuration (the run's options) and the trials
// finished so far (its stored events). Never throws on a damaged run: undefined instead.

import type { StoredEvent, StoredRun } from '../store/run-store.js';
import { VERSION } from '../version.js';
import { sweepConfigSchema, trialEventsOf } from './sweep-config.js';
import { buildSweepReport, type SweepReport, sweepReportSchema } from './sweep-report.js';
import type { TrialEnd } from './trial-events.js';

/** The stored report of a sweep run when it is a valid sweep report. */
export function storedSweepReport(run: Pick<StoredRun, 'report'>): SweepReport | undefined {
  if (run.report === undefined) return undefined;
  const parsed = sweepReportSchema.safeParse(run.report);
  return parsed.success ? parsed.data : undefined;
}

export interface SweepSoFar {
  /** A report of the trials finished so far (status `interrupted`: it is not the end). */
  readonly report: SweepReport;
  readonly finished: number;
  readonly total: number;
  readonly ends: readonly TrialEnd[];
}

/** What a sweep run without a report has trained: its finished trials, analysed. */
export function sweepSoFar(run: StoredRun, events: readonly StoredEvent[]): SweepSoFar | undefined {
  const config = sweepConfigSchema.safeParse(run.options);
  if (!config.success) return undefined;
  const trialEvents = trialEventsOf(events);
  const ends = trialEvents.filter(
    (e): e is TrialEnd => e.type === 'trial-end' && e.outcome !== 'aborted',
  );
  const total = config.data.trials.length;
  try {
    const report = buildSweepReport({
      config: config.data,
      events: trialEvents,
      command: run.command,
      status: 'interrupted',
      createdAt: run.created,
      version: VERSION,
    });
    const finished = new Set(ends.map((e) => e.id)).size;
    const progress =
      run.status === 'running'
        ? `running: ${finished} of ${total} trial(s) finished so far; the analysis is of those`
        : `${run.status}: ${finished} of ${total} trial(s) finished; batchwise sweep --resume ${run.id} trains the others`;
    return {
      report: {
        ...report,
        messages: [...config.data.notes, progress],
      },
      finished,
      total,
      ends,
    };
  } catch {
    return undefined;
  }
}
