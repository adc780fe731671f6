// `batchwise find`: the command line of the find job (src/find/run-find.ts). Its flags come from
// the settings schema; this file adds the output and store flags, checks the output paths before
// anything is measured, turns Ctrl-C into the job's signal, prints progress and the summary, and
// picks the exit code. The only place of the find job that prints or exits.

import type { Command } from 'commander';
import { BatchwiseError } from '../../errors.js';
import { type FindSettings, findSettingsSchema } from '../../find/find-settings.js';
import { planResume, type ResumePlan } from '../../find/resume.js';
import { type FindOutcome, runFind } from '../../find/run-find.js';
import { findReportToJson } from '../../report/find-report.js';
import { findReportToHtml } from '../../report/html/html-report.js';
import { writeReportPlots } from '../../report/html/write-plots.js';
import { findReportToMarkdown } from '../../report/markdown-report.js';
import { writeFindTensorBoard } from '../../report/tensorboard-writer.js';
import { DEFAULT_STORE_PATH, RunStore } from '../../store/run-store.js';
import { terminalLine } from '../../terminal-text.js';
import { createProgress } from '../find-progress.js';
import { renderFindSummary } from '../find-summary.js';
import { examplesText, HELP_GROUPS } from '../help-text.js';
import { withInterrupt } from '../interrupt.js';
import { type JobFlags, parseJobFlags } from '../job-flags.js';
import { checkOutputPaths, type InputPath, type OutputPath, writeOutput } from '../output-paths.js';
import { noConfigOption, settingFlags } from '../setting-flags.js';

interface OutputFlags extends JobFlags {
  json?: string;
  markdown?: string;
  html?: string;
  plots?: string;
  tensorboard?: string;
}

const FIND_FLAGS = settingFlags(findSettingsSchema);

const EXAMPLES = examplesText([
  'find              # the built-in default: a small MLP on synthetic data',
  'find -m cnn -d fashion-mnist --optimizer adam --lr 1e-3 --json report.json',
  'find -m model.json -d train.csv --label y --memory-budget 4GiB --html report.html',
  "find --engine command --cmd 'python3 train.py --batch-size {batch} --steps {steps} --telemetry {telemetry}'",
  'find --resume     # continue the newest interrupted run',
]);

type Io = { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };

/** Exit codes: 0 a recommendation, 1 none (see the message), 3 diverged, 130 interrupted. */
const EXIT_CODES: Record<FindOutcome['kind'] | 'diverged', number> = {
  complete: 0,
  'no-recommendation': 1,
  diverged: 3,
  interrupted: 130,
};

export function registerFindCommand(program: Command, io: Io): void {
  const command = program
    .command('find', { isDefault: true })
    .description(
      'measure memory, throughput and gradient noise, then recommend a batch size (the default command)',
    );
  FIND_FLAGS.add(command)
    .optionsGroup(HELP_GROUPS.output)
    .option('--json <file>', 'write the full report as JSON (- for standard output)')
    .option('--markdown <file>', 'write the report as Markdown')
    .option('--html <file>', 'write one self-contained HTML report with charts (opens offline)')
    .option('--plots <dir>', 'write each chart as SVG and PNG into this folder')
    .option(
      '--tensorboard <dir>',
      'write the measurements as a TensorBoard event file into this folder',
    )
    .option('-q, --quiet', 'no progress; print only the recommendation')
    .optionsGroup(HELP_GROUPS.store)
    .option('--store <path>', `the run store (default: ${DEFAULT_STORE_PATH})`)
    .option('--no-store', 'do not store the run')
    .option(
      '--resume [run]',
      'continue an interrupted run from the store without repeating its measurements (default: the newest unfinished run)',
    )
    .optionsGroup('Options:')
    .addOption(noConfigOption())
    .addHelpText('after', EXAMPLES)
    .action(async (flags: OutputFlags, self: Command) => {
      process.exitCode = await findCommand(flags, self, io);
    });
}

function outputsOf(flags: OutputFlags): OutputPath[] {
  const outputs: OutputPath[] = [];
  if (flags.json !== undefined)
    outputs.push({ flag: '--json', path: flags.json, stdoutAllowed: true });
  if (flags.markdown !== undefined) outputs.push({ flag: '--markdown', path: flags.markdown });
  if (flags.html !== undefined) outputs.push({ flag: '--html', path: flags.html });
  if (flags.plots !== undefined) outputs.push({ flag: '--plots', path: flags.plots, folder: true });
  if (flags.tensorboard !== undefined)
    outputs.push({ flag: '--tensorboard', path: flags.tensorboard, folder: true });
  return outputs;
}

function inputsOf(settings: FindSettings, storePath: string | undefined): InputPath[] {
  const inputs: InputPath[] = [{ flag: '--model', path: settings.model }];
  if (settings.data !== undefined) inputs.push({ flag: '--data', path: settings.data });
  if (storePath !== undefined) inputs.push({ flag: '--store', path: storePath });
  return inputs;
}

async function findCommand(flags: OutputFlags, command: Command, io: Io): Promise<number> {
  const { settings, storePath } = parseJobFlags(FIND_FLAGS, flags, command, io.stderr, 'run');
  const outputs = outputsOf(flags);
  const jsonToStdout = flags.json === '-';
  const store = storePath !== undefined ? RunStore.open(storePath) : undefined;
  try {
    let resume: ResumePlan | undefined;
    if (flags.resume !== undefined && store) {
      resume = planResume(store, flags.resume === true ? undefined : flags.resume);
    }
    checkOutputPaths(outputs, inputsOf(resume?.config.settings ?? settings, storePath));
    // With --json - standard output carries the JSON alone; people read standard error.
    const human = jsonToStdout ? io.stderr : io.stdout;
    const outcome = await withInterrupt(
      io,
      'finishing the current step, then writing what was measured',
      (signal) => {
        const progress = createProgress(io.stderr, !flags.quiet);
        return runFind({
          settings,
          ...(store ? { store } : {}),
          ...(resume ? { resume } : {}),
          command: process.argv.slice(2),
          signal,
          onEvent: progress,
          onStored: (runId) => {
            if (flags.quiet || !store) return;
            const reused = resume
              ? ` (reusing ${resume.prior.memoryTrials.length} memory trial(s) and ${resume.prior.throughputPoints.length} throughput point(s))`
              : '';
            io.stderr.write(
              `batchwise: ${resume ? 'resuming' : 'storing'} run ${runId} in ${store.path}${reused}\n`,
            );
          },
        }).finally(() => progress.done());
      },
    );
    const { report } = outcome;
    // The summary first: an output that fails to write must not hide the result.
    if (flags.quiet) {
      const r = report.recommendation;
      if (r) human.write(`batch ${r.batchSize}, learning rate ${r.learningRate.toPrecision(3)}\n`);
    } else {
      human.write(renderFindSummary(report));
    }
    await writeOutputs(report, outputs, io, !flags.quiet);
    if (outcome.kind === 'no-recommendation') {
      io.stderr.write(`batchwise: no recommendation: ${outcome.message}\n`);
      return outcome.reason === 'diverged' ? EXIT_CODES.diverged : EXIT_CODES[outcome.kind];
    }
    return EXIT_CODES[outcome.kind];
  } finally {
    store?.close();
  }
}

async function writeOutputs(
  report: FindOutcome['report'],
  outputs: readonly OutputPath[],
  io: Io,
  announce: boolean,
): Promise<void> {
  for (const output of outputs) {
    if (output.flag === '--plots') {
      try {
        const { notes } = await writeReportPlots(report, output.path);
        for (const note of notes) io.stderr.write(`batchwise: ${note}\n`);
        if (announce) io.stderr.write(`batchwise: wrote ${terminalLine(output.path)}\n`);
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new BatchwiseError(
          'invalid-option',
          `could not write --plots ${output.path} (${reason})`,
        );
      }
      continue;
    }
    if (output.flag === '--tensorboard') {
      try {
        writeFindTensorBoard(report, output.path);
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new BatchwiseError(
          'invalid-option',
          `could not write --tensorboard ${output.path} (${reason})`,
        );
      }
      continue;
    }
    const render =
      output.flag === '--json'
        ? findReportToJson
        : output.flag === '--markdown'
          ? findReportToMarkdown
          : findReportToHtml;
    writeOutput(output, render(report), io.stdout, announce ? io.stderr : undefined);
  }
}
