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
}

export interface RunRequest {
  readonly batchSize: number;
  readonly steps: number;
  readonly microBatchSize: number;
  readonly accumulation: number;
  readonly signal?: AbortSignal | undefined;
  readonly onEvent?: ((event: TelemetryEvent) => void) | undefined;
}

/** Step events of rank 0 (or of writers that give no rank). */
function isLeadStep(event: TelemetryEvent): event is TelemetryStep {
  return event.event === 'step' && (event.rank ?? 0) === 0;
}

/** Runs the command once in a fresh temporary telemetry file. */
export class CommandRunner {
  private readonly directory = mkdtempSync(join(tmpdir(), 'batchwise-command-'));
  private live = 0;

  constructor(
    readonly settings: CommandSessionSettings,
    private readonly seed: number,
  ) {}

  get liveRuns(): number {
    return this.live;
  }

  async run(request: RunRequest): Promise<CommandRunResult> {
    const telemetryPath = join(this.directory, 'telemetry.jsonl');
    const values: MacroValues = {
      batch: request.batchSize,
      steps: request.steps,
      micro_batch: request.microBatchSize,
      accumulation: request.accumulation,
      seed: this.seed,
      telemetry: telemetryPath,
    };
    const { command } = this.settings;
    this.live++;
    try {
      return await runCommand({
        command:
          'argv' in command
            ? { argv: expandArgv(command.argv, values) }
            : { shellLine: expandShellLine(command.shellLine, values) },
        env: this.settings.env,
        telemetryPath,
        timeoutSeconds: this.settings.timeoutSeconds,
        killGraceSeconds: this.settings.killGraceSeconds,
        signal: request.signal,
        onEvent: request.onEvent,
      });
    } finally {
      this.live--;
    }
  }

  dispose(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}

export class CommandSession implements TrainingSession {
  readonly engine: EngineInfo;
  readonly workload: WorkloadInfo;
  readonly memoryBudgetBytes: number;
  private stepCount = 0;
  private disposed = false;

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
    this.engine = {
      name: 'command',
      backend: start.device ? `${start.framework} on ${start.device}` : start.framework,
      version: start.frameworkVersion ?? 'unknown',
      details: {
        command: settings.command.text,
        shell: 'shellLine' in settings.command,
        telemetryProtocol: 1,
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
    const result = await this.runner.run({
      batchSize: options.batchSize,
      steps: options.steps,
      microBatchSize: options.batchSize,
      accumulation: 1,
      signal: options.signal,
      onEvent: (event) => {
        if (!isLeadStep(event)) return;
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
    const result = await this.runner.run({
      batchSize: bigBatchSize,
      steps: this.stepCount + 1,
      microBatchSize: options.microBatchSize,
      accumulation: options.microBatches,
      signal: options.signal,
    });
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
   * initial weights: every step it reports carries its micro-batch norms.
   */
  async trainWithNorms(options: NormsRunOptions): Promise<NormsRun> {
    const batchSize = options.microBatchSize * options.accumulationSteps;
    this.checkBatch(batchSize);
    requireInteger('steps', options.steps);
    requireInteger('accumulationSteps', options.accumulationSteps, 2);
    const what = `at ${options.accumulationSteps} micro-batches of ${options.microBatchSize}`;
    const steps: StepRecord[] = [];
    const norms: GradientNorms[] = [];
    const result = await this.runner.run({
      batchSize,
      steps: options.steps,
      microBatchSize: options.microBatchSize,
      accumulation: options.accumulationSteps,
      signal: options.signal,
      onEvent: (event) => {
        if (!isLeadStep(event)) return;
        const record: StepRecord = {
          step: steps.length,
          batchSize: event.batchSize,
          seconds: event.seconds,
          loss: event.loss,
          tokens: event.tokens,
        };
        steps.push(record);
        options.onStep?.(record);
      },
    });
    for (const lead of result.events.filter(isLeadStep)) {
      const measured = normsOfStep(result.events, lead, what);
      if (measured.kind === 'ok') norms.push({ ...measured, step: norms.length });
    }
    const failure = runFailure(result, what);
    if (failure) return { train: { ...failure, steps }, norms };
    if (norms.length === 0) {
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
    return { train: { kind: 'ok', steps }, norms };
  }

  async measureMemory(options: MemoryOptions): Promise<MemoryOutcome> {
    this.checkBatch(options.batchSize);
    const { batchSize } = options;
    const steps = Math.max(1, this.runner.settings.memorySteps);
    const result = await this.runner.run({
      batchSize,
      steps,
      microBatchSize: batchSize,
      accumulation: 1,
      signal: options.signal,
    });
    const failure = runFailure(result, `at batch ${batchSize}`);
    if (failure) return { ...failure, batchSize };
    const peakBytes = maxPeak(result.events);
    if (peakBytes === undefined) {
      return {
        kind: 'error',
        message: `the command at batch ${batchSize} reported no peakBytes in its step events (docs/protocol.md)`,
        batchSize,
      };
    }
    const over = this.overBudget(peakBytes, batchSize);
    if (over) return { ...over, batchSize };
    const lastStep = result.events.filter(isLeadStep).at(-1);
    return { kind: 'ok', batchSize, peakBytes, seconds: lastStep?.seconds ?? 0 };
  }

  /** Every run starts from the command's initial weights: only the step count restarts. */
  async reset(): Promise<void> {
    this.stepCount = 0;
  }

  resources() {
    return { handles: this.runner.liveRuns };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.runner.dispose();
  }
}

function maxPeak(events: readonly TelemetryEvent[]): number | undefined {
  let peak: number | undefined;
  for (const e of events) {
    if (e.event === 'step' && e.peakBytes !== undefined) peak = Math.max(peak ?? 0, e.peakBytes);
  }
  return peak;
}

/** The norms one step reported (with other ranks' lines of the same step), as a measurement. */
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
  const all = [...microSqNorms, lead.sqNorm];
  if (!all.every(Number.isFinite)) {
    return {
      kind: 'diverged',
      message: `the command ${what} reported non-finite gradient norms (${all.filter((n) => !Number.isFinite(n)).join(', ')})`,
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
