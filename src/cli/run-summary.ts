// Terminal views of the run store: the table of `batchwise runs`, and the summary `batchwise
// show` prints for a run that has no report yet (running, or killed), built from its events.

import type { PartialRun } from '../find/find-history.js';
import { runLabel } from '../find/run-label.js';
import { formatNumber, formatTable } from '../report/format.js';
import type { RunStatus, StoredRun } from '../store/run-store.js';

/** The recommended batch of a stored report, if it has one. */
function recommendedBatch(run: StoredRun): string {
  const report = run.report as { recommendation?: { batchSize?: unknown } | null } | undefined;
  const batchSize = report?.recommendation?.batchSize;
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
  const header = ['run', 'time', 'model', 'data', 'status', 'batch'];
  const rows = runs.map((run) => {
    const label = runLabel(run);
    return [
      run.id,
      when(run.created),
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
