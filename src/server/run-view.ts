// What the dashboard shows of one run, as JSON for /api/runs/ID and the run page: the stored
// report when the run ended, else a partial report-like view built from the stored events, and
// the report's charts (the HTML report's own builders) drawn from whichever there is.

import { finalAdaptiveBatch, storedAdaptiveHistory } from '../adaptive/adaptive-run.js';
import { fitMemoryModel } from '../analysis/memory-model.js';
import type { NoiseScaleEstimate } from '../analysis/noise-scale.js';
import { type FindEvent, parseFindEvent } from '../find/find-events.js';
import { partialRun } from '../find/find-history.js';
import { runLabel } from '../find/run-label.js';
import { type FindReport, findReportSchema } from '../report/find-report-schema.js';
import { formatNumber } from '../report/format.js';
import type { ChartResult } from '../report/html/chart-spec.js';
import {
  REPORT_CHART_INFO,
  type ReportChartInfo,
  reportChart,
} from '../report/html/report-charts.js';
import { SWEEP_CHART_INFO, type SweepChartInfo, sweepCharts } from '../report/html/sweep-charts.js';
import { trajectorySummary } from '../report/noise-summary.js';
import { type RunKind, runKind } from '../store/run-kind.js';
import type { RunStatus, StoredEvent, StoredRun } from '../store/run-store.js';
import { TRIAL_EVENT_KIND } from '../sweep/sweep-config.js';
import { storedSweepReport, sweepSoFar } from '../sweep/sweep-run.js';
import { trialEventSchema } from '../sweep/trial-events.js';

export interface RunListEntry {
  readonly id: string;
  readonly created: string;
  readonly model: string;
  readonly data: string;
  readonly status: RunStatus;
  /** The job: find, or sweep (src/store/run-kind.ts). */
  readonly kind: RunKind;
  /** The recommended batch of the stored report (a sweep's: its fastest); null without one. */
  readonly batchSize: number | null;
}

export interface ViewChart {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  /** A Vega-Lite spec, or why there is nothing to draw yet. */
  readonly spec?: unknown;
  readonly reason?: string;
}

export interface RunView extends RunListEntry {
  readonly updated: string;
  /** Events stored so far, and the sequence of the last (0 when none). */
  readonly eventCount: number;
  readonly lastSequence: number;
  /** One line on the latest stored measurement. */
  readonly latest: string;
  /** The phase reached (from the events). */
  readonly phase: string;
  /** The stored report, once the run ended with one. */
  readonly report?: FindReport;
  readonly charts: readonly ViewChart[];
}

/** The stored report when it is a valid find report. */
export function reportOf(run: StoredRun): FindReport | undefined {
  if (run.report === undefined) return undefined;
  const parsed = findReportSchema.safeParse(run.report);
  return parsed.success ? parsed.data : undefined;
}

export function runListEntry(run: StoredRun): RunListEntry {
  const kind = runKind(run);
  const adaptive = kind === 'adaptive' ? storedAdaptiveHistory(run) : undefined;
  const batchSize =
    kind === 'sweep'
      ? storedSweepReport(run)?.analysis.best?.batchSize
      : adaptive
        ? finalAdaptiveBatch(adaptive)
        : (run.report as { recommendation?: { batchSize?: unknown } | null } | undefined)
            ?.recommendation?.batchSize;
  return {
    id: run.id,
    created: run.created,
    ...runLabel(run),
    status: run.status,
    kind,
    batchSize: typeof batchSize === 'number' ? batchSize : null,
  };
}

/** The events that parse (the dashboard shows what it can of a damaged run, never crashes). */
function parsedEvents(events: readonly StoredEvent[]): FindEvent[] {
  return events.flatMap((stored) => {
    const parsed = parseFindEvent(stored.payload);
    return parsed.ok ? [parsed.event] : [];
  });
}

/** One line on a stored event: what was just measured. */
export function describeEvent(event: StoredEvent): string {
  if (event.kind === TRIAL_EVENT_KIND) return describeTrialEvent(event);
  const parsed = parseFindEvent(event.payload);
  if (!parsed.ok) return `#${event.sequence} ${event.kind} (unreadable: ${parsed.why})`;
  const e = parsed.event;
  switch (e.kind) {
    case 'config':
      return `#${event.sequence} configuration: memory budget ${formatNumber(e.config.memoryBudgetBytes / 1024 ** 2)} MiB, batches up to ${e.config.maxBatchSize}`;
    case 'phase':
      return `#${event.sequence} phase: ${e.phase}`;
    case 'memory-trial':
      return `#${event.sequence} memory trial: batch ${e.trial.batchSize} ${e.trial.outcome}${
        e.trial.peakBytes !== undefined
          ? `, peak ${formatNumber(e.trial.peakBytes / 1024 ** 2)} MiB`
          : ''
      }`;
    case 'throughput-point':
      return `#${event.sequence} throughput: batch ${e.point.batchSize} ${
        e.point.outcome === 'ok'
          ? `${formatNumber(e.point.examplesPerSecond)} examples/s`
          : e.point.outcome
      }`;
    case 'noise-measurement':
      return `#${event.sequence} noise: B_simple ${
        e.estimate.kind === 'measured' ? formatNumber(e.estimate.value) : 'not measurable yet'
      }`;
    case 'resume':
      return `#${event.sequence} resumed`;
    default:
      return `#${event.sequence} ${event.kind}`;
  }
}

/** One line on a stored event of a sweep's trial. */
function describeTrialEvent(event: StoredEvent): string {
  const parsed = trialEventSchema.safeParse(event.payload);
  if (!parsed.success) return `#${event.sequence} ${event.kind} (unreadable)`;
  const e = parsed.data;
  switch (e.type) {
    case 'trial-start':
      return `#${event.sequence} trial ${e.id}: started, batch ${e.batchSize}, learning rate ${formatNumber(e.learningRate)}`;
    case 'eval':
      return `#${event.sequence} trial ${e.id}: step ${e.step}, ${e.examples.toLocaleString('en-US')} examples, training loss ${formatNumber(e.trainLoss)}${
        e.validationAccuracy !== undefined
          ? `, validation accuracy ${(100 * e.validationAccuracy).toFixed(1)}%`
          : e.validationLoss !== undefined
            ? `, validation loss ${formatNumber(e.validationLoss)}`
            : ''
      }`;
    case 'trial-end':
      return `#${event.sequence} trial ${e.id}: ${e.outcome}${
        e.outcome === 'reached' ? ` in ${formatNumber(e.stepsToTarget)} steps` : ''
      }${e.message ? ` (${e.message})` : ''}`;
  }
}

/** A report-like object holding what the chart builders read, from the events so far. */
function partialReport(events: readonly FindEvent[]): FindReport {
  const partial = partialRun(events);
  const okTrials = partial.memoryTrials.filter(
    (t) => t.outcome === 'ok' && t.peakBytes !== undefined,
  );
  const memoryFit =
    okTrials.length >= 2
      ? fitMemoryModel(
          okTrials.flatMap(({ batchSize, peakBytes }) =>
            peakBytes !== undefined ? [{ batchSize, peakBytes }] : [],
          ),
        )
      : null;
  // The noise trajectory of the latest noise run (a resumed run measures it again).
  let noise: { step?: number; loss?: number; estimate: NoiseScaleEstimate }[] = [];
  for (const e of events) {
    if (e.kind === 'phase' && e.phase === 'noise') noise = [];
    if (e.kind === 'noise-measurement') {
      noise.push({
        step: e.measurement.step,
        loss: e.measurement.loss,
        estimate: e.estimate,
      });
    }
  }
  const latestNoise = partial.latestNoise;
  const view = {
    // The budget in force, from the run's configuration event (the first event of every run
    // since it exists); a run stored before has none, and its chart tops out at its largest peak.
    settings: {
      memoryBudgetBytes:
        partial.config?.memoryBudgetBytes ??
        Math.max(1, ...partial.memoryTrials.map((t) => t.peakBytes ?? 0)),
    },
    memory: {
      trials: partial.memoryTrials,
      maxBatch: null,
      fit: memoryFit,
    },
    throughput: {
      points: partial.throughputPoints.map((p) => ({
        batchSize: p.batchSize,
        outcome: p.outcome,
        stepSeconds: p.stepSeconds,
        medianSeconds: p.summary.median,
        examplesPerSecond: p.examplesPerSecond,
        examplesPerSecondRange: p.examplesPerSecondRange,
      })),
      fit: { kind: 'insufficient', reason: 'fitted when the throughput probe ends' },
    },
    noise: {
      trajectory: trajectorySummary(noise),
      bSimple:
        latestNoise?.kind === 'measured'
          ? { kind: 'measured', value: latestNoise.value }
          : {
              kind: 'not-measurable',
              value: null,
              reason: latestNoise
                ? latestNoise.reason
                : 'no measurement stored yet (the noise phase follows the throughput probe)',
            },
    },
  };
  return view as unknown as FindReport;
}

function viewChart(info: ReportChartInfo | SweepChartInfo, result: ChartResult): ViewChart {
  return result.kind === 'chart'
    ? { ...info, spec: result.spec }
    : { ...info, reason: result.reason };
}

/**
 * The charts of a finished run, or of a partial view: the time-to-target chart rests on the
 * fitted step time and the final noise scale, so it waits for the end.
 */
function chartsOf(report: FindReport, partial: boolean): ViewChart[] {
  return REPORT_CHART_INFO.map((info) =>
    partial && info.id === 'time-to-target'
      ? {
          ...info,
          reason: 'Drawn when the run ends: it rests on the fitted step time and the noise scale.',
        }
      : viewChart(info, reportChart(report, info.id)),
  );
}

/** The view of a sweep run: its stored report's charts, else those of the trials so far. */
function sweepRunView(run: StoredRun, events: readonly StoredEvent[]): RunView {
  const last = events.at(-1);
  const stored = storedSweepReport(run);
  const soFar = stored ? undefined : sweepSoFar(run, events);
  const report = stored ?? soFar?.report;
  const charts = report
    ? sweepCharts(report).map((c) => viewChart(c, c.result))
    : SWEEP_CHART_INFO.map((info) => ({
        ...info,
        reason: "The sweep's stored configuration is not readable, so its trials cannot be shown.",
      }));
  return {
    ...runListEntry(run),
    updated: run.updated,
    eventCount: events.length,
    lastSequence: last?.sequence ?? 0,
    latest: last ? describeEvent(last) : 'no trial event yet',
    phase: stored
      ? 'done'
      : soFar
        ? `${soFar.finished} of ${soFar.total} trials finished`
        : 'starting',
    charts,
  };
}

export function runView(run: StoredRun, events: readonly StoredEvent[]): RunView {
  if (runKind(run) === 'sweep') return sweepRunView(run, events);
  const report = reportOf(run);
  const last = events.at(-1);
  const parsed = parsedEvents(events);
  const phase = partialRun(parsed).phase ?? 'starting';
  return {
    ...runListEntry(run),
    updated: run.updated,
    eventCount: events.length,
    lastSequence: last?.sequence ?? 0,
    latest: last ? describeEvent(last) : 'no measurement yet',
    phase: report ? 'done' : phase,
    ...(report ? { report } : {}),
    charts: report ? chartsOf(report, false) : chartsOf(partialReport(parsed), true),
  };
}

/** JSON of a view or list: non-finite numbers as null (JSON has none). */
export function toApiJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? null : v,
  );
}
