// What one run of the user's command amounts to: the failure a probe should record (out of
// memory from the protocol or from the command's exit and messages, a timeout, a crash with its
// last line of standard error, a command that printed nothing or trained no step), or nothing.
// What the command printed or reported is quoted through terminalLine: escapes shown, elided.

import { terminalLine } from '../../terminal-text.js';
import type { TrialFailure } from '../engine.js';
import { OUTPUT_LINE_MAX_CHARS, outOfMemoryEvidence } from './out-of-memory-messages.js';
import type { CommandRunResult } from './run-command.js';

/** A line the command printed, for a one-line message. */
const quoteOutput = (line: string) => terminalLine(line.trim(), OUTPUT_LINE_MAX_CHARS);

/** `what` names the run in messages, e.g. "at batch 64". */
export function runFailure(result: CommandRunResult, what: string): TrialFailure | undefined {
  switch (result.end) {
    case 'spawn-error':
      return {
        kind: 'error',
        message: terminalLine(result.message ?? 'the command could not be started'),
      };
    case 'timeout':
      return {
        kind: 'timeout',
        message: `the command ${what} ${result.message ?? 'timed out'} and was stopped`,
      };
    case 'aborted':
      return { kind: 'aborted', message: 'aborted' };
    case 'invalid-telemetry':
      return { kind: 'error', message: terminalLine(result.message ?? 'invalid telemetry') };
    case 'stopped':
      // batchwise ended the run on purpose (a time limit): what came is the result.
      if (result.events.some((e) => e.event === 'step')) return undefined;
      return { kind: 'error', message: `the command ${what} was stopped before its first step` };
    case 'exit':
      break;
  }
  const oom = result.events.find((e) => e.event === 'oom');
  if (oom) {
    return {
      kind: 'oom',
      message: `the command ${what} reported out of memory: ${quoteOutput(oom.message)}`,
      ...(oom.peakBytes !== undefined ? { peakBytes: oom.peakBytes } : {}),
    };
  }
  if (result.exitCode !== 0 || result.signal !== null) {
    const evidence = outOfMemoryEvidence(result);
    if (evidence) return { kind: 'oom', message: `the command ${what}: ${evidence}` };
    const how = result.signal
      ? `was killed by ${result.signal}`
      : `exited with code ${result.exitCode}`;
    const last = result.lastStderrLine ?? result.outputLines.at(-1);
    return {
      kind: 'error',
      message: `the command ${what} ${how}${last ? `: ${quoteOutput(last)}` : ''}`,
    };
  }
  if (!result.events.some((e) => e.event === 'step')) {
    if (!result.printedAnything) {
      return {
        kind: 'error',
        message: `the command ${what} exited 0 but printed nothing and wrote no telemetry: it must write protocol lines (docs/protocol.md) to the {telemetry} file, $BATCHWISE_TELEMETRY or standard output`,
      };
    }
    const last = result.outputLines.at(-1);
    return {
      kind: 'error',
      message: `the command ${what} exited 0 without any step event${last ? ` (last output: ${quoteOutput(last)})` : ''}`,
    };
  }
  return undefined;
}
