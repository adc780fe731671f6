// Messages that used to mislead (issue 10 item 6), through the real binary: each bad input is one
// line `batchwise: <message>` with exit code 2, quoting at most ~60 characters of user content
// with control characters escaped, and never a TF.js message, a hang or a stack trace.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, batchwise, type CliResult, runProcess } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-messages-'));

function fixture(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A run that starts measuring is kept tiny; most cases fail while the data loads. */
const TINY = ['--noise-seconds', '2', '--max-batch', '64', '--no-store'];

/** The run printed exactly `batchwise: <message>` and nothing else, and exited with 2. */
function expectOneLine(r: CliResult, message: string): void {
  expect(r.stderr).toBe(`batchwise: ${message}\n`);
  expect(r.stdout).toBe('');
  expect(r.code).toBe(2);
}

/** Nothing the terminal would act on: no C0/C1 control character but the final line break. */
function expectTerminalSafe(text: string): void {
  const controls = [...text.slice(0, -1)].filter((char) => {
    const code = char.charCodeAt(0);
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
  expect(controls).toEqual([]);
}

describe('messages that mislead', () => {
  it('a CSV whose labels are all one class says so, not "Error in oneHot"', async () => {
    const csv = fixture('one-class.csv', 'a,b,label\n1,2,x\n3,4,x\n5,6,x\n');
    const r = await batchwise('--data', csv, ...TINY);
    expectOneLine(
      r,
      `${csv}: the label column "label" has one class ("x" in all 3 data rows); a classifier needs at least 2`,
    );
  });

  it('a CSV of one row says how many rows there are and how many are needed', async () => {
    const csv = fixture('one-row.csv', 'a,b,label\n1,2,0\n');
    const r = await batchwise('--data', csv, ...TINY);
    expectOneLine(r, `${csv}: found 1 data row; at least 2 are needed`);
  });

  it.skipIf(process.platform === 'win32')(
    'a FIFO or a directory as --data (or a FIFO to analyze) is refused before it is opened',
    async () => {
      const fifo = join(dir, 'pipe.csv');
      execFileSync('mkfifo', [fifo]);
      expectOneLine(
        await batchwise('--data', fifo, ...TINY),
        `${fifo}: is a FIFO (named pipe), not a regular file`,
      );
      const log = join(dir, 'pipe.log');
      execFileSync('mkfifo', [log]);
      expectOneLine(
        await batchwise('analyze', log),
        `${log}: is a FIFO (named pipe), not a regular file`,
      );
      expectOneLine(
        await batchwise('--data', dir, ...TINY),
        `${dir}: is a directory; name a file or a built-in data set (synthetic, tokens, fashion-mnist)`,
      );
    },
    20_000,
  );

  it('a 3 MB cell is quoted as 60 characters, elided in the middle', async () => {
    const cell = `${'a'.repeat(1_500_000)}${'z'.repeat(1_500_000)}`;
    const csv = fixture('big-cell.csv', `a,b,label\n1,${cell},x\n2,3,y\n`);
    const r = await batchwise('--data', csv, ...TINY);
    expectOneLine(
      r,
      `${csv}:2: column "b" is not a number ("${'a'.repeat(30)}…${'z'.repeat(29)}")`,
    );
  });

  it('a binary file as --data is refused, its bytes never reach the terminal', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const red = Buffer.from('\x1b[31m');
    const binary = fixture('binary.csv', Buffer.concat([red, bytes, red, bytes]));
    const r = await batchwise('--data', binary, ...TINY);
    expectOneLine(r, `${binary}:1: holds a NUL byte: this is a binary file, not text`);

    // Escape sequences, C1 controls and invalid UTF-8 without a NUL byte: shown escaped.
    const noisy = fixture(
      'noisy.csv',
      Buffer.concat([
        Buffer.from('a,b\x1b[31m,label\n1,'),
        Buffer.from([0xff, 0xfe, 0x1b, 0x5d, 0x30, 0x3b, 0x74, 0x07, 0x9b, 0x32, 0x4a]),
        Buffer.from(',x\n'),
      ]),
    );
    const n = await batchwise('--data', noisy, ...TINY);
    expectOneLine(
      n,
      `${noisy}:2: column "b\\x1b[31m" is not a number ("\ufffd\ufffd\\x1b]0;t\\x07\ufffd2J")`,
    );
    expectTerminalSafe(n.stderr);
  });

  it("a command's output is quoted with its escape codes shown, not run", async () => {
    const r = await batchwise(
      '--engine',
      'command',
      '--shell',
      '--cmd',
      "printf '\\033[31mboom\\007\\377'; exit 3 # {batch} {steps}",
      ...TINY,
    );
    expectOneLine(r, 'the command at batch 1 exited with code 3: \\x1b[31mboom\\x07\ufffd');
    expectTerminalSafe(r.stderr);
  });

  it('an unknown command is named, with the nearest command when one is close', async () => {
    expectOneLine(
      await batchwise('frobnicate'),
      "unknown command 'frobnicate' (commands: find, sweep, worker, plan, analyze, serve, report, runs, show, adapters, help; run batchwise --help for usage)",
    );
    expectOneLine(await batchwise('fnd'), "unknown command 'fnd'; did you mean 'find'?");
    expectOneLine(
      await batchwise('anlyze', 'train.log'),
      "unknown command 'anlyze'; did you mean 'analyze'?",
    );
    const r = await batchwise('\x1b[2Jwipe');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^batchwise: unknown command '\\x1b\[2Jwipe' \(commands: /);
  });

  it('options alone still run find, the default command', async () => {
    const r = await batchwise('--engine', 'fake', '--quiet', '--no-store');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^batch \d+, learning rate /);
    expect(r.code).toBe(0);
  });

  it('output piped into a reader that has gone ends quietly, no EPIPE stack', async () => {
    // `true` exits without reading: every write of the help meets a closed pipe.
    const r = await runProcess('/bin/sh', [
      '-c',
      `'${process.execPath}' '${BIN}' serve --help | true`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
