// `batchwise worker`'s job: takes trials from the queue (BullMQ), runs each in a process of its
// own exactly as a local sweep does (src/sweep/worker-pool.ts), and appends every event to the
// sweep's stream, tagged with this attempt. A job it must not or cannot run (another version, a
// command without --allow-command, a missing or different input file) fails with one line and
// goes to another worker; a trial process that dies without ending its trial fails the attempt
// (BullMQ runs it again, up to the sweep's attempts). A SIGKILLed worker stops renewing its jobs'
// locks: after `lockSeconds` BullMQ's stalled-job check hands them to another worker. Stopped
// gracefully, it puts its running trials back in the queue for others.

import { hostname } from 'node:os';
import { type Job, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TrialEnd, TrialEvent } from '../sweep/trial-events.js';
import { trialSpecSchema } from '../sweep/trial-spec.js';
import { runTrialProcess } from '../sweep/worker-pool.js';
import { cancelKey, eventStreamKey, QUEUE_NAME, SWEEP_KEYS_TTL_SECONDS } from './queue-keys.js';
import { connectRedis } from './redis-connection.js';
import { refusalOf, trialJobSchema } from './trial-job.js';

export interface QueueWorkerOptions {
  readonly url: string;
  /** Trials at once (each a process of its own). */
  readonly concurrency: number;
  /** Run trials whose engine is a shell command (--engine command). */
  readonly allowCommand: boolean;
  /** A worker silent this long (its machine died) loses its trials to other workers. */
  readonly lockSeconds: number;
  /** Stop taking trials; running ones go back to the queue. */
  readonly signal?: AbortSignal | undefined;
  /** One line per trial taken, ended or refused, and per lost connection. */
  readonly log: (line: string) => void;
  /** Exit once the queue has been empty this long (a Kubernetes Job, a Slurm array task). */
  readonly idleExitSeconds?: number | undefined;
}

/** How often a running trial checks whether its sweep was cancelled. */
const CANCEL_POLL_MS = 1_000;

/** A refusal or crash: fails this attempt; BullMQ gives the job to a worker again. */
class AttemptFailed extends Error {}

export async function runQueueWorker(options: QueueWorkerOptions): Promise<void> {
  const redis = await connectRedis(options.url, { who: 'this worker', log: options.log });
  const name = `${hostname()}:${process.pid}`;
  let running = 0;
  let closing: Promise<void> | undefined;
  const stopping = new AbortController();
  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job, token?: string) => {
      running += 1;
      try {
        return await runJob(job, token, { ...options, redis, name, stopping: stopping.signal });
      } finally {
        running -= 1;
      }
    },
    {
      connection: redis,
      concurrency: options.concurrency,
      lockDuration: options.lockSeconds * 1000,
      stalledInterval: options.lockSeconds * 1000,
      // A trial whose worker died twice (its machine, or the trial itself takes it down) fails.
      maxStalledCount: 1,
      name,
    },
  );
  worker.on('error', () => undefined);
  let idleTimer: NodeJS.Timeout | undefined;
  if (options.idleExitSeconds !== undefined) {
    const idleMs = options.idleExitSeconds * 1000;
    const arm = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        if (running > 0) return arm();
        options.log(`the queue has been empty for ${options.idleExitSeconds} s: this worker exits`);
        void close();
      }, idleMs);
    };
    worker.on('drained', arm);
    worker.on('active', () => clearTimeout(idleTimer));
    arm();
  }
  const close = () => {
    closing ??= (async () => {
      stopping.abort();
      await worker.close();
    })();
    return closing;
  };
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  options.log(
    `worker ${name} takes trials from ${QUEUE_NAME} (${options.concurrency} at a time${options.allowCommand ? ', shell commands allowed' : ''})`,
  );
  await worker.waitUntilReady();
  await new Promise<void>((resolve) => {
    worker.on('closed', () => resolve());
    if (options.signal?.aborted) void close();
  });
  await closing;
  clearTimeout(idleTimer);
  redis.disconnect();
}

interface JobContext extends QueueWorkerOptions {
  readonly redis: Redis;
  readonly name: string;
  readonly stopping: AbortSignal;
}

async function runJob(job: Job, token: string | undefined, context: JobContext): Promise<TrialEnd> {
  const parsed = trialJobSchema.safeParse(job.data);
  if (!parsed.success) throw new AttemptFailed('the job is not a batchwise trial');
  const data = parsed.data;
  const trial = typeof data.spec.id === 'string' ? data.spec.id : '?';
  const refusal = refusalOf(data, { allowCommand: context.allowCommand });
  if (refusal) {
    context.log(`refused trial ${trial} of sweep ${data.sweep}: ${refusal}`);
    await noteFailure(
      job,
      data.sweep,
      trial,
      `refused by worker ${context.name}: ${refusal}`,
      context,
    );
    throw new AttemptFailed(`worker ${context.name} refused it: ${refusal}`);
  }
  const spec = trialSpecSchema.safeParse(data.spec);
  if (!spec.success)
    throw new AttemptFailed(`worker ${context.name}: the trial spec does not parse`);
  const attempt = `${job.attemptsStarted}@${context.name}`;
  const stream = eventStreamKey(data.sweep);
  // Events go out in order: each XADD waits for the one before.
  let sent: Promise<unknown> = Promise.resolve();
  const send = (event: TrialEvent) => {
    const json = JSON.stringify({ ...event, attempt });
    sent = sent.then(() =>
      context.redis
        .multi()
        .xadd(stream, '*', 'event', json)
        .expire(stream, SWEEP_KEYS_TTL_SECONDS)
        .exec()
        .catch(() => undefined),
    );
  };
  const abort = new AbortController();
  const onStop = () => abort.abort();
  context.stopping.addEventListener('abort', onStop, { once: true });
  const poll = setInterval(() => {
    context.redis.exists(cancelKey(data.sweep)).then(
      (n) => {
        if (n > 0) abort.abort();
      },
      () => undefined,
    );
  }, CANCEL_POLL_MS);
  context.log(`trial ${trial} of sweep ${data.sweep}: started (attempt ${job.attemptsStarted})`);
  try {
    const { end, synthesized } = await runTrialProcess(spec.data, {
      signal: abort.signal,
      onEvent: (event) => {
        // Stopped with this worker: the trial goes back to the queue, its aborted end unsaid.
        if (context.stopping.aborted && event.type === 'trial-end') return;
        send(event);
      },
    });
    if (context.stopping.aborted && token !== undefined) {
      context.log(`trial ${trial}: back in the queue (this worker stops)`);
      await sent;
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (synthesized && end.outcome === 'error') {
      await sent;
      context.log(`trial ${trial}: ${end.message}`);
      await noteFailure(
        job,
        data.sweep,
        trial,
        `on worker ${context.name}: ${end.message}`,
        context,
      );
      throw new AttemptFailed(`on worker ${context.name}: ${end.message}`);
    }
    if (synthesized) send(end);
    await sent;
    const why = end.message && end.message !== end.outcome ? ` (${end.message})` : '';
    context.log(`trial ${trial}: ${end.outcome}${why}`);
    return { ...end, attempt };
  } finally {
    clearInterval(poll);
    context.stopping.removeEventListener('abort', onStop);
  }
}

/** Tells the coordinator (through the sweep's stream) that this attempt failed, and why. */
async function noteFailure(
  job: Job,
  sweep: string,
  trial: string,
  reason: string,
  context: JobContext,
): Promise<void> {
  const attempts = job.opts.attempts ?? 1;
  const next = job.attemptsStarted < attempts ? '; it runs again' : '; no attempts left';
  const note = `trial ${trial}: attempt ${job.attemptsStarted} of ${attempts} failed, ${reason}${next}`;
  await context.redis.xadd(eventStreamKey(sweep), '*', 'note', note).catch(() => undefined);
}
