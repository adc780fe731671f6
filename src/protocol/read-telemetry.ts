// Streams the events of a telemetry file or stream (JSON lines, docs/protocol.md) without
// holding it in memory. An invalid line throws a one-line BatchwiseError naming it, unless
// `onInvalidLine` is given: then it is reported there and skipped, and reading goes on.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { BatchwiseError } from '../errors.js';
import { safeParseTelemetryLine } from './parse-telemetry-line.js';
import type { TelemetryEvent } from './telemetry-events.js';

export interface ReadTelemetryOptions {
  /** Called with the message of each invalid line, which is then skipped (default: throw). */
  readonly onInvalidLine?: (message: string, lineNumber: number) => void;
}

/** The events of a telemetry file (by path) or stream, in order. */
export async function* readTelemetry(
  source: string | Readable,
  options: ReadTelemetryOptions = {},
): AsyncGenerator<TelemetryEvent> {
  const input = typeof source === 'string' ? createReadStream(source) : source;
  const opened = new Promise<void>((resolve, reject) => {
    if (typeof source !== 'string') return resolve();
    input.once('open', () => resolve());
    input.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new BatchwiseError(
          'invalid-data',
          `cannot read telemetry file ${source}: ${error.code ?? error.message}`,
        ),
      ),
    );
  });
  await opened;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      const result = safeParseTelemetryLine(line, lineNumber);
      if (result.kind === 'event') yield result.event;
      else if (result.kind === 'invalid') {
        if (!options.onInvalidLine) throw new BatchwiseError('invalid-data', result.message);
        options.onInvalidLine(result.message, lineNumber);
      }
    }
  } finally {
    lines.close();
    if (typeof source === 'string') input.destroy();
  }
}

/** Splits text that arrives in chunks into complete lines (a tail of a growing file). */
export class LineSplitter {
  private pending = '';

  /** The complete lines in `chunk` (with what came before); keeps an unfinished last line. */
  push(chunk: string): string[] {
    const text = this.pending + chunk;
    const lines = text.split(/\r?\n/);
    this.pending = lines.pop() ?? '';
    return lines;
  }

  /** What is left at the end (a last line without a newline). */
  flush(): string[] {
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? [] : [rest];
  }
}
