// What `find` and `sweep` both do first with their command line: the store path (--store,
// --no-store, $BATCHWISE_STORE), the settings parsed over the config file (its note on stderr
// unless --quiet), and the --resume guard (it reads the store, and a resumed run keeps its own
// workload, so workload flags on the line are refused).

import type { Command } from 'commander';
import { BatchwiseError } from '../errors.js';
import { defaultStorePath } from '../store/run-store.js';
import type { SettingFlags } from './setting-flags.js';

export interface JobFlags {
  quiet?: boolean;
  /** A path, or false with --no-store. */
  store?: string | false;
  /** true: the newest unfinished run; a string: that run. */
  resume?: string | true;
}

export function parseJobFlags<T>(
  jobFlags: SettingFlags<T>,
  flags: JobFlags,
  command: Command,
  stderr: NodeJS.WritableStream,
  /** What --resume continues, in its message: "run", "sweep". */
  what: string,
): { settings: T; storePath: string | undefined } {
  const storePath = flags.store === false ? undefined : (flags.store ?? defaultStorePath());
  const settings = jobFlags.parse(command, (line) => {
    if (!flags.quiet) stderr.write(`batchwise: ${line}\n`);
  });
  if (flags.resume !== undefined) {
    if (storePath === undefined)
      throw new BatchwiseError('invalid-option', '--resume reads the run store; drop --no-store');
    const given = jobFlags.givenWorkloadFlags(command);
    if (given.length > 0) {
      throw new BatchwiseError(
        'invalid-option',
        `--resume continues a stored ${what} with its own workload and settings; drop ${given.join(', ')}`,
      );
    }
  }
  return { settings, storePath };
}
