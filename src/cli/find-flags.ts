// The command-line flags of the find settings, derived from their one schema
// (src/find/find-settings.ts): each setting with flag metadata becomes an option, its help says
// its default, parse errors name the flag, and the list of workload flags that --resume refuses
// comes from the same metadata.

import { type Command, Option } from 'commander';
import { BatchwiseError } from '../errors.js';
import {
  type FindSettingKey,
  type FindSettings,
  type FindSettingsInput,
  type FlagMeta,
  findSettingsSchema,
  flagOf,
} from '../find/find-settings.js';

interface DerivedFlag {
  readonly key: FindSettingKey;
  readonly meta: FlagMeta;
  /** Commander's attribute name for the option ('lr' for --lr). */
  readonly attribute: string;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function derivedFlags(): DerivedFlag[] {
  const flags: DerivedFlag[] = [];
  for (const key of Object.keys(findSettingsSchema.shape) as FindSettingKey[]) {
    const meta = flagOf(key);
    if (!meta) continue;
    flags.push({ key, meta, attribute: new Option(meta.flag).attributeName() });
  }
  return flags;
}

const FLAGS = derivedFlags();
const DEFAULTS: FindSettings = findSettingsSchema.parse({});

function defaultText(key: FindSettingKey): string {
  const value = DEFAULTS[key];
  if (value === undefined || value === false) return '';
  if (typeof value === 'object') return '';
  return ` (default: ${value})`;
}

/** Adds an option for every setting that has a flag. */
export function addSettingFlags(command: Command): Command {
  for (const { key, meta } of FLAGS) {
    const option = new Option(
      meta.value ? `${meta.flag} ${meta.value}` : meta.flag,
      `${meta.help}${defaultText(key)}`,
    );
    if (meta.repeatable) option.argParser(collect);
    if (meta.hidden) option.hideHelp();
    command.addOption(option);
  }
  return command;
}

/** The settings given on the line, by setting name (defaults are the schema's, not commander's). */
function givenSettings(command: Command): FindSettingsInput {
  const values = command.opts<Record<string, unknown>>();
  const input: Record<string, unknown> = {};
  for (const { key, attribute } of FLAGS) {
    if (values[attribute] !== undefined) input[key] = values[attribute];
  }
  return input as FindSettingsInput;
}

/** Parses the given settings; the first problem is one line naming the flag and the value. */
export function settingsFromFlags(command: Command): FindSettings {
  const input = givenSettings(command);
  const parsed = findSettingsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path[0] as FindSettingKey | undefined;
  const flag = key !== undefined ? (flagOf(key)?.flag ?? key) : 'an option';
  const raw = key !== undefined ? (input as Record<string, unknown>)[key] : undefined;
  const complete = issue?.code === 'custom' && issue.params?.complete === true;
  const got = !complete && raw !== undefined ? `, got "${String(raw)}"` : '';
  throw new BatchwiseError('invalid-option', `${flag} ${issue?.message ?? 'is invalid'}${got}`);
}

/** The workload flags given on the line (from the command line or the environment). */
export function givenWorkloadFlags(command: Command): string[] {
  return FLAGS.filter(({ meta, attribute }) => {
    if (!meta.workload) return false;
    const source = command.getOptionValueSource(attribute);
    return source === 'cli' || source === 'env';
  }).map(({ meta }) => meta.flag);
}
