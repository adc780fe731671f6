// Terminal views of the run store: the table of `batchwise runs`, and the summary `batchwise
// show` prints for a run that has no report yet (running, or killed), built from its events.

import { finalAdaptiveBatch, storedAdaptiveHistory } from '../adaptive/adaptive-run.js';
import type { PartialRun } from '../find/find-history.js';
import { runLabel } from '../find/run-label.js';
import { formatNumber, formatTable } from '../report/format.js';
import { runKind } from '../store/run-kind.js';
import type { RunStatus, StoredRun } from '../store/run-store.js';
import { batchTable } from '../sweep/sweep-markdown.js';
import type { SweepSoFar } from '../sweep/sweep-run.js';
import { terminalText } from '../terminal-text.js';
import { renderTrialLine } from './sweep-summary.js';

/** The recommended batch of a stored find report (a sweep's: its fastest batch), if any. */
function recommendedBatch(run: StoredRun): string {
  const report = run.report as
    | {
        recommendation?: { batchSize?: unknown } | null;
        analysis?: { best?: { batchSize?: unknown } };
      }
    | undefined;
  const kind = runKind(run);
  const adaptive = kind === 'adaptive' ? storedAdaptiveHistory(run) : undefined;
  const batchSize =
    kind === 'sweep'
      ? report?.analysis?.best?.batchSize
      : adaptive
        ? finalAdaptiveBatch(adaptive)
        : report?.recommendation?.batchSize;
  return typeof batchSize === 'number' ? String(batchSize) : '–';
}

/** Local time to the second, without the zone noise of toString. */
function when(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The table of `batchwise runs`; `statusOf` may tell a killed run from a running one. */
export function renderRunsTable(
  runs: readonly StoredRun[],
  storePath: string,
  statusOf: (run: StoredRun) => string = (run) => run.status,
): string {
  if (runs.length === 0) return `no runs in ${storePath}\n`;
  const header = ['run', 'time', 'job', 'model', 'data', 'status', 'batch'];
  const rows = runs.map((run) => {
    const label = runLabel(run);
    return [
      run.id,
      when(run.created),
      runKind(run),
      label.model,
      label.data,
      statusOf(run),
      recommendedBatch(run),
    ];
  });
  return `${formatTable(header, rows)}\n`;
}

const NEXT: Record<RunStatus, string> = {
  running: 'still running, or killed: batchwise find --resume RUN continues it',
  interrupted: 'interrupted: batchwise find --resume RUN continues it',
  failed: 'failed',
  complete: 'complete',
};

/** What an unfinished run had measured, for `batchwise show`. */
export function renderPartialRun(run: StoredRun, partial: PartialRun): string {
  const label = runLabel(run);
  const lines = [
    `batchwise find: ${label.model} on ${label.data} · run ${run.id} · ${run.status}`,
    `  ${NEXT[run.status].replace('RUN', run.id)}`,
    '',
  ];
  const ok = partial.memoryTrials.filter((t) => t.outcome === 'ok');
  const largest = ok.reduce((m, t) => Math.max(m, t.batchSize), 0);
  lines.push(
    `  Phase reached       ${partial.phase ?? 'none'}${partial.resumes > 0 ? ` (resumed ${partial.resumes} time(s))` : ''}`,
    `  Memory trials       ${partial.memoryTrials.length}${largest > 0 ? `; largest batch that fitted ${largest}` : ''}`,
    `  Throughput points   ${partial.throughputPoints.length}${
      partial.throughputPoints.length > 0
        ? ` (${partial.throughputPoints
            .map((p) =>
              p.outcome === 'ok'
                ? `batch ${p.batchSize}: ${formatNumber(p.examplesPerSecond)} examples/s`
                : `batch ${p.batchSize}: ${p.outcome}`,
            )
            .join(', ')})`
        : ''
    }`,
  );
  const noise = partial.latestNoise;
  lines.push(
    `  Noise measurements  ${partial.noiseMeasurements}${
      noise
        ? noise.kind === 'measured'
          ? `; B_simple ${formatNumber(noise.value)} so far`
          : '; B_simple not measurable yet'
        : ''
    }`,
  );
  return `${lines.join('\n')}\n`;
}

const SWEEP_NEXT: Record<RunStatus, string> = {
  running: 'still running, or killed: batchwise sweep --resume RUN continues it',
  interrupted: 'interrupted: batchwise sweep --resume RUN continues it',
  failed: 'failed',
  complete: 'complete',
};

/** What an unfinished sweep run had trained, for `batchwise show`: its finished trials. */
export function renderPartialSweep(run: StoredRun, soFar: SweepSoFar | undefined): string {
  const label = runLabel(run);
  const lines = [
    `batchwise sweep: ${label.model} on ${label.data} · run ${run.id} · ${run.status}`,
    `  ${SWEEP_NEXT[run.status].replace('RUN', run.id)}`,
    '',
  ];
  if (!soFar) {
    lines.push('  Its stored configuration is not readable: nothing to show.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(`  Trials finished     ${soFar.finished} of ${soFar.total}`);
  soFar.ends.forEach((end, i) => {
    lines.push(renderTrialLine(end, i + 1, soFar.total));
  });
  if (soFar.report.analysis.batches.length > 0) {
    lines.push(
      '',
      ...soFar.report.analysis.summary.map((s) => terminalText(`  ${s}`)),
      '',
      ...batchTable(soFar.report)
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  return `${lines.join('\n')}\n`;
}
