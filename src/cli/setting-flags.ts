// The command-line flags of a settings schema (src/find/find-settings.ts, src/sweep/sweep-settings.ts),
// derived from it: each setting with flag metadata becomes an option, its help says its default,
// parse errors name the flag, and the list of workload flags that --resume refuses comes from the
// same metadata.

import { type Command, Option } from 'commander';
import type { z } from 'zod';
import { BatchwiseError } from '../errors.js';
import { type FlagMeta, flagRegistry } from '../settings/setting-schema.js';

interface DerivedFlag {
  readonly key: string;
  readonly meta: FlagMeta;
  /** Commander's attribute name for the option ('lr' for --lr). */
  readonly attribute: string;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export interface SettingFlags<T> {
  /** Adds an option for every setting that has a flag. */
  add(command: Command): Command;
  /** Parses the given settings; the first problem is one line naming the flag and the value. */
  parse(command: Command): T;
  /** The workload flags given on the line (from the command line or the environment). */
  givenWorkloadFlags(command: Command): string[];
}

export function settingFlags<S extends z.ZodObject>(schema: S): SettingFlags<z.output<S>> {
  const flags: DerivedFlag[] = [];
  for (const [key, field] of Object.entries(schema.shape)) {
    const meta = flagRegistry.get(field as z.ZodType);
    if (meta) flags.push({ key, meta, attribute: new Option(meta.flag).attributeName() });
  }
  const defaults = schema.parse({}) as Record<string, unknown>;
  const defaultText = (key: string): string => {
    const value = defaults[key];
    if (value === undefined || value === false || typeof value === 'object') return '';
    return ` (default: ${value})`;
  };
  const given = (command: Command): Record<string, unknown> => {
    const values = command.opts<Record<string, unknown>>();
    const input: Record<string, unknown> = {};
    for (const { key, attribute } of flags) {
      if (values[attribute] !== undefined) input[key] = values[attribute];
    }
    return input;
  };
  return {
    add(command) {
      for (const { key, meta } of flags) {
        const option = new Option(
          meta.value ? `${meta.flag} ${meta.value}` : meta.flag,
          `${meta.help}${defaultText(key)}`,
        );
        if (meta.repeatable) option.argParser(collect);
        if (meta.hidden) option.hideHelp();
        command.addOption(option);
      }
      return command;
    },
    parse(command) {
      const input = given(command);
      const parsed = schema.safeParse(input);
      if (parsed.success) return parsed.data;
      const issue = parsed.error.issues[0];
      const key = issue?.path[0] as string | undefined;
      const flag = flags.find((f) => f.key === key)?.meta.flag ?? key ?? 'an option';
      const raw = key !== undefined ? input[key] : undefined;
      const complete = issue?.code === 'custom' && issue.params?.complete === true;
      const got = !complete && raw !== undefined ? `, got "${String(raw)}"` : '';
      throw new BatchwiseError('invalid-option', `${flag} ${issue?.message ?? 'is invalid'}${got}`);
    },
    givenWorkloadFlags(command) {
      return flags
        .filter(({ meta, attribute }) => {
          if (!meta.workload) return false;
          const source = command.getOptionValueSource(attribute);
          return source === 'cli' || source === 'env';
        })
        .map(({ meta }) => meta.flag);
    },
  };
}
