// The coordinator's side of a distributed sweep: queues each trial as a BullMQ job (one job id
// per trial, so a restarted coordinator finds its jobs again), follows the sweep's event stream
// (every event hands on to the caller, who stores it, once per attempt even when replayed),
// checks its jobs' states (a job that failed every attempt is recorded as failed with its last
// error; a job Redis lost is queued again) and, when interrupted, stops its trials. Same contract
// as src/sweep/worker-pool.ts's runTrials: trial specs in, events out, the ends back.

import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { errorMessage } from '../errors.js';
import { eventKey } from '../sweep/sweep-config.js';
import { type TrialEnd, type TrialEvent, trialEventSchema } from '../sweep/trial-events.js';
import type { TrialSpec } from '../sweep/trial-spec.js';
import {
  cancelKey,
  eventStreamKey,
  QUEUE_NAME,
  SWEEP_KEYS_TTL_SECONDS,
  trialJobId,
} from './queue-keys.js';
import { connectRedis } from './redis-connection.js';
import { trialJobOf } from './trial-job.js';

export interface QueueRunOptions {
  /** redis:// or rediss:// URL of the queue. */
  readonly url: string;
  /** The sweep's key in the queue: stable across --resume (src/sweep/run-sweep.ts). */
  readonly sweep: string;
  /** Runs of one trial before it is recorded as failed (a crash, a refusal, a lost worker). */
  readonly attempts: number;
  readonly signal?: AbortSignal | undefined;
  /** Every event of every trial, once, in the order the stream holds them. */
  readonly onEvent: (event: TrialEvent) => void;
  /** Events the caller already has (a resumed sweep): their replayed copies are skipped. */
  readonly known?: readonly TrialEvent[];
  /** Retries, lost connections, a queue without workers: one line each. */
  readonly log?: (line: string) => void;
}

/** How often the jobs' states are checked (failures, lost jobs). */
const CHECK_EVERY_MS = 2_000;
/** How long a read of the event stream waits for news. */
const READ_BLOCK_MS = 1_000;
/** After this long with no trial running, the coordinator says how to start a worker. */
const NO_WORKER_HINT_MS = 10_000;
/** How long interrupted trials get to report their end (a worker's grace is 10 s). */
const STOP_WAIT_MS = 20_000;

type StreamReply = [string, [string, string[]][]][] | null;

export async function runQueuedTrials(
  specs: readonly TrialSpec[],
  options: QueueRunOptions,
): Promise<TrialEnd[]> {
  if (specs.length === 0) return [];
  const log = options.log ?? (() => undefined);
  const redis = await connectRedis(options.url, { who: 'the sweep', log });
  const reader = redis.duplicate();
  reader.on('error', () => undefined);
  const queue = new Queue(QUEUE_NAME, { connection: redis });
  queue.on('error', () => undefined);
  try {
    return await new QueueFollower(specs, options, redis, reader, queue).run();
  } finally {
    await queue.close().catch(() => undefined);
    reader.disconnect();
    redis.disconnect();
  }
}

class QueueFollower {
  private readonly ids: ReadonlySet<string>;
  private readonly seen = new Set<string>();
  private readonly ends = new Map<string, TrialEnd>();
  private readonly log: (line: string) => void;
  private readonly streamKey: string;
  private lastId = '0';
  private lastNews = Date.now();
  private hinted = false;

  constructor(
    private readonly specs: readonly TrialSpec[],
    private readonly options: QueueRunOptions,
    private readonly redis: Redis,
    private readonly reader: Redis,
    private readonly queue: Queue,
  ) {
    this.ids = new Set(specs.map((s) => s.id));
    this.log = options.log ?? (() => undefined);
    this.streamKey = eventStreamKey(options.sweep);
    for (const e of options.known ?? []) this.seen.add(eventKey(e, e.attempt ?? ''));
  }

  async run(): Promise<TrialEnd[]> {
    const { signal } = this.options;
    await this.redis.del(cancelKey(this.options.sweep));
    // What happened while no coordinator listened (a resumed sweep) comes first.
    while (await this.read(0)) {}
    for (const spec of this.specs) if (!this.ends.has(spec.id)) await this.ensureQueued(spec);
    let nextCheck = Date.now() + CHECK_EVERY_MS;
    while (this.ends.size < this.specs.length && !signal?.aborted) {
      await this.read(READ_BLOCK_MS);
      if (Date.now() >= nextCheck && !signal?.aborted) {
        await this.checkJobs();
        nextCheck = Date.now() + CHECK_EVERY_MS;
      }
    }
    if (signal?.aborted) await this.stop();
    await this.redis.expire(this.streamKey, SWEEP_KEYS_TTL_SECONDS).catch(() => undefined);
    return [...this.ends.values()];
  }

  private get outstanding(): TrialSpec[] {
    return this.specs.filter((s) => !this.ends.has(s.id));
  }

  private jobId(spec: TrialSpec): string {
    return trialJobId(this.options.sweep, spec.id);
  }

  /** Reads what the stream holds past lastId; true when something came. */
  private async read(blockMs: number): Promise<boolean> {
    let reply: StreamReply;
    try {
      reply = (await (blockMs > 0
        ? this.reader.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', this.streamKey, this.lastId)
        : this.reader.xread('COUNT', 500, 'STREAMS', this.streamKey, this.lastId))) as StreamReply;
    } catch {
      // Redis is away: the client reconnects; try again shortly.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return false;
    }
    const entries = reply?.[0]?.[1] ?? [];
    for (const [id, fields] of entries) {
      this.lastId = id;
      const [name, value] = fields;
      if (name === 'event' && value !== undefined) this.handle(value);
      // A worker's word on a failed attempt; a replay (--resume) does not repeat old news.
      if (name === 'note' && value !== undefined && blockMs > 0) this.log(value);
    }
    return entries.length > 0;
  }

  private handle(json: string): void {
    let event: TrialEvent;
    try {
      const parsed = trialEventSchema.safeParse(JSON.parse(json));
      if (!parsed.success) return;
      event = parsed.data;
    } catch {
      return;
    }
    if (!this.ids.has(event.id)) return;
    const key = eventKey(event, event.attempt ?? '');
    // Replayed, or late news from an attempt that no longer counts.
    if (this.seen.has(key) || this.ends.has(event.id)) return;
    this.seen.add(key);
    this.lastNews = Date.now();
    this.options.onEvent(event);
    if (event.type === 'trial-end' && event.outcome !== 'aborted') this.ends.set(event.id, event);
  }

  /** Queues the trial unless its job is already there (a resumed coordinator re-attaches). */
  private async ensureQueued(spec: TrialSpec): Promise<void> {
    const existing = await Job.fromId(this.queue, this.jobId(spec));
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed') return; // waiting, active, delayed: re-attached; failed: checkJobs.
      // Completed without a result here: an attempt stopped by an earlier interruption.
      await existing.remove().catch(() => undefined);
    }
    await this.add(spec);
  }

  private async add(spec: TrialSpec): Promise<void> {
    await this.queue.add('trial', trialJobOf(spec, this.options.sweep), {
      jobId: this.jobId(spec),
      attempts: this.options.attempts,
      backoff: { type: 'fixed', delay: 1_000 },
      removeOnComplete: { age: SWEEP_KEYS_TTL_SECONDS },
      removeOnFail: { age: SWEEP_KEYS_TTL_SECONDS },
    });
  }

  /** Failed jobs are recorded; lost jobs queued again; a queue without workers is told. */
  private async checkJobs(): Promise<void> {
    let running = 0;
    for (const spec of this.outstanding) {
      try {
        const job = await Job.fromId(this.queue, this.jobId(spec));
        if (!job) {
          this.log(
            `trial ${spec.id} is no longer in the queue (Redis restarted without persistence?): queued again`,
          );
          await this.add(spec);
          continue;
        }
        const state = await job.getState();
        if (state === 'active') running += 1;
        if (state === 'failed') this.recordFailure(spec, job);
        else if (state === 'completed') await this.completedWithoutNews(spec, job);
      } catch (error) {
        this.log(`cannot check trial ${spec.id} in the queue: ${errorMessage(error)}`);
      }
    }
    if (running > 0) this.lastNews = Date.now();
    if (!this.hinted && Date.now() - this.lastNews > NO_WORKER_HINT_MS) {
      this.hinted = true;
      this.log(
        'no worker has reported for 10 s: start one on any machine that reaches this Redis, with batchwise worker --queue URL',
      );
    }
  }

  private recordFailure(spec: TrialSpec, job: Job): void {
    const end: TrialEnd = {
      type: 'trial-end',
      id: spec.id,
      attempt: `failed-${job.attemptsMade}`,
      outcome: 'error',
      message: `failed on ${job.attemptsMade} attempt(s) by workers; the last: ${job.failedReason || 'no reason given'}`,
      steps: 0,
      examples: 0,
      seconds: 0,
    };
    this.seen.add(eventKey(end, end.attempt ?? ''));
    this.options.onEvent(end);
    this.ends.set(spec.id, end);
  }

  /** A job completed but its end is not in the stream yet: read on; its return value is the end. */
  private async completedWithoutNews(spec: TrialSpec, job: Job): Promise<void> {
    await this.read(0);
    if (this.ends.has(spec.id)) return;
    const end = trialEventSchema.safeParse(job.returnvalue);
    if (end.success && end.data.type === 'trial-end' && end.data.outcome !== 'aborted') {
      this.handle(JSON.stringify(end.data));
    } else {
      await job.remove().catch(() => undefined);
      await this.add(spec);
    }
  }

  /**
   * Interrupted: the waiting trials leave the queue, the running ones are told to stop (their
   * workers watch the cancel flag) and get a while to report their end.
   */
  private async stop(): Promise<void> {
    await this.redis.set(cancelKey(this.options.sweep), '1', 'EX', SWEEP_KEYS_TTL_SECONDS);
    for (const spec of this.outstanding) {
      const job = await Job.fromId(this.queue, this.jobId(spec));
      if (job && (await job.getState()) !== 'active') await job.remove().catch(() => undefined);
    }
    const deadline = Date.now() + STOP_WAIT_MS;
    const activeIds = async () => {
      const ids: string[] = [];
      for (const spec of this.outstanding) {
        const job = await Job.fromId(this.queue, this.jobId(spec));
        if (job && (await job.getState()) === 'active') ids.push(spec.id);
      }
      return ids;
    };
    while (Date.now() < deadline && (await activeIds()).length > 0) await this.read(500);
    await this.read(0);
  }
}
