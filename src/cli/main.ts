// The batchwise command line: parses arguments, runs a command, and turns user errors into one
// clear line on stderr and a non-zero exit code. The only place that prints or exits; whatever
// it prints of an error passes through terminalLine (control characters escaped, elided).

import { Command, CommanderError } from 'commander';
import { BatchwiseError } from '../errors.js';
import { terminalLine, terminalText } from '../terminal-text.js';
import { VERSION } from '../version.js';
import { registerAdaptersCommand } from './commands/adapters.js';
import { registerAnalyzeCommand } from './commands/analyze.js';
import { registerFindCommand } from './commands/find.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerReportCommand } from './commands/report.js';
import { registerRunsCommands } from './commands/runs.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSweepCommand } from './commands/sweep.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('batchwise')
    .description(
      'Find the right batch size for training a deep learning model: measured on your model, data and hardware, explained with the large-batch training literature.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError('(run batchwise --help for usage)')
    .configureOutput({ outputError: (text, write) => write(terminalText(text)) })
    .exitOverride();
  registerFindCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerSweepCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerPlanCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerAnalyzeCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerServeCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerReportCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerRunsCommands(program, { stdout: process.stdout, stderr: process.stderr });
  registerAdaptersCommand(program, { stdout: process.stdout, stderr: process.stderr });
  return program;
}

/** Edit distance (optimal string alignment: insertions, deletions, substitutions, swaps). */
export function editDistance(a: string, b: string): number {
  // Rows i − 2, i − 1 and i of the table; every index read is below the row's length.
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const up = previous[j] ?? 0;
      const left = row[j - 1] ?? 0;
      const diagonal = previous[j - 1] ?? 0;
      let best = Math.min(up + 1, left + 1, diagonal + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (beforePrevious[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    beforePrevious = previous;
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/** The name nearest to `word` when it is close (a third of the name's letters wrong at most). */
export function nearestName(word: string, names: readonly string[]): string | undefined {
  let nearest: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(word.toLowerCase(), name);
    if (distance > Math.max(1, Math.floor(name.length / 3))) continue;
    if (nearest === undefined || distance < nearest.distance) nearest = { name, distance };
  }
  return nearest?.name;
}

/**
 * Refuses a first argument that names no command. Commander would hand it to the default
 * command (find) and complain of "too many arguments for 'find'"; options alone still run find.
 */
function checkCommandName(program: Command, args: readonly string[]): void {
  const word = args[0];
  if (word === undefined || word.startsWith('-')) return;
  const names = [...program.commands.flatMap((c) => [c.name(), ...c.aliases()]), 'help'];
  if (names.includes(word)) return;
  // Long input is not worth comparing (and the distance table grows with its length).
  const suggestion = word.length <= 40 ? nearestName(word, names) : undefined;
  const shown = terminalLine(word, 60);
  throw new BatchwiseError(
    'invalid-argument',
    suggestion !== undefined
      ? `unknown command '${shown}'; did you mean '${suggestion}'?`
      : `unknown command '${shown}' (commands: ${names.join(', ')}; run batchwise --help for usage)`,
  );
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    checkCommandName(program, argv.slice(2));
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof BatchwiseError) {
      process.stderr.write(`batchwise: ${terminalLine(error.message)}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`batchwise: unexpected error: ${terminalLine(message)}\n`);
    return 1;
  }
}
