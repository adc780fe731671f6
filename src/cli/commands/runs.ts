// `batchwise runs` lists the runs of the run store; `batchwise show RUN` prints one: the summary
// of its report, or what it had measured when it has none yet (running, or killed).

import type { Command } from 'commander';
import { renderAdaptiveSummary, storedAdaptiveHistory } from '../../adaptive/adaptive-run.js';
import { BatchwiseError } from '../../errors.js';
import { findEvents, partialRun } from '../../find/find-history.js';
import { reportWithRunLabel } from '../../find/run-label.js';
import { type FindReport, findReportSchema } from '../../report/find-report-schema.js';
import { runKind } from '../../store/run-kind.js';
import {
  DEFAULT_STORE_PATH,
  defaultStorePath,
  displayStatus,
  type RunLiveness,
  RunStore,
  type StoredRun,
} from '../../store/run-store.js';
import { storedSweepReport, sweepSoFar } from '../../sweep/sweep-run.js';
import { renderFindSummary } from '../find-summary.js';
import { examplesText } from '../help-text.js';
import { renderPartialRun, renderPartialSweep, renderRunsTable } from '../run-summary.js';
import { renderSweepSummary } from '../sweep-summary.js';

/** Opens an existing store read-only (reading commands never create or write one), runs `use`. */
export function withStore<T>(path: string | undefined, use: (store: RunStore) => T): T {
  const store = RunStore.open(path ?? defaultStorePath(), { readOnly: true });
  try {
    return use(store);
  } finally {
    store.close();
  }
}

/** The stored report of a run, validated; undefined while it has none. */
export function storedReport(run: StoredRun, storePath: string): FindReport | undefined {
  if (run.report === undefined) return undefined;
  const parsed = findReportSchema.safeParse(run.report);
  if (!parsed.success) {
    throw new BatchwiseError(
      'invalid-data',
      `the report of run ${run.id} in ${storePath} is not a valid find report (schema version 1)`,
    );
  }
  return parsed.data;
}

/** Whether a `running` run is being measured now, or was killed (its writer is gone). */
function writerLine(run: StoredRun, liveness: RunLiveness): string {
  const job = runKind(run);
  if (liveness.state === 'live') {
    const { pid, host, since } = liveness.writer;
    return `  Measured now by     process ${pid} on ${host} since ${since}\n`;
  }
  if (liveness.state === 'gone')
    return `  Killed              no process is measuring it (batchwise ${job} --resume ${run.id} continues it)\n`;
  return '';
}

/** `batchwise show` of a sweep run: its stored summary, or the trials finished so far. */
function showSweep(run: StoredRun, store: RunStore, json: boolean, out: NodeJS.WriteStream): void {
  if (run.report !== undefined) {
    const report = storedSweepReport(run);
    if (!report) {
      throw new BatchwiseError(
        'invalid-data',
        `the report of run ${run.id} in ${store.path} is not a valid sweep report (schema version 1)`,
      );
    }
    out.write(
      json ? `${JSON.stringify(report, null, 2)}\n` : renderSweepSummary(report, { quiet: false }),
    );
    return;
  }
  const soFar = sweepSoFar(run, store.events(run.id));
  if (json) {
    const { report: _none, ...fields } = run;
    out.write(`${JSON.stringify({ ...fields, trials: soFar?.ends ?? [] }, null, 2)}\n`);
    return;
  }
  out.write(renderPartialSweep(run, soFar));
  if (run.status === 'running') out.write(writerLine(run, store.runLiveness(run.id)));
}

export function registerRunsCommands(
  program: Command,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): void {
  program
    .command('runs')
    .description('list the runs of the run store')
    .option('--store <path>', `the run store (default: ${DEFAULT_STORE_PATH})`)
    .addHelpText('after', examplesText(['runs', 'runs --store experiments/runs.sqlite']))
    .action((flags: { store?: string }) => {
      withStore(flags.store, (store) => {
        io.stdout.write(
          renderRunsTable(store.listRuns(), store.path, (run) =>
            displayStatus(run, store.runLiveness(run.id)),
          ),
        );
      });
    });

  program
    .command('show')
    .description('print a stored run: its summary, or what it had measured if unfinished')
    .argument('<run>', 'a run id (or a unique prefix), as batchwise runs lists them')
    .option('--store <path>', `the run store (default: ${DEFAULT_STORE_PATH})`)
    .option('--json', 'print the report JSON (or, unfinished, the run and its measurements)')
    .addHelpText(
      'after',
      examplesText(['show 3f2a          # a run id or a unique prefix of one', 'show 3f2a --json']),
    )
    .action((runRef: string, flags: { store?: string; json?: boolean }) => {
      withStore(flags.store, (store) => {
        const run = store.getRun(runRef);
        if (runKind(run) === 'sweep') {
          showSweep(run, store, flags.json === true, io.stdout);
          return;
        }
        if (runKind(run) === 'adaptive') {
          const history = storedAdaptiveHistory(run);
          if (!history) {
            throw new BatchwiseError(
              'invalid-data',
              `run ${run.id} in ${store.path} is an adaptive run whose history this batchwise does not read`,
            );
          }
          io.stdout.write(
            flags.json ? `${JSON.stringify(history, null, 2)}\n` : renderAdaptiveSummary(history),
          );
          return;
        }
        const report = storedReport(run, store.path);
        if (report) {
          io.stdout.write(
            flags.json
              ? `${JSON.stringify(report, null, 2)}\n`
              : renderFindSummary(reportWithRunLabel(run, report)),
          );
          return;
        }
        const partial = partialRun(findEvents(run.id, store.events(run.id)));
        if (flags.json) {
          const { report: _none, ...fields } = run;
          io.stdout.write(`${JSON.stringify({ ...fields, measured: partial }, null, 2)}\n`);
        } else {
          io.stdout.write(renderPartialRun(run, partial));
          if (run.status === 'running') io.stdout.write(writerLine(run, store.runLiveness(run.id)));
        }
      });
    });
}
