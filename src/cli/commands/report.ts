// `batchwise report REPORT.json|RUN --html FILE [--plots DIR] [--markdown FILE]`: renders a
// saved `find` report again (validated against its schema), from a file or a run of the run
// store, as HTML with charts, chart files or Markdown; output paths are checked before reading.

import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { BatchwiseError, defined } from '../../errors.js';
import { type FindReport, findReportSchema } from '../../report/find-report-schema.js';
import { findReportToHtml } from '../../report/html/html-report.js';
import { writeReportPlots } from '../../report/html/write-plots.js';
import { findReportToMarkdown } from '../../report/markdown-report.js';
import { examplesText } from '../help-text.js';
import { checkOutputPaths, type OutputPath, writeOutput } from '../output-paths.js';
import { storedReport, withStore } from './runs.js';

interface ReportFlags {
  html?: string;
  plots?: string;
  markdown?: string;
  store?: string;
}

/** A report file, or else the report of a stored run with that id. */
function readReportOrRun(source: string, storePath: string | undefined): FindReport {
  if (existsSync(source) || /[\\/]|\.json$/i.test(source)) return readFindReport(source);
  return withStore(storePath, (store) => {
    const run = store.getRun(source);
    const report = storedReport(run, store.path);
    if (!report) {
      throw new BatchwiseError(
        'invalid-argument',
        `run ${run.id} has no report yet (${run.status}); batchwise find --resume ${run.id} completes it`,
      );
    }
    return report;
  });
}

/** Reads and validates a find report; every problem is one BatchwiseError line. */
export function readFindReport(path: string): FindReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BatchwiseError('invalid-data', `cannot read ${path}${code ? ` (${code})` : ''}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new BatchwiseError(
      'invalid-data',
      `${path} is not JSON (expected a batchwise find report)`,
    );
  }
  const parsed = findReportSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new BatchwiseError(
      'invalid-data',
      `${path} is not a batchwise find report (schema version 1)${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

export function registerReportCommand(
  program: Command,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): void {
  program
    .command('report')
    .description(
      'render a saved find report (--json output) as HTML with charts, chart files or Markdown',
    )
    .argument('<report.json|run>', 'a report written by batchwise find --json, or a stored run id')
    .option(
      '--store <path>',
      'the run store a run id is read from (default: .batchwise/runs.sqlite)',
    )
    .option('--html <file>', 'write one self-contained HTML file with charts (opens offline)')
    .option('--plots <dir>', 'write each chart as SVG and PNG into this folder')
    .option('--markdown <file>', 'write the report as Markdown')
    .addHelpText(
      'after',
      examplesText([
        'report report.json --html report.html',
        'report 3f2a --plots charts --markdown report.md   # a stored run (batchwise runs)',
      ]),
    )
    .action(async (path: string, flags: ReportFlags) => {
      if (!flags.html && !flags.plots && !flags.markdown) {
        throw new BatchwiseError(
          'invalid-option',
          'report needs --html FILE, --plots DIR or --markdown FILE',
        );
      }
      const outputs: OutputPath[] = [];
      if (flags.html) outputs.push({ flag: '--html', path: flags.html });
      if (flags.markdown) outputs.push({ flag: '--markdown', path: flags.markdown });
      if (flags.plots) outputs.push({ flag: '--plots', path: flags.plots, folder: true });
      const inputs = existsSync(path) ? [{ flag: 'the report', path }] : [];
      checkOutputPaths(outputs, inputs);
      const report = readReportOrRun(path, flags.store);
      if (flags.html)
        writeOutput(defined(outputs[0], 'outputs[0]'), findReportToHtml(report), io.stdout);
      if (flags.markdown)
        writeOutput(
          { flag: '--markdown', path: flags.markdown },
          findReportToMarkdown(report),
          io.stdout,
        );
      if (flags.plots) {
        const { notes } = await writeReportPlots(report, flags.plots);
        for (const note of notes) io.stderr.write(`batchwise: ${note}\n`);
      }
      const written = [flags.html, flags.plots, flags.markdown].filter((f) => f !== undefined);
      io.stdout.write(`wrote ${written.join(', ')}\n`);
    });
}
