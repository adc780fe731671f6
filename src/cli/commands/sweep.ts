// `batchwise sweep`: the command line of the sweep job (src/sweep/run-sweep.ts). Its flags come
// from the sweep settings schema; this file adds the output and store flags, checks the output
// paths before anything trains, turns Ctrl-C into the job's signal, prints each trial as it ends
// and the summary, and picks the exit code.

import type { Command } from 'commander';
import { DEFAULT_ATTEMPTS, QUEUE_ENV, queueUrlOf } from '../../queue/queue-settings.js';
import { redactQueueUrl } from '../../queue/redis-connection.js';
import { DEFAULT_STORE_PATH, RunStore } from '../../store/run-store.js';
import { planSweepResume, runSweep, type SweepResumePlan } from '../../sweep/run-sweep.js';
import { sweepReportToHtml } from '../../sweep/sweep-html.js';
import { sweepReportToJson, sweepReportToMarkdown } from '../../sweep/sweep-markdown.js';
import { sweepSettingsSchema } from '../../sweep/sweep-settings.js';
import { examplesText, HELP_GROUPS } from '../help-text.js';
import { withInterrupt } from '../interrupt.js';
import { type JobFlags, parseJobFlags } from '../job-flags.js';
import { checkOutputPaths, type InputPath, type OutputPath, writeOutput } from '../output-paths.js';
import { parsePositiveInteger } from '../parse-options.js';
import { noConfigOption, settingFlags } from '../setting-flags.js';
import { createSweepProgress } from '../sweep-progress.js';
import { renderSweepSummary } from '../sweep-summary.js';

const SWEEP_FLAGS = settingFlags(sweepSettingsSchema);

interface OutputFlags extends JobFlags {
  queue?: string;
  attempts?: string;
  json?: string;
  markdown?: string;
  html?: string;
}

type Io = { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };

const EXAMPLES = examplesText([
  'find -m mlp -d fashion-mnist --json find.json',
  "sweep --from-report find.json --target-metric 'accuracy>=0.85' --html sweep.html",
  'sweep -m mlp -d fashion-mnist --batches 16,64,256 --target-loss 0.5 --repeats 2',
  'sweep --resume    # train the trials an interrupted sweep did not finish',
  'sweep -m mlp --target-loss 0.5 --queue redis://10.0.0.5:6379    # trials on batchwise workers',
]);

export function registerSweepCommand(program: Command, io: Io): void {
  const command = program
    .command('sweep')
    .description(
      'train to a target at several batch sizes (in parallel processes) to check a recommendation: steps, examples and time to the target, measured B_crit, generalisation',
    );
  SWEEP_FLAGS.add(command)
    .optionsGroup(HELP_GROUPS.output)
    .option('--json <file>', 'write the full report as JSON (- for standard output)')
    .option('--markdown <file>', 'write the report as Markdown')
    .option('--html <file>', 'write one self-contained HTML report with charts (opens offline)')
    .option('-q, --quiet', 'no progress; print only the summary line')
    .optionsGroup(HELP_GROUPS.store)
    .option('--store <path>', `the run store (default: ${DEFAULT_STORE_PATH})`)
    .option('--no-store', 'do not store the sweep')
    .option(
      '--resume [run]',
      'continue an interrupted sweep: trials that finished are kept, the others trained again (default: the newest unfinished sweep)',
    )
    .optionsGroup(HELP_GROUPS.queue)
    .option(
      '--queue <url>',
      `queue the trials in Redis for \`batchwise worker\` processes on any machine instead of running them here: redis://[:PASSWORD@]HOST:PORT or rediss:// (default: $${QUEUE_ENV})`,
    )
    .option(
      '--attempts <n>',
      `with --queue: runs of a trial (a crashed or lost worker, a refusal) before it is recorded as failed (default: ${DEFAULT_ATTEMPTS})`,
    )
    .optionsGroup('Options:')
    .addOption(noConfigOption())
    .addHelpText('after', EXAMPLES)
    .action(async (flags: OutputFlags, self: Command) => {
      process.exitCode = await sweepCommand(flags, self, io);
    });
}

function outputsOf(flags: OutputFlags): OutputPath[] {
  const outputs: OutputPath[] = [];
  if (flags.json !== undefined)
    outputs.push({ flag: '--json', path: flags.json, stdoutAllowed: true });
  if (flags.markdown !== undefined) outputs.push({ flag: '--markdown', path: flags.markdown });
  if (flags.html !== undefined) outputs.push({ flag: '--html', path: flags.html });
  return outputs;
}

async function sweepCommand(flags: OutputFlags, command: Command, io: Io): Promise<number> {
  const { settings, storePath } = parseJobFlags(SWEEP_FLAGS, flags, command, io.stderr, 'sweep');
  const outputs = outputsOf(flags);
  const human = flags.json === '-' ? io.stderr : io.stdout;
  const store = storePath !== undefined ? RunStore.open(storePath) : undefined;
  try {
    let resume: SweepResumePlan | undefined;
    if (flags.resume !== undefined && store) {
      resume = planSweepResume(store, flags.resume === true ? undefined : flags.resume);
    }
    const used = resume?.config.settings ?? settings;
    const inputs: InputPath[] = [{ flag: '--model', path: used.model }];
    if (used.data !== undefined) inputs.push({ flag: '--data', path: used.data });
    if (used.fromReport !== undefined)
      inputs.push({ flag: '--from-report', path: used.fromReport });
    if (storePath !== undefined) inputs.push({ flag: '--store', path: storePath });
    checkOutputPaths(outputs, inputs);
    const progress = createSweepProgress(io.stderr, !flags.quiet);
    const queueUrl = queueUrlOf(flags.queue);
    if (resume && queueUrl === undefined && resume.run.command.includes('--queue')) {
      progress.log(
        'batchwise: this sweep queued its trials in Redis; without --queue the rest trains here (give --queue URL to re-attach to its workers)',
      );
    }
    const attempts =
      flags.attempts !== undefined
        ? parsePositiveInteger('--attempts', flags.attempts)
        : DEFAULT_ATTEMPTS;
    const outcome = await withInterrupt(
      io,
      'stopping the running trials, then writing what finished',
      (signal) =>
        runSweep({
          settings,
          ...(store ? { store } : {}),
          ...(resume ? { resume } : {}),
          // A password in the queue URL is not stored.
          command: process.argv.slice(2).map(redactQueueUrl),
          signal,
          ...(queueUrl !== undefined
            ? {
                queue: {
                  url: queueUrl,
                  attempts,
                  log: (line: string) => progress.log(`batchwise: ${line}`),
                  onKey: (key: string) =>
                    progress.log(
                      `batchwise: trials queued as sweep ${key} on ${redactQueueUrl(queueUrl)}; start workers with batchwise worker --queue URL`,
                    ),
                },
              }
            : {}),
          onFind: (phase, found) => {
            if (phase === 'start') {
              progress.log(
                'batchwise: no --from-report: running find first, to center the batches on its recommendation',
              );
            } else if (found?.recommendation) {
              progress.log(
                `batchwise: find recommends batch ${found.recommendation.batchSize} (learning rate ${found.recommendation.learningRate.toPrecision(3)})`,
              );
            }
          },
          onStored: (runId) => {
            progress.log(
              `batchwise: ${resume ? 'resuming' : 'storing'} sweep ${runId} in ${store?.path}`,
            );
          },
          onConfig: (config, pending) => {
            progress.config(pending, config.settings.workers);
            progress.log(
              `batchwise: ${pending} trial(s) of batch ${config.batches.join(', ')}, ${queueUrl !== undefined ? 'on the queue' : `${config.settings.workers} at a time`}`,
            );
          },
          onEvent: (event) => progress.event(event),
        }).finally(() => progress.done()),
    );
    const { report } = outcome;
    human.write(renderSweepSummary(report, { quiet: flags.quiet === true }));
    for (const output of outputs) {
      const render =
        output.flag === '--json'
          ? sweepReportToJson
          : output.flag === '--markdown'
            ? sweepReportToMarkdown
            : sweepReportToHtml;
      writeOutput(output, render(report), io.stdout, flags.quiet ? undefined : io.stderr);
    }
    return outcome.kind === 'interrupted' ? 130 : 0;
  } finally {
    store?.close();
  }
}
