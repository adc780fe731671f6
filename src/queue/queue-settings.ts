// The defaults of distributed sweeps, in one place: `batchwise sweep --queue` and
// `batchwise worker` (src/cli/commands/sweep.ts, worker.ts) take them from here.

/** The queue URL used when --queue is not given (keeps a password off the command line). */
export const QUEUE_ENV = 'BATCHWISE_QUEUE';

/** Runs of one trial (first try and retries) before it is recorded as failed. */
export const DEFAULT_ATTEMPTS = 3;

/** Trials one worker runs at once. */
export const DEFAULT_CONCURRENCY = 1;

/**
 * Seconds a worker may go silent (its machine died, it was SIGKILLed) before its trials go to
 * another worker: BullMQ's job lock, renewed every half of it while the worker lives.
 */
export const DEFAULT_LOCK_SECONDS = 30;

/** The queue URL: the flag, else $BATCHWISE_QUEUE, else none (trials run locally). */
export function queueUrlOf(flag: string | undefined): string | undefined {
  return flag ?? (process.env[QUEUE_ENV] || undefined);
}
