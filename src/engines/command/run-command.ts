// Runs the user's command once: spawned without a shell (unless asked) in its own process group,
// its telemetry read as it arrives from the file batchwise named ({telemetry},
// BATCHWISE_TELEMETRY) or from protocol lines on standard output, with a timeout, an abort
// signal, and the whole process group killed at the end whatever happened. Its output is kept
// as printed; messages that quote it (or its telemetry) pass through terminalLine.

import { spawn } from 'node:child_process';
import { open, writeFile } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { safeParseTelemetryLine } from '../../protocol/parse-telemetry-line.js';
import { LineSplitter } from '../../protocol/read-telemetry.js';
import type { TelemetryEvent } from '../../protocol/telemetry-events.js';
import { terminalLine } from '../../terminal-text.js';
import { endGroup, registerGroup, signalGroup } from './process-groups.js';

export interface CommandRunOptions {
  /** argv (no shell), or a command line for /bin/sh -c. */
  readonly command: { readonly argv: readonly string[] } | { readonly shellLine: string };
  readonly env: Readonly<Record<string, string>>;
  readonly telemetryPath: string;
  /** Seconds the run may take; none: no limit (a plan worker times each item instead). */
  readonly timeoutSeconds?: number | undefined;
  /** Seconds between SIGTERM and SIGKILL when the run is stopped. */
  readonly killGraceSeconds?: number;
  readonly signal?: AbortSignal | undefined;
  /**
   * batchwise is done with the run (a time limit reached, a plan worker no longer needed): it is
   * ended like an abort, and the result's end is 'stopped', which is no failure.
   */
  readonly stopSignal?: AbortSignal | undefined;
  /** Each event as it arrives. */
  readonly onEvent?: ((event: TelemetryEvent) => void) | undefined;
  /** Each line of standard error and of non-protocol standard output, as it arrives. */
  readonly onOutput?: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined;
}

export type CommandRunEnd =
  /** The command exited by itself (see exitCode, signal). */
  | 'exit'
  | 'timeout'
  | 'aborted'
  /** Stopped on purpose by batchwise (stopSignal): what came is kept. */
  | 'stopped'
  /** A telemetry line could not be read; the run was stopped (message says which). */
  | 'invalid-telemetry'
  /** The command could not be started (message says why). */
  | 'spawn-error';

export interface CommandRunResult {
  readonly end: CommandRunEnd;
  readonly message?: string;
  readonly events: readonly TelemetryEvent[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last lines of standard error and of non-protocol standard output, in arrival order. */
  readonly outputLines: readonly string[];
  readonly lastStderrLine?: string;
  /** Whether the command printed or wrote anything at all. */
  readonly printedAnything: boolean;
  readonly wallSeconds: number;
}

const POLL_MS = 20;
const KEPT_LINES = 50;

export async function runCommand(options: CommandRunOptions): Promise<CommandRunResult> {
  await writeFile(options.telemetryPath, '');
  const started = performance.now();
  const events: TelemetryEvent[] = [];
  const outputLines: string[] = [];
  let lastStderrLine: string | undefined;
  let printedAnything = false;
  let end: CommandRunEnd | undefined;
  let message: string | undefined;
  /** Telemetry comes from the file or from standard output, whichever speaks first. */
  let source: 'file' | 'stdout' | undefined;
  const lineNumbers = { file: 0, stdout: 0 };

  const keep = (line: string) => {
    if (line.trim() === '') return;
    outputLines.push(line);
    if (outputLines.length > KEPT_LINES) outputLines.shift();
  };

  let stop: (why: CommandRunEnd, detail?: string) => void = () => {};

  const telemetryLine = (from: 'file' | 'stdout', line: string, lineNumber: number) => {
    // Once a run is being stopped (timeout, abort, a bad line), later lines are not data.
    if (end !== undefined) return;
    if (source !== undefined && source !== from) return;
    const result = safeParseTelemetryLine(line, lineNumber);
    if (result.kind === 'blank') return;
    if (result.kind === 'invalid') {
      stop(
        'invalid-telemetry',
        terminalLine(from === 'file' ? result.message : `standard output: ${result.message}`),
      );
      return;
    }
    source = from;
    events.push(result.event);
    options.onEvent?.(result.event);
  };

  const fileHandle = await open(options.telemetryPath, 'r');
  const fileSplitter = new LineSplitter();
  const fileDecoder = new StringDecoder('utf8');
  let filePosition = 0;
  const buffer = Buffer.alloc(64 * 1024);
  const readOnce = async (final: boolean) => {
    for (;;) {
      const { bytesRead } = await fileHandle.read(buffer, 0, buffer.length, filePosition);
      if (bytesRead === 0) break;
      filePosition += bytesRead;
      printedAnything = true;
      for (const line of fileSplitter.push(fileDecoder.write(buffer.subarray(0, bytesRead))))
        telemetryLine('file', line, ++lineNumbers.file);
    }
    if (final) {
      for (const line of fileSplitter.push(fileDecoder.end())) {
        telemetryLine('file', line, ++lineNumbers.file);
      }
      for (const line of fileSplitter.flush()) telemetryLine('file', line, ++lineNumbers.file);
    }
  };
  /** Reads run one after another; a poll is skipped while one is pending. */
  let reads: Promise<void> = Promise.resolve();
  let pendingReads = 0;
  const readFile = (final: boolean): Promise<void> => {
    if (!final && pendingReads > 0) return reads;
    pendingReads++;
    reads = reads
      .then(() => readOnce(final))
      .finally(() => {
        pendingReads--;
      });
    return reads;
  };

  const spawnTarget =
    'argv' in options.command
      ? { file: options.command.argv[0] ?? '', args: options.command.argv.slice(1) }
      : { file: '/bin/sh', args: ['-c', options.command.shellLine] };

  const result = await new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>(
    (resolve) => {
      const child = spawn(spawnTarget.file, spawnTarget.args, {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...options.env, BATCHWISE_TELEMETRY: options.telemetryPath },
      });
      const pgid = child.pid;
      if (pgid !== undefined) registerGroup(pgid);
      let killTimer: NodeJS.Timeout | undefined;
      let exited: { exitCode: number | null; signal: NodeJS.Signals | null } | undefined;
      let settled = false;

      const poll = setInterval(() => {
        readFile(false).catch(() => {});
      }, POLL_MS);
      const { timeoutSeconds } = options;
      const timeout =
        timeoutSeconds !== undefined
          ? setTimeout(
              () => stop('timeout', `ran past the timeout of ${timeoutSeconds} s`),
              timeoutSeconds * 1000,
            )
          : undefined;
      const onAbort = () => stop('aborted', 'aborted');
      const onStop = () => stop('stopped', 'stopped by batchwise');

      stop = (why, detail) => {
        if (end !== undefined) return;
        end = why;
        message = detail;
        if (pgid === undefined || exited) return;
        signalGroup(pgid, 'SIGTERM');
        killTimer = setTimeout(
          () => signalGroup(pgid, 'SIGKILL'),
          (options.killGraceSeconds ?? 2) * 1000,
        );
      };

      const settle = () => {
        if (settled || !exited) return;
        settled = true;
        clearInterval(poll);
        clearTimeout(timeout);
        if (killTimer) clearTimeout(killTimer);
        options.signal?.removeEventListener('abort', onAbort);
        options.stopSignal?.removeEventListener('abort', onStop);
        resolve(exited);
      };

      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort);
      if (options.stopSignal?.aborted) onStop();
      else options.stopSignal?.addEventListener('abort', onStop);

      const stdoutSplitter = new LineSplitter();
      const stderrSplitter = new LineSplitter();
      const onStdout = (line: string) => {
        if (/^\s*\{\s*"v"\s*:/.test(line)) telemetryLine('stdout', line, ++lineNumbers.stdout);
        else {
          keep(line);
          if (line.trim() !== '') options.onOutput?.(line, 'stdout');
        }
      };
      const onStderr = (line: string) => {
        keep(line);
        if (line.trim() !== '') options.onOutput?.(line, 'stderr');
        if (line.trim() !== '') lastStderrLine = line.trim();
      };
      let openStreams = 2;
      const streamClosed = () => {
        openStreams--;
        if (openStreams === 0) settle();
      };
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        printedAnything = true;
        for (const line of stdoutSplitter.push(chunk)) onStdout(line);
      });
      child.stderr.on('data', (chunk: string) => {
        printedAnything = true;
        for (const line of stderrSplitter.push(chunk)) onStderr(line);
      });
      child.stdout.on('close', () => {
        for (const line of stdoutSplitter.flush()) onStdout(line);
        streamClosed();
      });
      child.stderr.on('close', () => {
        for (const line of stderrSplitter.flush()) onStderr(line);
        streamClosed();
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (exited) return;
        end ??= 'spawn-error';
        const file = terminalLine(spawnTarget.file, 200);
        message ??=
          error.code === 'ENOENT'
            ? `the command "${file}" was not found (is it installed and on PATH?)`
            : error.code === 'EACCES'
              ? `the command "${file}" is not executable`
              : `the command "${file}" could not be started: ${terminalLine(error.message)}`;
        exited = { exitCode: null, signal: null };
        if (pgid !== undefined) endGroup(pgid);
        settled = false;
        openStreams = 0;
        settle();
      });
      child.on('exit', (exitCode, signal) => {
        exited = { exitCode, signal };
        // The command is gone: end whatever it left behind, which also closes its pipes.
        if (pgid !== undefined) endGroup(pgid);
        // A grandchild that escaped the group could hold the pipes open: do not wait forever.
        setTimeout(() => {
          openStreams = 0;
          settle();
        }, 1000).unref();
        if (openStreams === 0) settle();
      });
    },
  );

  try {
    await readFile(true);
  } finally {
    await fileHandle.close();
  }
  return {
    end: end ?? 'exit',
    ...(message !== undefined ? { message } : {}),
    events,
    exitCode: result.exitCode,
    signal: result.signal,
    outputLines,
    ...(lastStderrLine !== undefined ? { lastStderrLine } : {}),
    printedAnything,
    wallSeconds: (performance.now() - started) / 1000,
  };
}
