// `batchwise serve`: starts the local web server (src/server) and runs until Ctrl-C: the
// dashboard of the run store (runs, their charts, live updates) and the plan calculator.

import type { Command } from 'commander';
import { BatchwiseError } from '../../errors.js';
import { isLoopbackAddress } from '../../server/local-host.js';
import { loadPages } from '../../server/pages.js';
import { RunSource } from '../../server/run-source.js';
import { startServer } from '../../server/server.js';
import { DEFAULT_STORE_PATH, defaultStorePath } from '../../store/run-store.js';
import { examplesText } from '../help-text.js';
import { parseNonNegativeInteger } from '../parse-options.js';

interface ServeFlags {
  port: string;
  host: string;
  store?: string;
}

export function registerServeCommand(
  program: Command,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): void {
  program
    .command('serve')
    .description(
      'start the local dashboard (stored runs, their charts, live) and the plan calculator on 127.0.0.1',
    )
    .option('--port <n>', 'port (0: any free port)', '8765')
    .option(
      '--host <address>',
      'address to bind; other than 127.0.0.1 exposes the pages to the network',
      '127.0.0.1',
    )
    .option(
      '--store <path>',
      `the run store to show (default: ${DEFAULT_STORE_PATH}; a missing one shows no runs)`,
    )
    .addHelpText(
      'after',
      examplesText([
        'serve                     # http://127.0.0.1:8765: the stored runs, live',
        'serve --port 0 --store experiments/runs.sqlite',
      ]),
    )
    .action(async (flags: ServeFlags) => {
      const port = parseNonNegativeInteger('--port', flags.port);
      const pages = await loadPages();
      const source = new RunSource(flags.store ?? defaultStorePath());
      // A foreign or corrupt store: its one line now, not on the first request.
      source.check();
      let running: Awaited<ReturnType<typeof startServer>>;
      try {
        running = await startServer({ host: flags.host, port, pages, dashboard: { source } });
      } catch (error) {
        source.close();
        const reason = error instanceof Error ? error.message : String(error);
        throw new BatchwiseError(
          'invalid-option',
          `cannot listen on ${flags.host}:${port}: ${reason}`,
        );
      }
      if (!isLoopbackAddress(flags.host)) {
        io.stderr.write(
          `batchwise serve: warning: listening on ${flags.host}, not loopback: the dashboard has no authentication, so anyone who can reach this address can read the stored runs\n`,
        );
      }
      io.stdout.write(
        `batchwise serve: ${running.url} (runs of ${source.path}; plan calculator: ${running.url}plan); Ctrl-C to stop\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          void running.close().then(() => {
            source.close();
            resolve();
          });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
