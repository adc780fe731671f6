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
import { registerWorkerCommand } from './commands/worker.js';
import { plainOptionDescription } from './help-text.js';
import { nearestName } from './nearest-name.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('batchwise')
    .description(
      'Find the right batch size for training a deep learning model: measured on your model, data and hardware, explained with the large-batch training literature.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError('(run batchwise --help for usage)')
    // Inherited by every command: defaults shown plainly, `(default: 0.05)`, none for empty lists.
    .configureHelp({ optionDescription: plainOptionDescription })
    .configureOutput({ outputError: (text, write) => write(terminalText(text)) })
    .exitOverride();
  registerFindCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerSweepCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerWorkerCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerPlanCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerAnalyzeCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerServeCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerReportCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerRunsCommands(program, { stdout: process.stdout, stderr: process.stderr });
  registerAdaptersCommand(program, { stdout: process.stdout, stderr: process.stderr });
  return program;
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
/** Output piped into a reader that stopped (`batchwise serve --help | head`): end quietly. */
function endOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  endOnClosedPipe(process.stdout);
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
