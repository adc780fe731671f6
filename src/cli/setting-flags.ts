// The command-line flags of a settings schema (src/find/find-settings.ts, src/sweep/sweep-settings.ts),
// derived from it: each setting with flag metadata becomes an option under its group's heading,
// its help says its default, parse errors name the flag, values from the config file
// (src/cli/config-file.ts) are merged under the command line's, and the list of workload flags
// that --resume refuses comes from the same metadata.

import { type Command, Option } from 'commander';
import type { z } from 'zod';
import { BatchwiseError } from '../errors.js';
import { type FlagMeta, flagRegistry } from '../settings/setting-schema.js';
import { CONFIG_FILE, configSettings, readConfigSection } from './config-file.js';
import { HELP_GROUPS, plainDefault } from './help-text.js';

interface DerivedFlag {
  readonly key: string;
  readonly meta: FlagMeta;
  /** Commander's attribute name for the option ('lr' for --lr). */
  readonly attribute: string;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export interface SettingFlags<T> {
  /** Adds an option for every setting that has a flag (the command adds noConfigOption()). */
  add(command: Command): Command;
  /**
   * Parses the settings given on the line over those of the config file (unless --no-config);
   * the first problem is one line naming the flag (or the file and the key) and the value.
   * `note` hears which settings the config file set.
   */
  parse(command: Command, note?: (line: string) => void): T;
  /** The workload flags given on the line (from the command line or the environment). */
  givenWorkloadFlags(command: Command): string[];
}

/** `--no-config`, for a command whose settings parse reads the config file. */
export function noConfigOption(): Option {
  return new Option(
    '--no-config',
    `ignore ${CONFIG_FILE} (and package.json's "batchwise") in this folder`,
  );
}

export function settingFlags<S extends z.ZodObject>(schema: S): SettingFlags<z.output<S>> {
  const flags: DerivedFlag[] = [];
  for (const [key, field] of Object.entries(schema.shape)) {
    const meta = flagRegistry.get(field as z.ZodType);
    if (meta) flags.push({ key, meta, attribute: new Option(meta.flag).attributeName() });
  }
  // A config file names a setting by its flag without the dashes: 'lr', 'memory-budget'.
  const byName = new Map(flags.map(({ key, meta }) => [meta.flag.replace(/^--/, ''), key]));
  const defaults = schema.parse({}) as Record<string, unknown>;
  const defaultText = (key: string, help: string): string => {
    const shown = plainDefault(defaults[key]);
    // A default the help explains itself (one that depends on the machine) is not repeated.
    if (shown === undefined || /\(default:/.test(help)) return '';
    return ` (default: ${shown})`;
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
        const names = meta.short ? `${meta.short}, ${meta.flag}` : meta.flag;
        const option = new Option(
          meta.value ? `${names} ${meta.value}` : names,
          `${meta.help}${defaultText(key, meta.help)}`,
        ).helpGroup(HELP_GROUPS[meta.group]);
        if (meta.repeatable) option.argParser(collect);
        if (meta.hidden) option.hideHelp();
        command.addOption(option);
      }
      return command;
    },
    parse(command, note) {
      const onLine = given(command);
      const section =
        command.opts<{ config?: boolean }>().config === false
          ? undefined
          : readConfigSection(command.name());
      const fromConfig = section ? configSettings(command.name(), section, byName) : {};
      const fromFile = Object.keys(fromConfig).filter((key) => onLine[key] === undefined);
      const input = { ...fromConfig, ...onLine };
      const parsed = schema.safeParse(input);
      if (parsed.success) {
        if (section && fromFile.length > 0) {
          const names = fromFile.map((key) => flags.find((f) => f.key === key)?.meta.flag ?? key);
          note?.(`settings from ${section.source}: ${names.join(', ')}`);
        }
        return parsed.data;
      }
      const issue = parsed.error.issues[0];
      const key = issue?.path[0] as string | undefined;
      const flag = flags.find((f) => f.key === key)?.meta.flag ?? key ?? 'an option';
      const raw = key !== undefined ? input[key] : undefined;
      const complete = issue?.code === 'custom' && issue.params?.complete === true;
      const shown = typeof raw === 'object' && raw !== null ? JSON.stringify(raw) : String(raw);
      const got = !complete && raw !== undefined ? `, got "${shown}"` : '';
      // A value of the config file is named by the file and its key.
      const where =
        section && key !== undefined && fromFile.includes(key)
          ? `${section.source}: ${command.name()}.${flag.replace(/^--/, '')}`
          : flag;
      throw new BatchwiseError(
        'invalid-option',
        `${where} ${issue?.message ?? 'is invalid'}${got}`,
      );
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
