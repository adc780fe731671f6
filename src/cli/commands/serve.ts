// `batchwise serve`: starts the local web server (src/server) and runs until Ctrl-C.

import type { Command } from 'commander';
import { BatchwiseError } from '../../errors.js';
import { loadPages } from '../../server/pages.js';
import { startServer } from '../../server/server.js';
import { parseNonNegativeInteger } from '../parse-options.js';

interface ServeFlags {
  port: string;
  host: string;
}

export function registerServeCommand(
  program: Command,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): void {
  program
    .command('serve')
    .description('start the local web pages (the plan calculator) on 127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', '8765')
    .option(
      '--host <address>',
      'address to bind; other than 127.0.0.1 exposes the pages to the network',
      '127.0.0.1',
    )
    .action(async (flags: ServeFlags) => {
      const port = parseNonNegativeInteger('--port', flags.port);
      const pages = await loadPages();
      let running: Awaited<ReturnType<typeof startServer>>;
      try {
        running = await startServer({ host: flags.host, port, pages });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new BatchwiseError(
          'invalid-option',
          `cannot listen on ${flags.host}:${port}: ${reason}`,
        );
      }
      io.stdout.write(
        `batchwise serve: ${running.url} (plan calculator: ${running.url}plan); Ctrl-C to stop\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          void running.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
