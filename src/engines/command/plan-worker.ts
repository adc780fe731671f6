// One long-lived run of the user's command in plan mode (docs/protocol.md, "Plans"): batchwise
// appends work items to the plan file and the script runs them one after another in the same
// process, so that start-up (an interpreter, CUDA, compilation) is paid once per phase and every
// timed step is warm. Each item gives a CommandRunResult of its own — its events, its output
// lines, and how it ended — so that the session reads an item exactly as it reads a whole run.

import { writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { type PlanItem, planLine } from '../../protocol/plan.js';
import type { TelemetryEvent, TelemetryStart } from '../../protocol/telemetry-events.js';
import { type CommandRunEnd, type CommandRunResult, runCommand } from './run-command.js';

export interface PlanWorkerOptions {
  readonly command: { readonly argv: readonly string[] } | { readonly shellLine: string };
  readonly env: Readonly<Record<string, string>>;
  readonly telemetryPath: string;
  readonly planPath: string;
  readonly killGraceSeconds: number;
}

export interface ItemOptions {
  /** Seconds the item may take (start-up included when the worker has just started). */
  readonly timeoutSeconds: number;
  readonly signal?: AbortSignal | undefined;
  /** Stop the item (and the worker) on purpose: a time limit; what came is kept. */
  readonly stopSignal?: AbortSignal | undefined;
  readonly onEvent?: ((event: TelemetryEvent) => void) | undefined;
}

interface PendingItem {
  readonly id: number;
  readonly events: TelemetryEvent[];
  readonly output: string[];
  lastStderrLine?: string;
  /** Why batchwise ended the item (and with it the worker), if it did. */
  reason?: { readonly end: CommandRunEnd; readonly message: string };
  readonly started: number;
  readonly onEvent?: ((event: TelemetryEvent) => void) | undefined;
  readonly resolve: (result: CommandRunResult) => void;
}

const KEPT_LINES = 50;

export class PlanWorker {
  /** The start event, once the script wrote it. */
  start: TelemetryStart | undefined;
  /** Seconds from the launch to the start event. */
  startupSeconds: number | undefined;
  /** The whole run's result, once the process has exited. */
  exited: CommandRunResult | undefined;
  /** Why the process was ended before its start event (a timeout, an abort). */
  startFailure: { readonly end: CommandRunEnd; readonly message: string } | undefined;
  /** Items that ended with item-end or an oom of their own. */
  completedItems = 0;
  readonly done: Promise<CommandRunResult>;
  private readonly launched = performance.now();
  private readonly stopController = new AbortController();
  private pending: PendingItem | undefined;
  private startWaiters: (() => void)[] = [];

  constructor(
    private readonly options: PlanWorkerOptions,
    /** Which calls of the session this worker serves (a new key starts a new process). */
    readonly key: string,
  ) {
    writeFileSync(options.planPath, '');
    this.done = runCommand({
      command: options.command,
      env: { ...options.env, BATCHWISE_PLAN: options.planPath },
      telemetryPath: options.telemetryPath,
      killGraceSeconds: options.killGraceSeconds,
      stopSignal: this.stopController.signal,
      onEvent: (event) => this.route(event),
      onOutput: (line, stream) => this.output(line, stream),
    }).then((result) => {
      this.exited = result;
      this.finishPending(result);
      for (const wake of this.startWaiters) wake();
      this.startWaiters = [];
      return result;
    });
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /**
   * The start event, or undefined when the process ended without one; a process that writes none
   * within `timeoutSeconds`, or is aborted meanwhile, is ended, and `startFailure` says why.
   */
  async waitForStart(
    timeoutSeconds: number,
    signal?: AbortSignal,
  ): Promise<TelemetryStart | undefined> {
    if (this.start || this.exited) return this.start;
    const fail = (end: CommandRunEnd, message: string) => {
      if (this.start || this.exited) return;
      this.startFailure ??= { end, message };
      this.stopController.abort();
    };
    const timer = setTimeout(
      () => fail('timeout', `ran past the timeout of ${timeoutSeconds} s before its start event`),
      timeoutSeconds * 1000,
    );
    const onAbort = () => fail('aborted', 'aborted');
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) onAbort();
    try {
      await new Promise<void>((resolve) => this.startWaiters.push(resolve));
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    return this.start;
  }

  /** Runs one item; resolves when the script ends it, or the process ends. */
  async runItem(item: PlanItem, options: ItemOptions): Promise<CommandRunResult> {
    if (this.pending) throw new Error('plan worker: one item at a time');
    const result = new Promise<CommandRunResult>((resolve) => {
      this.pending = {
        id: item.id,
        events: [],
        output: [],
        started: performance.now(),
        onEvent: options.onEvent,
        resolve,
      };
    });
    const end = (why: CommandRunEnd, message: string) => {
      const pending = this.pending;
      if (!pending || pending.id !== item.id || pending.reason) return;
      pending.reason = { end: why, message };
      this.stopController.abort();
    };
    const timer = setTimeout(
      () => end('timeout', `ran past the timeout of ${options.timeoutSeconds} s`),
      options.timeoutSeconds * 1000,
    );
    const onAbort = () => end('aborted', 'aborted');
    const onStop = () => end('stopped', 'stopped by batchwise');
    options.signal?.addEventListener('abort', onAbort);
    options.stopSignal?.addEventListener('abort', onStop);
    if (options.signal?.aborted) onAbort();
    if (options.stopSignal?.aborted) onStop();
    if (this.exited) this.finishPending(this.exited);
    else await appendFile(this.options.planPath, planLine(item));
    try {
      return await result;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      options.stopSignal?.removeEventListener('abort', onStop);
    }
  }

  /** Ends the plan (the script writes `end` and exits); killed after the grace period. */
  async stop(): Promise<void> {
    if (this.exited) return;
    await appendFile(this.options.planPath, planLine({ v: 1, stop: true })).catch(() => {});
    const grace = setTimeout(
      () => this.stopController.abort(),
      Math.max(1, this.options.killGraceSeconds) * 1000,
    );
    await this.done;
    clearTimeout(grace);
  }

  /** Ends the process at once (SIGTERM to its group, SIGKILL after the grace period). */
  async kill(): Promise<void> {
    this.stopController.abort();
    await this.done;
  }

  private route(event: TelemetryEvent): void {
    if (event.event === 'start') {
      this.start ??= event;
      this.startupSeconds ??= (performance.now() - this.launched) / 1000;
      for (const wake of this.startWaiters) wake();
      this.startWaiters = [];
      return;
    }
    const pending = this.pending;
    if (!pending || pending.reason) return;
    const item = 'item' in event ? event.item : undefined;
    // A line of an earlier item (written after batchwise gave up on it) is not this item's.
    if (item !== undefined && item !== pending.id) return;
    pending.events.push(event);
    pending.onEvent?.(event);
    if (event.event === 'item-end' || event.event === 'oom') {
      this.completedItems++;
      this.resolvePending({
        end: 'exit',
        events: pending.events,
        exitCode: 0,
        signal: null,
        outputLines: pending.output,
        ...(pending.lastStderrLine !== undefined ? { lastStderrLine: pending.lastStderrLine } : {}),
        printedAnything: true,
        wallSeconds: (performance.now() - pending.started) / 1000,
      });
    }
  }

  private output(line: string, stream: 'stdout' | 'stderr'): void {
    const pending = this.pending;
    if (!pending) return;
    pending.output.push(line);
    if (pending.output.length > KEPT_LINES) pending.output.shift();
    if (stream === 'stderr') pending.lastStderrLine = line.trim();
  }

  /** The process ended while an item was running: the item ends as the process did. */
  private finishPending(run: CommandRunResult): void {
    const pending = this.pending;
    if (!pending) return;
    const reason = pending.reason;
    // Ended on purpose by batchwise without a reason of this item (stop()): a normal end.
    const end = reason?.end ?? (run.end === 'stopped' ? 'exit' : run.end);
    const message = reason?.message ?? run.message;
    this.resolvePending({
      end,
      ...(message !== undefined ? { message } : {}),
      events: pending.events,
      exitCode: run.exitCode,
      signal: run.signal,
      outputLines: pending.output,
      ...(pending.lastStderrLine !== undefined ? { lastStderrLine: pending.lastStderrLine } : {}),
      printedAnything: run.printedAnything,
      wallSeconds: (performance.now() - pending.started) / 1000,
    });
  }

  private resolvePending(result: CommandRunResult): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    pending.resolve(result);
  }
}

/** Whether an item's result says the process was gone before the item began. */
export function diedBeforeItem(result: CommandRunResult): boolean {
  return result.end === 'exit' && result.events.length === 0 && result.outputLines.length === 0;
}
