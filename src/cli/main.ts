// The batchwise command line: parses arguments, runs a command, and turns user errors into one
// clear line on stderr and a non-zero exit code. The only place that prints or exits.

import { Command, CommanderError } from 'commander';
import { BatchwiseError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerAnalyzeCommand } from './commands/analyze.js';
import { registerFindCommand } from './commands/find.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerReportCommand } from './commands/report.js';
import { registerRunsCommands } from './commands/runs.js';
import { registerServeCommand } from './commands/serve.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('batchwise')
    .description(
      'Find the right batch size for training a deep learning model: measured on your model, data and hardware, explained with the large-batch training literature.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError('(run batchwise --help for usage)')
    .exitOverride();
  registerFindCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerPlanCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerAnalyzeCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerServeCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerReportCommand(program, { stdout: process.stdout, stderr: process.stderr });
  registerRunsCommands(program, { stdout: process.stdout, stderr: process.stderr });
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof BatchwiseError) {
      process.stderr.write(`batchwise: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`batchwise: unexpected error: ${message}\n`);
    return 1;
  }
}
