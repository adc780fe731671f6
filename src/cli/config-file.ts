// The config file a team shares: `batchwise.config.json` in the current folder, or else a
// "batchwise" key in ./package.json, holding settings per command by flag name without the
// dashes:
//
//   { "find": { "optimizer": "adam", "lr": 0.001, "memory-budget": "4GiB" },
//     "sweep": { "target-loss": 0.5, "repeats": 2 } }
//
// src/cli/setting-flags.ts merges the values under the command line's and parses them with the
// same schema (so they are checked and stored like any setting); `--no-config` skips the file. A
// malformed file is one line naming it.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchwiseError } from '../errors.js';
import { quoteText } from '../terminal-text.js';
import { nearestName } from './nearest-name.js';

export const CONFIG_FILE = 'batchwise.config.json';

/** The commands whose settings a config file may hold. */
export const CONFIG_COMMANDS = ['find', 'sweep'] as const;

export interface ConfigSection {
  /** Where the values come from, for messages: `batchwise.config.json`. */
  readonly source: string;
  /** The command's values by flag name without the dashes: `lr`, `memory-budget`. */
  readonly values: Readonly<Record<string, unknown>>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The config of the folder, before its sections are checked; undefined when there is none. */
function readConfigRoot(folder: string): { source: string; root: unknown } | undefined {
  const file = join(folder, CONFIG_FILE);
  if (existsSync(file)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new BatchwiseError('invalid-option', `${CONFIG_FILE}: cannot be read (${reason})`);
    }
    try {
      return { source: CONFIG_FILE, root: JSON.parse(text) };
    } catch (error) {
      throw new BatchwiseError(
        'invalid-option',
        `${CONFIG_FILE}: not valid JSON (${(error as Error).message}); fix it or run with --no-config`,
      );
    }
  }
  // package.json belongs to the project: one that does not parse is not batchwise's to report.
  try {
    const manifest: unknown = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    if (isRecord(manifest) && manifest.batchwise !== undefined) {
      return { source: 'package.json "batchwise"', root: manifest.batchwise };
    }
  } catch {
    // no package.json, or not JSON
  }
  return undefined;
}

/**
 * The values a config file in `folder` gives `command`, or undefined when there is no config file
 * (or it has nothing for the command). Throws one line for a malformed file; the values themselves
 * are checked by the settings schema.
 */
export function readConfigSection(
  command: string,
  folder: string = process.cwd(),
): ConfigSection | undefined {
  const config = readConfigRoot(folder);
  if (!config) return undefined;
  const { source, root } = config;
  const fail = (message: string): never => {
    throw new BatchwiseError(
      'invalid-option',
      `${source}: ${message}; fix it or run with --no-config`,
    );
  };
  if (!isRecord(root)) {
    return fail(`must be an object of commands, e.g. {"find": {"optimizer": "adam"}}`);
  }
  for (const key of Object.keys(root)) {
    if (!(CONFIG_COMMANDS as readonly string[]).includes(key)) {
      const near = nearestName(key, CONFIG_COMMANDS);
      fail(
        `unknown command ${quoteText(key)}${near ? `; did you mean "${near}"?` : ` (it holds ${CONFIG_COMMANDS.join(', ')})`}`,
      );
    }
  }
  const section = root[command];
  if (section === undefined) return undefined;
  if (!isRecord(section)) {
    return fail(`"${command}" must be an object of settings, e.g. {"lr": 0.001}`);
  }
  return { source, values: section };
}

/**
 * The settings a config section sets, keyed by setting; an unknown name is one line (with the
 * nearest flag). `flags` maps a flag without dashes (`lr`) to its setting (`learningRate`).
 */
export function configSettings(
  command: string,
  section: ConfigSection,
  flags: ReadonlyMap<string, string>,
): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(section.values)) {
    const key = flags.get(name.replace(/^--?/, ''));
    if (key === undefined) {
      const near = nearestName(name, [...flags.keys()]);
      throw new BatchwiseError(
        'invalid-option',
        `${section.source}: ${command} has no setting ${quoteText(name)}${near ? `; did you mean "${near}"?` : ` (settings are ${command}'s flags without the dashes, e.g. "lr"; see batchwise ${command} --help)`}`,
      );
    }
    settings[key] = value;
  }
  return settings;
}
