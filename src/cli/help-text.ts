// What every command's --help shares: option headings, defaults shown as a user types them, and
// the examples block. Every `$ batchwise ...` line of an examples block is checked by
// test/cli/help.test.ts against the command's options.

import type { Option } from 'commander';

/** Option headings, in the order they appear. */
export const HELP_GROUPS = {
  workload: 'Workload:',
  engine: 'Engine:',
  probes: 'Probes:',
  sweep: 'Sweep:',
  output: 'Output:',
  store: 'Store:',
  queue: 'Queue (trials on other machines):',
} as const;

/** A default as a user would type it: `0.05`, `sgd`; none for an empty list or object. */
export function plainDefault(value: unknown): string | undefined {
  if (value === undefined || value === false || value === '') return undefined;
  if (Array.isArray(value)) return value.length > 0 ? value.join(',') : undefined;
  if (typeof value === 'object') return undefined;
  return String(value);
}

/**
 * Commander's option description with the default unquoted (it writes `(default: "0.05")` and
 * `(default: [])`). Installed on the program with configureHelp; commands inherit it.
 */
export function plainOptionDescription(option: Option): string {
  const shown = option.defaultValueDescription ?? plainDefault(option.defaultValue);
  const takesValue = option.required || option.optional;
  if (shown === undefined || !takesValue || option.negate) return option.description;
  return `${option.description} (default: ${shown})`;
}

/** The examples block of a command's help: each line a command that works as written. */
export function examplesText(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ batchwise ${line}`).join('\n')}\n`;
}
