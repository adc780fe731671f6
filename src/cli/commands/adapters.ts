// `batchwise adapters python|keras`: prints the absolute path of an adapter folder shipped in the
// package, so that a shell can install or import it without knowing where npm put the package:
//   pip install "$(npx batchwise adapters python)"

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { BatchwiseError } from '../../errors.js';
import { terminalLine } from '../../terminal-text.js';

/** The adapters shipped in the package's adapters/ folder, by name. */
export const ADAPTER_NAMES = ['python', 'keras'] as const;

/**
 * The adapter folder's absolute path. This file is dist/cli/commands/adapters.js in the package
 * (src/cli/commands/adapters.ts from a clone): three levels below the package root either way.
 */
export function adapterPath(name: (typeof ADAPTER_NAMES)[number]): string {
  return fileURLToPath(new URL(`../../../adapters/${name}`, import.meta.url));
}

export function registerAdaptersCommand(
  program: Command,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): void {
  program
    .command('adapters')
    .description(
      `print the absolute path of a shipped adapter folder (${ADAPTER_NAMES.join(', ')}); pip install "$(npx batchwise adapters python)" installs the Python one`,
    )
    .argument('<name>', `the adapter: ${ADAPTER_NAMES.join(' or ')}`)
    .action((name: string) => {
      const known = ADAPTER_NAMES.find((n) => n === name);
      if (known === undefined) {
        throw new BatchwiseError(
          'invalid-argument',
          `no adapter '${terminalLine(name, 60)}' (adapters: ${ADAPTER_NAMES.join(', ')})`,
        );
      }
      const path = adapterPath(known);
      if (!existsSync(path)) {
        throw new BatchwiseError(
          'invalid-argument',
          `the ${known} adapter is missing from this installation (expected ${path})`,
        );
      }
      io.stdout.write(`${path}\n`);
    });
}
