// `batchwise worker`: runs sweep trials taken from a Redis queue (src/queue/queue-worker.ts) on
// this machine until stopped. Ctrl-C (or SIGTERM, as Kubernetes and Slurm send) puts the running
// trials back in the queue for other workers, then exits; a second Ctrl-C exits at once.

import type { Command } from 'commander';
import { BatchwiseError } from '../../errors.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_LOCK_SECONDS,
  QUEUE_ENV,
  queueUrlOf,
} from '../../queue/queue-settings.js';
import { runQueueWorker } from '../../queue/queue-worker.js';
import { parseQueueUrl, redactQueueUrl } from '../../queue/redis-connection.js';
import { examplesText } from '../help-text.js';
import { withInterrupt } from '../interrupt.js';
import { parsePositiveInteger, parsePositiveNumber } from '../parse-options.js';

interface WorkerFlags {
  queue?: string;
  concurrency?: string;
  allowCommand?: boolean;
  lockSeconds?: string;
  exitWhenIdle?: string;
  quiet?: boolean;
}

type Io = { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };

const EXAMPLES = examplesText([
  'worker --queue redis://10.0.0.5:6379',
  'worker --queue redis://10.0.0.5:6379 --concurrency 2 --exit-when-idle 60',
  'sweep -m mlp --target-loss 0.5 --queue redis://10.0.0.5:6379    # the coordinator',
]);

export function registerWorkerCommand(program: Command, io: Io): void {
  program
    .command('worker')
    .description(
      'run sweep trials from a Redis queue on this machine, for a `batchwise sweep --queue` on any machine (docs/distributed.md)',
    )
    .option(
      '--queue <url>',
      `the queue: redis://[:PASSWORD@]HOST:PORT, or rediss:// for TLS (default: $${QUEUE_ENV})`,
    )
    .option(
      '--concurrency <n>',
      `trials at once, each in a process of its own (default: ${DEFAULT_CONCURRENCY})`,
    )
    .option(
      '--allow-command',
      'also run trials of --engine command sweeps: shell commands from the queue (off: only trial specs run)',
    )
    .option(
      '--lock-seconds <s>',
      `a worker silent this long (its machine died) loses its trials to other workers (default: ${DEFAULT_LOCK_SECONDS})`,
    )
    .option('--exit-when-idle <s>', 'exit once the queue has been empty this long (default: never)')
    .option('-q, --quiet', 'no line per trial')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await workerCommand(flags, io);
    });
}

async function workerCommand(flags: WorkerFlags, io: Io): Promise<number> {
  const url = queueUrlOf(flags.queue);
  if (url === undefined) {
    throw new BatchwiseError(
      'invalid-option',
      `a worker needs the queue: --queue redis://HOST:PORT (or $${QUEUE_ENV})`,
    );
  }
  const concurrency =
    flags.concurrency !== undefined
      ? parsePositiveInteger('--concurrency', flags.concurrency)
      : DEFAULT_CONCURRENCY;
  const lockSeconds =
    flags.lockSeconds !== undefined
      ? parsePositiveNumber('--lock-seconds', flags.lockSeconds)
      : DEFAULT_LOCK_SECONDS;
  const idleExitSeconds =
    flags.exitWhenIdle !== undefined
      ? parsePositiveNumber('--exit-when-idle', flags.exitWhenIdle)
      : undefined;
  const log = (line: string) => {
    if (!flags.quiet) io.stderr.write(`batchwise worker: ${line}\n`);
  };
  parseQueueUrl(url); // a malformed URL is its own one line, before "connecting"
  log(`connecting to ${redactQueueUrl(url)}`);
  await withInterrupt(io, 'putting the running trials back in the queue', (signal) =>
    runQueueWorker({
      url,
      concurrency,
      allowCommand: flags.allowCommand === true,
      lockSeconds,
      signal,
      log,
      idleExitSeconds,
    }),
  );
  return 0;
}
