// One sweep trial on the user's command (--engine command): the command is launched ONCE for the
// whole trial — {batch} the trial's batch, {lr} its learning rate, {seed} its seed, {steps} the
// step budget (maxExamples / batch, rounded up), {eval_every} how often to evaluate — and its
// telemetry is read as it grows (run-command.ts: its own process group, a wall-clock timeout, an
// abort). Every step goes to the TargetTracker, every `eval` event (protocol extension `eval`,
// docs/protocol.md) to tracker.evaluation(); when the tracker says reached, not reached or
// diverged, the command's process group is stopped and the trial ends. The shape is
// runSessionTrial's (run-trial.ts): events for the sink, a failure is an outcome, never an
// exception.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchMismatchMessage } from '../engines/command/command-session.js';
import {
  expandArgv,
  expandShellLine,
  type MacroValues,
  splitCommandLine,
  templateMacros,
} from '../engines/command/command-template.js';
import { runCommand } from '../engines/command/run-command.js';
import { runFailure } from '../engines/command/run-outcome.js';
import { BatchwiseError, errorMessage } from '../errors.js';
import type { TelemetryEvent, TelemetryStart } from '../protocol/telemetry-events.js';
import { terminalLine } from '../terminal-text.js';
import type { TrialSink } from './run-trial.js';
import { TargetTracker, type TrackerVerdict } from './target-tracker.js';
import type { TrialEnd } from './trial-events.js';
import type { TrialSpec } from './trial-spec.js';

export interface CommandTrialOptions {
  /** Wall-clock seconds the command may run; default trialWallTimeoutSeconds(spec). */
  readonly wallTimeoutSeconds?: number;
  /** Seconds between SIGTERM and SIGKILL when the command is stopped. Default 2. */
  readonly killGraceSeconds?: number;
  /** Extra environment variables for the command. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * How long a command may run before it is taken for hung: twice the training-time budget (its
 * steps' own seconds exclude start-up, evaluations and data loading) plus 30 s.
 */
export function trialWallTimeoutSeconds(spec: TrialSpec): number {
  return spec.maxSeconds * 2 + 30;
}

/** The step budget ({steps}): enough steps for maxExamples at the trial's batch. */
export function trialStepBudget(spec: TrialSpec): number {
  return Math.ceil(spec.maxExamples / spec.batchSize);
}

/**
 * After a verdict at a step where an evaluation is due, the command's eval event (written just
 * after the step) is waited for this long, so that the trial ends with its final
 * generalisation gap; then the command is stopped anyway.
 */
const FINAL_EVAL_WAIT_MS = 5000;

type Terminal = Exclude<TrackerVerdict, { kind: 'continue' }>;

export async function runCommandTrial(
  spec: TrialSpec,
  emit: TrialSink,
  signal?: AbortSignal,
  options: CommandTrialOptions = {},
): Promise<TrialEnd> {
  const tracker = new TargetTracker(spec);
  let started = false;
  let start: TelemetryStart | undefined;
  /** The start event cannot start the trial (no datasetSize, a batch over the data). */
  let startRefused = false;
  const emitStart = (validationSize?: number) => {
    if (started || startRefused || start?.datasetSize === undefined) return;
    started = true;
    emit(tracker.start(start.datasetSize, validationSize));
  };
  const finish = (outcome: TrialEnd['outcome'], message?: string) => {
    emitStart();
    const end = tracker.end(outcome, message);
    emit(end);
    return end;
  };

  let expand: (telemetryPath: string) => RunnableCommand;
  try {
    expand = commandExpander(spec);
  } catch (error) {
    return finish('error', errorMessage(error));
  }
  if (signal?.aborted) return finish('aborted', 'interrupted');

  let directory: string;
  try {
    directory = await mkdtemp(join(tmpdir(), 'batchwise-trial-'));
  } catch (error) {
    return finish('error', terminalLine(errorMessage(error)));
  }
  const telemetryPath = join(directory, 'telemetry.jsonl');
  try {
    const stop = new AbortController();
    let verdict: Terminal | undefined;
    /** Why the run was stopped other than a verdict (a wrong batch, a bad start event). */
    let failure: string | undefined;
    /** The command's oom event: the trial is over, whether or not the command exits. */
    let outOfMemory: string | undefined;
    let evaluations = 0;
    let finalEvalTimer: NodeJS.Timeout | undefined;
    const stopNow = () => {
      clearTimeout(finalEvalTimer);
      stop.abort();
    };
    const decide = (next: TrackerVerdict) => {
      if (next.kind === 'continue' || verdict) return;
      verdict = next;
      // A due evaluation (of a command that evaluates) is the trial's last point: wait for it.
      if (next.kind !== 'diverged' && evaluations > 0 && tracker.evaluationDue()) {
        finalEvalTimer = setTimeout(stopNow, FINAL_EVAL_WAIT_MS);
      } else {
        stopNow();
      }
    };
    const fail = (message: string) => {
      if (failure || verdict) return;
      failure = message;
      stopNow();
    };
    const onEvent = (event: TelemetryEvent) => {
      if (failure) return;
      switch (event.event) {
        case 'start': {
          if ((event.rank ?? 0) !== 0 || start) return;
          start = event;
          if (event.datasetSize === undefined) {
            startRefused = true;
            fail("the command's start event must give datasetSize (docs/protocol.md)");
          } else if (spec.batchSize > event.datasetSize) {
            startRefused = true;
            fail(
              `batch ${spec.batchSize} is larger than the training data (${event.datasetSize} examples)`,
            );
          }
          return;
        }
        case 'step': {
          if ((event.rank ?? 0) !== 0 || verdict) return;
          if (event.batchSize !== spec.batchSize) {
            fail(batchMismatchMessage(event.batchSize, spec.batchSize, false));
            return;
          }
          emitStart();
          decide(
            tracker.step({ batchSize: event.batchSize, seconds: event.seconds, loss: event.loss }),
          );
          return;
        }
        case 'eval': {
          if ((event.rank ?? 0) !== 0) return;
          // After a verdict only the due final evaluation is taken, then the command is stopped.
          if (verdict && !(finalEvalTimer && event.step === tracker.stepCount)) return;
          evaluations++;
          emitStart(event.examples);
          const evaluated = tracker.evaluation({
            loss: event.loss,
            ...(event.accuracy !== undefined ? { accuracy: event.accuracy } : {}),
          });
          emit(evaluated.event);
          if (verdict) stopNow();
          else if (evaluated.verdict.kind !== 'continue') {
            verdict = evaluated.verdict;
            stopNow();
          }
          return;
        }
        case 'oom': {
          if (verdict || outOfMemory) return;
          outOfMemory = `the command at batch ${spec.batchSize} reported out of memory: ${terminalLine(event.message.trim(), 200)}`;
          stopNow();
          return;
        }
        default:
          return;
      }
    };

    const result = await runCommand({
      command: expand(telemetryPath),
      env: {
        ...options.env,
        BATCHWISE_EVAL_EVERY: String(spec.evalEverySteps),
      },
      telemetryPath,
      timeoutSeconds: options.wallTimeoutSeconds ?? trialWallTimeoutSeconds(spec),
      killGraceSeconds: options.killGraceSeconds ?? 2,
      signal,
      stopSignal: stop.signal,
      onEvent,
    });
    clearTimeout(finalEvalTimer);

    if (result.end === 'aborted') return finish('aborted', 'interrupted');
    if (failure) return finish('error', failure);
    if (outOfMemory) return finish('oom', outOfMemory);
    if (verdict) {
      if (verdict.kind === 'reached') return finish('reached');
      return finish(
        verdict.kind,
        verdict.kind === 'not-reached'
          ? withEvalHint(spec, verdict.message, evaluations)
          : verdict.message,
      );
    }
    const what = `at batch ${spec.batchSize}`;
    if (result.end === 'timeout') {
      return finish(
        'error',
        `timed out: the command ${what} ran past ${options.wallTimeoutSeconds ?? trialWallTimeoutSeconds(spec)} s of wall clock (twice --max-seconds plus 30 s) and was stopped`,
      );
    }
    const failed = runFailure(result, what);
    if (failed) return finish(failed.kind === 'oom' ? 'oom' : 'error', failed.message);
    if (!start) {
      return finish('error', `the command ${what} wrote no start event (docs/protocol.md)`);
    }
    // Exited 0 before the target (and before the budget: a command that ran fewer steps).
    return finish('not-reached', notReachedMessage(spec, tracker.stepCount, evaluations));
  } catch (error) {
    return finish('error', terminalLine(errorMessage(error)));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

type RunnableCommand = { readonly argv: string[] } | { readonly shellLine: string };

/**
 * The template checked (a BatchwiseError for one a trial cannot run), as a function of the
 * telemetry file that gives the command with the trial's values.
 */
function commandExpander(spec: TrialSpec): (telemetryPath: string) => RunnableCommand {
  const template = spec.engine.cmd;
  if (template === undefined || template.trim() === '') {
    throw new BatchwiseError(
      'invalid-option',
      '--engine command needs --cmd, the training command',
    );
  }
  const argv = spec.engine.shell ? undefined : splitCommandLine(template);
  const macros = templateMacros(argv ?? [template]);
  if (!macros.has('batch')) {
    throw new BatchwiseError(
      'invalid-option',
      'the command must contain {batch}, e.g. "python train.py --batch-size {batch} --lr {lr} --steps {steps} --eval-every {eval_every} --telemetry {telemetry}"',
    );
  }
  if (macros.has('plan')) {
    throw new BatchwiseError(
      'invalid-option',
      'a sweep trial runs the command once from the initial weights to the target: {plan} is not supported there',
    );
  }
  return (telemetryPath) => {
    const values: MacroValues = {
      batch: spec.batchSize,
      steps: trialStepBudget(spec),
      micro_batch: spec.batchSize,
      accumulation: 1,
      seed: spec.workload.seed,
      lr: spec.learningRate,
      eval_every: spec.evalEverySteps,
      telemetry: telemetryPath,
      plan: '',
    };
    return argv
      ? { argv: expandArgv(argv, values) }
      : { shellLine: expandShellLine(template, values) };
  };
}

function notReachedMessage(spec: TrialSpec, steps: number, evaluations: number): string {
  const budget = trialStepBudget(spec);
  return withEvalHint(
    spec,
    steps < budget
      ? `the command exited after ${steps} of the ${budget} steps asked ({steps}) without reaching the target`
      : `not reached within ${spec.maxExamples} examples (${steps} steps)`,
    evaluations,
  );
}

/** A validation-metric target met no evaluation: the message says what the command lacks. */
function withEvalHint(spec: TrialSpec, message: string, evaluations: number): string {
  if (spec.target.kind !== 'metric' || evaluations > 0) return message;
  return `${message}; the command wrote no eval event: a validation ${spec.target.metric} target needs it to evaluate every {eval_every} steps (docs/protocol.md)`;
}
