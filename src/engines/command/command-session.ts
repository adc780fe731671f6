// A training session on the user's command (the command engine). Each trial is one fresh run of
// the command, which starts from its initial weights (the same for the same {seed}):
// train(B, S) runs S steps at batch B; measureMemory(B) runs 2 steps and reads their peak bytes;
// gradientNorms(b, k) runs (steps so far + 1) steps of k accumulated micro-batches of b and reads
// the norms the last step reports — the free measurement of accumulated and data-parallel steps
// (McCandlish et al. 2018, App. A.1), taken after as many optimizer steps as the session has trained, though along
// the command's own path at batch b·k. trainWithNorms(b, k, S) is the efficient form the noise
// probe uses: one run whose every step reports its norms. The session numbers steps on from run
// to run; reset() only restarts the count, since every run starts fresh anyway.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchwiseError, requireInteger } from '../../errors.js';
import type { PlanItem, PlanPhase } from '../../protocol/plan.js';
import type {
  TelemetryEvent,
  TelemetryStart,
  TelemetryStep,
} from '../../protocol/telemetry-events.js';
import type {
  EngineInfo,
  GradientNorms,
  GradientNormsOptions,
  GradientNormsOutcome,
  MemoryOptions,
  MemoryOutcome,
  NormsRun,
  NormsRunOptions,
  StepRecord,
  TrainingSession,
  TrainOptions,
  TrainOutcome,
  TrialFailure,
  WorkloadInfo,
  WorkloadSpec,
} from '../engine.js';
import { expandArgv, expandShellLine, type MacroValues } from './command-template.js';
import { diedBeforeItem, PlanWorker } from './plan-worker.js';
import { type CommandRunResult, runCommand } from './run-command.js';
import { runFailure } from './run-outcome.js';

/** The command, resolved: argv without a shell, or one line for /bin/sh -c. */
export type ResolvedCommand =
  | { readonly argv: readonly string[]; readonly text: string }
  | { readonly shellLine: string; readonly text: string };

export interface CommandSessionSettings {
  readonly command: ResolvedCommand;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly killGraceSeconds: number;
  readonly memorySteps: number;
  readonly datasetSize?: number | undefined;
  readonly parameterCount?: number | undefined;
  /** The template names {plan}: plan mode from the first run on. */
  readonly planInTemplate?: boolean | undefined;
}

/**
 * Which process a run belongs to in plan mode: 'measure' runs (the opening, memory trials,
 * throughput steps: none needs particular weights) share one process; 'fresh' runs (the noise
 * run, which must start from the initial weights) get one of their own.
 */
export type WorkerKey = 'measure' | 'fresh';

export interface RunRequest {
  readonly batchSize: number;
  readonly steps: number;
  readonly microBatchSize: number;
  readonly accumulation: number;
  readonly phase: PlanPhase;
  readonly worker: WorkerKey;
  readonly signal?: AbortSignal | undefined;
  /** Stop the run on purpose (a time limit, a wrong batch): what came is kept. */
  readonly stopSignal?: AbortSignal | undefined;
  readonly onEvent?: ((event: TelemetryEvent) => void) | undefined;
}

/** Launches of the command and the time they took to start (to their start event). */
export interface LaunchStats {
  readonly launches: number;
  readonly startupSeconds: number;
}

/** Step events of rank 0 (or of writers that give no rank). */
function isLeadStep(event: TelemetryEvent): event is TelemetryStep {
  return event.event === 'step' && (event.rank ?? 0) === 0;
}

/**
 * Runs the command: once per request (one run per trial), or, in plan mode, as items of a
 * long-lived process per phase (plan-worker.ts), with a fresh process as the fallback when one
 * has ended (a script that exits after an out-of-memory error).
 */
export class CommandRunner {
  private readonly directory = mkdtempSync(join(tmpdir(), 'batchwise-command-'));
  private live = 0;
  private planMode: boolean;
  private worker: PlanWorker | undefined;
  private nextItemId = 1;
  private launchCount = 0;
  private startup = 0;
  /** The latest start event the command wrote. */
  start: TelemetryStart | undefined;

  constructor(
    readonly settings: CommandSessionSettings,
    private readonly seed: number,
    /** {lr}: the workload's learning rate. */
    private readonly learningRate: number,
  ) {
    this.planMode = settings.planInTemplate === true;
  }

  get liveRuns(): number {
    return this.live;
  }

  get plan(): boolean {
    return this.planMode;
  }

  /** The start event announced plan support: later runs are plan items. */
  enablePlan(): void {
    this.planMode = true;
  }

  get stats(): LaunchStats {
    return { launches: this.launchCount, startupSeconds: this.startup };
  }

  private get telemetryPath(): string {
    return join(this.directory, 'telemetry.jsonl');
  }

  private get planPath(): string {
    return join(this.directory, 'plan.jsonl');
  }

  private expanded(request: RunRequest) {
    const values: MacroValues = {
      batch: request.batchSize,
      steps: request.steps,
      micro_batch: request.microBatchSize,
      accumulation: request.accumulation,
      seed: this.seed,
      lr: this.learningRate,
      // A find's runs measure; they evaluate nothing (a sweep trial asks, src/sweep/command-trial.ts).
      eval_every: 0,
      telemetry: this.telemetryPath,
      plan: this.planPath,
    };
    const { command } = this.settings;
    return 'argv' in command
      ? { argv: expandArgv(command.argv, values) }
      : { shellLine: expandShellLine(command.shellLine, values) };
  }

  async run(request: RunRequest): Promise<CommandRunResult> {
    this.live++;
    try {
      return this.planMode ? await this.runItem(request) : await this.runOnce(request);
    } finally {
      this.live--;
    }
  }

  private async runOnce(request: RunRequest): Promise<CommandRunResult> {
    this.launchCount++;
    const launched = performance.now();
    return runCommand({
      command: this.expanded(request),
      env: this.settings.env,
      telemetryPath: this.telemetryPath,
      timeoutSeconds: this.settings.timeoutSeconds,
      killGraceSeconds: this.settings.killGraceSeconds,
      signal: request.signal,
      stopSignal: request.stopSignal,
      onEvent: (event) => {
        if (event.event === 'start') {
          this.start = event;
          this.startup += (performance.now() - launched) / 1000;
        }
        request.onEvent?.(event);
      },
    });
  }

  /** The worker for this request: the running one of its key, or a new process. */
  private async workerFor(request: RunRequest, forceNew: boolean): Promise<PlanWorker> {
    const current = this.worker;
    if (current?.alive && current.key === request.worker && request.worker !== 'fresh' && !forceNew)
      return current;
    await this.endWorker();
    this.launchCount++;
    const worker = new PlanWorker(
      {
        command: this.expanded(request),
        env: this.settings.env,
        telemetryPath: this.telemetryPath,
        planPath: this.planPath,
        killGraceSeconds: this.settings.killGraceSeconds,
      },
      request.worker,
    );
    this.worker = worker;
    const start = await worker.waitForStart(this.settings.timeoutSeconds, request.signal);
    if (start) {
      this.start = start;
      this.startup += worker.startupSeconds ?? 0;
    }
    return worker;
  }

  private async runItem(request: RunRequest): Promise<CommandRunResult> {
    for (let attempt = 0; ; attempt++) {
      const worker = await this.workerFor(request, attempt > 0);
      if (!worker.start) {
        // The process ended (or was stopped) before it wrote a start event.
        const exited = worker.exited ?? (await worker.done);
        const why = worker.startFailure;
        return {
          ...exited,
          ...(why ? { end: why.end, message: why.message } : {}),
          events: exited.events.filter((e) => e.event !== 'start'),
        };
      }
      const stale = worker.completedItems > 0;
      const item: PlanItem = {
        v: 1,
        id: this.nextItemId++,
        phase: request.phase,
        batchSize: request.batchSize,
        steps: request.steps,
        microBatchSize: request.microBatchSize,
        accumulation: request.accumulation,
      };
      const result = await worker.runItem(item, {
        timeoutSeconds: this.settings.timeoutSeconds,
        signal: request.signal,
        stopSignal: request.stopSignal,
        onEvent: request.onEvent,
      });
      // A process that had run items and was gone before this one began (a script that exits
      // after an out-of-memory error): the item runs again in a fresh process.
      if (attempt === 0 && stale && diedBeforeItem(result)) continue;
      if (request.worker === 'fresh') await this.endWorker();
      return result;
    }
  }

  /** Ends the plan process, if any (the next run starts a new one). */
  async endWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.stop();
  }

  async dispose(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.kill();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

export class CommandSession implements TrainingSession {
  readonly engine: EngineInfo;
  readonly workload: WorkloadInfo;
  readonly memoryBudgetBytes: number;
  private stepCount = 0;
  private disposed = false;
  /** Why the command's measurements cannot be trusted (it ran another batch than asked). */
  private untrusted: string | undefined;
  private readonly memoryKind: string | undefined;

  constructor(
    private readonly runner: CommandRunner,
    spec: Pick<WorkloadSpec, 'optimizer' | 'learningRate'>,
    start: TelemetryStart,
    memoryBudgetBytes: number,
  ) {
    const { settings } = runner;
    const datasetSize = settings.datasetSize ?? start.datasetSize;
    const parameterCount = settings.parameterCount ?? start.parameterCount;
    if (datasetSize === undefined || parameterCount === undefined) {
      throw new BatchwiseError(
        'invalid-option',
        `the command's start event must give ${datasetSize === undefined ? 'datasetSize' : 'parameterCount'} (docs/protocol.md)`,
      );
    }
    this.memoryBudgetBytes = memoryBudgetBytes;
    this.memoryKind = start.memoryKind;
    this.engine = {
      name: 'command',
      backend: start.device ? `${start.framework} on ${start.device}` : start.framework,
      version: start.frameworkVersion ?? 'unknown',
      details: {
        command: settings.command.text,
        shell: 'shellLine' in settings.command,
        telemetryProtocol: 1,
        runs: runner.plan ? 'plan (one process for the measurements)' : 'one run per trial',
        worldSize: start.worldSize,
      },
    };
    this.workload = {
      model: settings.command.text,
      data: 'from the command',
      datasetSize,
      inputShape: [],
      parameterCount,
      optimizer: spec.optimizer,
      learningRate: spec.learningRate,
      ...(start.tokensPerExample !== undefined ? { tokensPerExample: start.tokensPerExample } : {}),
    };
  }

  /** Launches of the command so far and the seconds they took to start. */
  launchStats(): LaunchStats {
    return this.runner.stats;
  }

  broken(): string | undefined {
    return this.untrusted;
  }

  /** The start event's memoryKind says the peaks are CUDA's allocated bytes (docs/protocol.md). */
  cachingAllocator(): boolean {
    return this.memoryKind === 'cuda-allocated';
  }

  private checkBatch(batchSize: number): void {
    if (this.disposed) throw new BatchwiseError('invalid-argument', 'the session was disposed');
    requireInteger('batchSize', batchSize);
    if (batchSize > this.workload.datasetSize) {
      throw new BatchwiseError(
        'invalid-argument',
        `batch size ${batchSize} is larger than the data (${this.workload.datasetSize} examples)`,
      );
    }
  }

  /**
   * Watches a run's steps for the batch asked: a step of another batch makes every measurement
   * of the session suspect, so the run is stopped and the session marked broken (probes stop).
   */
  private batchGuard(batchSize: number) {
    const controller = new AbortController();
    const wrong = (event: TelemetryEvent) => {
      if (event.event !== 'step' || event.batchSize === batchSize || this.untrusted) return;
      this.untrusted = batchMismatchMessage(event.batchSize, batchSize, this.runner.plan);
      controller.abort();
    };
    return { stopSignal: controller.signal, check: wrong };
  }

  private overBudget(peakBytes: number | undefined, batchSize: number) {
    if (peakBytes === undefined || peakBytes <= this.memoryBudgetBytes) return undefined;
    return {
      kind: 'oom' as const,
      message: `batch ${batchSize} peaked at ${peakBytes} bytes, over the memory budget of ${this.memoryBudgetBytes} bytes`,
      peakBytes,
    };
  }

  async train(options: TrainOptions): Promise<TrainOutcome> {
    this.checkBatch(options.batchSize);
    requireInteger('steps', options.steps);
    const steps: StepRecord[] = [];
    const guard = this.batchGuard(options.batchSize);
    const result = await this.runner.run({
      batchSize: options.batchSize,
      steps: options.steps,
      microBatchSize: options.batchSize,
      accumulation: 1,
      phase: 'throughput',
      worker: 'measure',
      signal: options.signal,
      stopSignal: guard.stopSignal,
      onEvent: (event) => {
        guard.check(event);
        if (!isLeadStep(event) || this.untrusted) return;
        const record: StepRecord = {
          step: this.stepCount++,
          batchSize: event.batchSize,
          seconds: event.seconds,
          loss: event.loss,
          tokens: event.tokens,
        };
        steps.push(record);
        options.onStep?.(record);
      },
    });
    if (this.untrusted) return { kind: 'error', message: this.untrusted, steps };
    const what = `at batch ${options.batchSize}`;
    const failure = runFailure(result, what);
    if (failure) return { ...failure, steps };
    const peakBytes = maxPeak(result.events);
    const over = this.overBudget(peakBytes, options.batchSize);
    if (over) return { ...over, steps };
    const diverged = steps.find((s) => !Number.isFinite(s.loss));
    if (diverged) {
      return {
        kind: 'diverged',
        message: `loss became ${diverged.loss} at step ${diverged.step}`,
        steps,
      };
    }
    if (steps.length < options.steps) {
      return {
        kind: 'error',
        message: `the command ${what} ran ${steps.length} of the ${options.steps} steps asked ({steps}) and exited 0`,
        steps,
      };
    }
    return { kind: 'ok', steps, ...(peakBytes !== undefined ? { peakBytes } : {}) };
  }

  async gradientNorms(options: GradientNormsOptions): Promise<GradientNormsOutcome> {
    this.checkBatch(options.microBatchSize);
    requireInteger('microBatches', options.microBatches, 2);
    const bigBatchSize = options.microBatchSize * options.microBatches;
    if (bigBatchSize > this.workload.datasetSize) {
      return {
        kind: 'limit',
        message: `${options.microBatches} micro-batches of ${options.microBatchSize} need ${bigBatchSize} examples, more than the data (${this.workload.datasetSize})`,
      };
    }
    // Every run starts from the initial weights: to measure where the session is (after
    // stepCount steps), the run trains stepCount steps and the norms of its last step are read.
    const guard = this.batchGuard(bigBatchSize);
    const result = await this.runner.run({
      batchSize: bigBatchSize,
      steps: this.stepCount + 1,
      microBatchSize: options.microBatchSize,
      accumulation: options.microBatches,
      phase: 'norms',
      worker: 'fresh',
      signal: options.signal,
      stopSignal: guard.stopSignal,
      onEvent: guard.check,
    });
    if (this.untrusted) return { kind: 'error', message: this.untrusted };
    const what = `at ${options.microBatches} micro-batches of ${options.microBatchSize}`;
    const failure = runFailure(result, what);
    if (failure) return failure;
    const lead = result.events.filter(isLeadStep).at(-1);
    if (!lead) return { kind: 'error', message: `the command ${what} reported no step` };
    const norms = normsOfStep(result.events, lead, what);
    return norms.kind === 'ok' ? { ...norms, step: this.stepCount } : norms;
  }

  /**
   * One run of the command at micro-batch b × k accumulation for `steps` steps, from the
   * initial weights (a fresh process): every step it reports carries its micro-batch norms,
   * handed on as it arrives. With maxSeconds the run is stopped that long after its first step.
   */
  async trainWithNorms(options: NormsRunOptions): Promise<NormsRun> {
    const batchSize = options.microBatchSize * options.accumulationSteps;
    this.checkBatch(batchSize);
    requireInteger('steps', options.steps);
    requireInteger('accumulationSteps', options.accumulationSteps, 2);
    const what = `at ${options.accumulationSteps} micro-batches of ${options.microBatchSize}`;
    const steps: StepRecord[] = [];
    const norms: GradientNorms[] = [];
    const events: TelemetryEvent[] = [];
    const guard = this.batchGuard(batchSize);
    const stop = new AbortController();
    guard.stopSignal.addEventListener('abort', () => stop.abort());
    let timeUp: NodeJS.Timeout | undefined;
    let timedOut = false;
    /** A lead step whose norms wait for other ranks' lines of the same step, with its index. */
    let waiting: { readonly lead: TelemetryStep; readonly index: number } | undefined;
    let reported = false;
    const handOn = (lead: TelemetryStep, index: number) => {
      const measured = normsOfStep(events, lead, what);
      if (measured.kind !== 'ok') return;
      reported = true;
      const record = { ...measured, step: index };
      norms.push(record);
      options.onNorms?.(record);
    };
    const result = await this.runner.run({
      batchSize,
      steps: options.steps,
      microBatchSize: options.microBatchSize,
      accumulation: options.accumulationSteps,
      phase: 'noise',
      worker: 'fresh',
      signal: options.signal,
      stopSignal: stop.signal,
      onEvent: (event) => {
        guard.check(event);
        if (this.untrusted || timedOut) return;
        events.push(event);
        if (!isLeadStep(event)) return;
        if (waiting) handOn(waiting.lead, waiting.index);
        waiting = undefined;
        const index = steps.length;
        const record: StepRecord = {
          step: index,
          batchSize: event.batchSize,
          seconds: event.seconds,
          loss: event.loss,
          tokens: event.tokens,
        };
        steps.push(record);
        options.onStep?.(record);
        if ((event.worldSize ?? 1) > 1) waiting = { lead: event, index };
        else handOn(event, index);
        if (options.maxSeconds !== undefined && timeUp === undefined) {
          timeUp = setTimeout(() => {
            timedOut = true;
            stop.abort();
          }, options.maxSeconds * 1000);
        }
      },
    });
    clearTimeout(timeUp);
    if (waiting) handOn(waiting.lead, waiting.index);
    if (this.untrusted) return { train: { kind: 'error', message: this.untrusted, steps }, norms };
    const failure = runFailure(result, what);
    if (failure) return { train: { ...failure, steps }, norms };
    if (!reported && steps.length > 0) {
      return {
        train: {
          kind: 'error',
          message: `the command ${what} reported no microSqNorms and sqNorm in its step events (docs/protocol.md)`,
          steps,
        },
        norms,
      };
    }
    const diverged = steps.find((s) => !Number.isFinite(s.loss));
    if (diverged) {
      return {
        train: {
          kind: 'diverged',
          message: `loss became ${diverged.loss} at step ${diverged.step}`,
          steps,
        },
        norms,
      };
    }
    const stopped =
      timedOut && options.maxSeconds !== undefined
        ? {
            stopped: `stopped after ${steps.length} of ${options.steps} steps: the ${options.maxSeconds} s time limit was reached`,
          }
        : {};
    return { train: { kind: 'ok', steps }, norms, ...stopped };
  }

  async measureMemory(options: MemoryOptions): Promise<MemoryOutcome> {
    this.checkBatch(options.batchSize);
    const { batchSize } = options;
    const steps = Math.max(1, this.runner.settings.memorySteps);
    const guard = this.batchGuard(batchSize);
    // In plan mode every trial is an item of the memory phase's process (the script recovers
    // from out-of-memory or exits, and the next trial gets a fresh process): `isolated` adds
    // nothing, since a trial never runs inside batchwise.
    const result = await this.runner.run({
      batchSize,
      steps,
      microBatchSize: batchSize,
      accumulation: 1,
      phase: 'memory',
      worker: 'measure',
      signal: options.signal,
      stopSignal: guard.stopSignal,
      onEvent: guard.check,
    });
    if (this.untrusted) return { kind: 'error', message: this.untrusted, batchSize };
    const failure = runFailure(result, `at batch ${batchSize}`);
    if (failure) return { ...failure, batchSize };
    const lastStep = result.events.filter(isLeadStep).at(-1);
    const seconds = lastStep?.seconds ?? 0;
    const peakBytes = maxPeak(result.events);
    if (peakBytes === undefined) {
      // Without memory counters a trial can only tell fit from out-of-memory.
      return { kind: 'ok', batchSize, seconds, peakNotMeasured: NO_PEAK_BYTES };
    }
    const over = this.overBudget(peakBytes, batchSize);
    if (over) return { ...over, batchSize };
    return { kind: 'ok', batchSize, peakBytes, seconds };
  }

  /**
   * Back to the initial weights: in plan mode the process of the phase ends (the next run
   * starts a fresh one); a run per trial starts fresh anyway. The step count restarts.
   */
  async reset(): Promise<void> {
    this.stepCount = 0;
    await this.runner.endWorker();
  }

  resources() {
    return { handles: this.runner.liveRuns };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.runner.dispose();
  }
}

/** Why a memory trial has no peak: the command's steps gave no peakBytes. */
export const NO_PEAK_BYTES =
  'the command reported no peakBytes (docs/protocol.md): the trial tells only whether the batch ran or ran out of memory';

/** The one line for a command that ran another batch than it was asked for. */
export function batchMismatchMessage(ran: number, asked: number, plan: boolean): string {
  return plan
    ? `the command ran batch ${ran} when the plan item asked for ${asked}: does it use the item's batchSize?`
    : `the command ran batch ${ran} when asked for ${asked}: does it use {batch}?`;
}

function maxPeak(events: readonly TelemetryEvent[]): number | undefined {
  let peak: number | undefined;
  for (const e of events) {
    if (e.event === 'step' && e.peakBytes !== undefined) peak = Math.max(peak ?? 0, e.peakBytes);
  }
  return peak;
}

/**
 * The norms one step reported (with other ranks' lines of the same step), as a measurement.
 * Non-finite norms (an overflowed step) are kept as data: the analysis skips them openly.
 */
function normsOfStep(
  events: readonly TelemetryEvent[],
  lead: TelemetryStep,
  what: string,
): ({ kind: 'ok' } & Omit<GradientNorms, 'step'>) | TrialFailure {
  if (!lead.microSqNorms || lead.sqNorm === undefined) {
    return {
      kind: 'error',
      message: `the command ${what} reported no microSqNorms and sqNorm in its step event (docs/protocol.md)`,
    };
  }
  const others = events.filter(
    (e): e is TelemetryStep => e.event === 'step' && (e.rank ?? 0) !== 0 && e.step === lead.step,
  );
  const microSqNorms = [...lead.microSqNorms, ...others.flatMap((e) => e.microSqNorms ?? [])];
  if (microSqNorms.length < 2) {
    return {
      kind: 'error',
      message: `the command ${what} reported ${microSqNorms.length} micro-batch norm; it needs {micro_batch} and {accumulation} in its arguments to split the batch`,
    };
  }
  return {
    kind: 'ok',
    microBatchSize: lead.microBatchSize ?? lead.batchSize / lead.microSqNorms.length,
    microSqNorms,
    accumulatedSqNorm: lead.sqNorm,
    loss: lead.loss,
    seconds: lead.seconds,
  };
}
