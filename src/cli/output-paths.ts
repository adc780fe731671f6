// Output files of a command, checked before anything is measured (a missing folder found after a
// ten-minute run loses the run's output) and written at the end, each failure one line. An output
// never overwrites an input, and `-` as the JSON file means standard output.

import { existsSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BatchwiseError } from '../errors.js';
import { terminalLine } from '../terminal-text.js';

export interface OutputPath {
  /** The flag that named it, for messages: '--json'. */
  readonly flag: string;
  readonly path: string;
  /** A folder to create (--plots), not a file. */
  readonly folder?: boolean;
  /** `-` writes to standard output. */
  readonly stdoutAllowed?: boolean;
}

export interface InputPath {
  readonly flag: string;
  readonly path: string;
}

/** The real path of a file that may not exist yet: its folder resolved, its name kept. */
function canonical(path: string): string {
  const full = resolve(path);
  try {
    return realpathSync(full);
  } catch {
    try {
      return join(realpathSync(dirname(full)), basename(full));
    } catch {
      return full;
    }
  }
}

/** Throws one line for the first output that cannot be written or would overwrite an input. */
export function checkOutputPaths(
  outputs: readonly OutputPath[],
  inputs: readonly InputPath[],
): void {
  const inputPaths = new Map(
    inputs.filter((i) => existsSync(i.path)).map((i) => [canonical(i.path), i]),
  );
  const seen = new Map<string, string>();
  for (const output of outputs) {
    if (output.path === '-') {
      if (output.stdoutAllowed) continue;
      throw new BatchwiseError(
        'invalid-option',
        `${output.flag} - is not supported (only --json - writes to standard output)`,
      );
    }
    const full = canonical(output.path);
    const input = inputPaths.get(full);
    if (input) {
      throw new BatchwiseError(
        'invalid-option',
        `${output.flag} ${output.path} would overwrite the input ${input.flag} ${input.path}; choose another file`,
      );
    }
    const other = seen.get(full);
    if (other) {
      throw new BatchwiseError(
        'invalid-option',
        `${output.flag} and ${other} name the same file ${output.path}`,
      );
    }
    seen.set(full, output.flag);
    const folder = dirname(full);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new BatchwiseError(
        'invalid-option',
        `${output.flag} ${output.path}: the folder ${dirname(output.path)} does not exist; create it or choose another path`,
      );
    }
    if (existsSync(full)) {
      const isFolder = statSync(full).isDirectory();
      if (isFolder !== Boolean(output.folder)) {
        throw new BatchwiseError(
          'invalid-option',
          `${output.flag} ${output.path} is ${isFolder ? 'a folder' : 'a file'}; it needs ${output.folder ? 'a folder' : 'a file'}`,
        );
      }
    }
  }
}

/**
 * Writes one output file; a failure is one line naming the flag and the reason. With `announce`,
 * says there where it wrote (`batchwise: wrote report.html`); nothing for standard output.
 */
export function writeOutput(
  output: OutputPath,
  text: string,
  stdout: NodeJS.WritableStream,
  announce?: NodeJS.WritableStream,
): void {
  if (output.path === '-' && output.stdoutAllowed) {
    stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return;
  }
  try {
    writeFileSync(output.path, text);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new BatchwiseError(
      'invalid-option',
      `could not write ${output.flag} ${output.path} (${reason})`,
    );
  }
  announce?.write(`batchwise: wrote ${terminalLine(output.path)}\n`);
}
