// The command engine: batchwise measures any framework by running the user's training command
// (a template with {batch}, {steps}, {micro_batch}, {accumulation}, {seed}, {lr}, {telemetry}) and
// reading the telemetry protocol it writes (docs/protocol.md). open() runs the command once at
// batch 1 for one step to read its start event (data size, parameters, framework), so that a
// command that does not work fails at once with a clear message.

import { totalmem } from 'node:os';
import { BatchwiseError, requirePositive } from '../../errors.js';
import { PLAN_PROTOCOL_VERSION } from '../../protocol/plan.js';
import type { Engine, EngineOptions, WorkloadSpec } from '../engine.js';
import {
  batchMismatchMessage,
  CommandRunner,
  CommandSession,
  type ResolvedCommand,
} from './command-session.js';
import { splitCommandLine, templateMacros } from './command-template.js';
import { runFailure } from './run-outcome.js';

export interface CommandEngineOptions {
  /** A command line (split into argv like a shell does, but run without one) or argv. */
  readonly command: string | readonly string[];
  /** Run the command line through /bin/sh -c (macro values are quoted). Default false. */
  readonly shell?: boolean;
  /** Seconds one run may take before it is killed and recorded as a timeout. Default 600. */
  readonly timeoutSeconds?: number;
  /** Extra environment variables for the command. */
  readonly env?: Readonly<Record<string, string>>;
  /** Seconds between SIGTERM and SIGKILL when a run is stopped. Default 2. */
  readonly killGraceSeconds?: number;
  /** Steps a memory trial runs (the peak is their maximum). Default 2. */
  readonly memorySteps?: number;
  /** Override the start event's datasetSize. */
  readonly datasetSize?: number;
  /** Override the start event's parameterCount. */
  readonly parameterCount?: number;
}

function resolveCommand(options: CommandEngineOptions): ResolvedCommand {
  const { command } = options;
  if (options.shell) {
    const line = typeof command === 'string' ? command : command.join(' ');
    return { shellLine: line, text: line };
  }
  const argv = typeof command === 'string' ? splitCommandLine(command) : [...command];
  return { argv, text: typeof command === 'string' ? command : command.join(' ') };
}

export function createCommandEngine(options: CommandEngineOptions): Engine {
  const command = resolveCommand(options);
  const parts = 'argv' in command ? command.argv : [command.shellLine];
  if (parts.length === 0 || parts.every((p) => p.trim() === '')) {
    throw new BatchwiseError('invalid-option', 'the command is empty');
  }
  const macros = templateMacros(parts);
  for (const required of ['batch', 'steps'] as const) {
    if (!macros.has(required)) {
      throw new BatchwiseError(
        'invalid-option',
        `the command must contain {${required}}, e.g. "python train.py --batch-size {batch} --steps {steps} --telemetry {telemetry}"`,
      );
    }
  }
  const timeoutSeconds = requirePositive('timeoutSeconds', options.timeoutSeconds ?? 600);
  const settings = {
    command,
    env: options.env ?? {},
    timeoutSeconds,
    killGraceSeconds: options.killGraceSeconds ?? 2,
    memorySteps: options.memorySteps ?? 2,
    datasetSize: options.datasetSize,
    parameterCount: options.parameterCount,
    planInTemplate: macros.has('plan'),
  };
  return {
    name: 'command',
    async open(spec: WorkloadSpec, engineOptions: EngineOptions = {}) {
      const runner = new CommandRunner(settings, spec.seed, spec.learningRate);
      try {
        // In plan mode the opening item runs no step, only the handshake (start, item-end): the
        // process then measures on from the initial weights. One run per trial runs one step.
        const result = await runner.run({
          batchSize: 1,
          steps: runner.plan ? 0 : 1,
          microBatchSize: 1,
          accumulation: 1,
          phase: 'open',
          worker: 'measure',
        });
        const start = runner.start;
        if (!start) {
          const failure = runFailure(result, 'at batch 1');
          throw new BatchwiseError(
            'invalid-option',
            failure
              ? `${failure.message}`
              : 'the command wrote no start event (docs/protocol.md) at batch 1',
          );
        }
        const ran = result.events.find((e) => e.event === 'step' && e.batchSize !== 1);
        if (ran?.event === 'step') {
          throw new BatchwiseError(
            'invalid-option',
            batchMismatchMessage(ran.batchSize, 1, runner.plan),
          );
        }
        // A script that announces plans (docs/protocol.md, "Plans") runs each phase in one process.
        if (start.protocol?.plan === PLAN_PROTOCOL_VERSION) runner.enablePlan();
        const budget = engineOptions.memoryBudgetBytes ?? start.deviceMemoryBytes ?? totalmem();
        return new CommandSession(runner, spec, start, budget);
      } catch (error) {
        await runner.dispose();
        throw error;
      }
    },
  };
}
