// The building blocks of a settings schema with command-line flags: value parsers that accept the
// command line's strings and a library caller's numbers alike, and the flag metadata (a zod
// registry) from which src/cli/setting-flags.ts derives options, help and errors. Used by the
// find settings and the sweep settings.

import { z } from 'zod';
import { parseSizeBytes } from '../find/parse-size.js';

/** How a setting appears on the command line. Settings without one are internal constants. */
export interface FlagMeta {
  readonly flag: string;
  /** A one-letter alias, e.g. '-m'; only where it is conventional and unambiguous. */
  readonly short?: string;
  /** The value's name in help, e.g. '<rate>'; none for a switch. */
  readonly value?: string;
  readonly help: string;
  readonly group: 'workload' | 'engine' | 'probes' | 'sweep';
  /** What the run measures: a resumed run takes it from the store and refuses it on the line. */
  readonly workload: boolean;
  /** Repeatable `key=value` pairs. */
  readonly repeatable?: boolean;
  /** For tests only: accepted, not listed in help. */
  readonly hidden?: boolean;
}

/** Settings and their flags: the schema's metadata, read back by the CLI. */
export const flagRegistry = z.registry<FlagMeta>();

/** A numeric string as its number; any other value as it is (the schema then says what is wrong). */
export const asNumber = (value: unknown) =>
  typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
    ? Number(value)
    : value;

/** An issue whose message says all (two settings, or the value itself): nothing more is quoted. */
export const COMPLETE = { code: 'custom', params: { complete: true } } as const;

export function numberSetting(what: string, check: (n: number) => boolean) {
  return z.preprocess(
    asNumber,
    z.number({ error: `must be ${what}` }).refine(check, `must be ${what}`),
  );
}
export const positiveNumber = () => numberSetting('a number > 0', (n) => n > 0);
export const positiveInteger = () =>
  numberSetting('a whole number >= 1', (n) => Number.isInteger(n) && n >= 1);
export const nonNegativeInteger = () =>
  numberSetting('a whole number >= 0', (n) => Number.isInteger(n) && n >= 0);
export const fraction = () => numberSetting('a number between 0 and 1', (n) => n > 0 && n < 1);
export const finiteNumber = () => numberSetting('a number', Number.isFinite);
export const choice = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });
export const sizeBytes = () =>
  z.preprocess(
    (value) => (typeof value === 'string' ? parseSizeBytes(value) : value),
    z
      .number({ error: 'must be a size such as 2GiB, 512MB or 1e9 (bytes)' })
      .refine((n) => n > 0, 'must be a size such as 2GiB, 512MB or 1e9 (bytes)')
      .transform(Math.floor),
  );

/** Repeated `key=value` pairs (the command line) or a record (a library call). */
export function keyValues<V extends z.ZodType<number | string>>(value: V) {
  return z
    .union([z.array(z.string()), z.record(z.string(), z.union([z.number(), z.string()]))])
    .transform((input, context) => {
      const entries: [string, unknown][] = [];
      if (Array.isArray(input)) {
        for (const pair of input) {
          const index = pair.indexOf('=');
          if (index <= 0) {
            context.addIssue({ ...COMPLETE, message: `takes key=value, got "${pair}"` });
            return z.NEVER;
          }
          entries.push([pair.slice(0, index).trim(), asNumber(pair.slice(index + 1).trim())]);
        }
      } else {
        entries.push(...Object.entries(input));
      }
      const out: Record<string, z.output<V>> = {};
      for (const [key, raw] of entries) {
        const parsed = value.safeParse(raw);
        if (!parsed.success) {
          context.addIssue({ ...COMPLETE, message: `${key} must be a number, got "${raw}"` });
          return z.NEVER;
        }
        out[key] = parsed.data;
      }
      return out;
    });
}

export function flag<S extends z.ZodType>(schema: S, meta: FlagMeta): S {
  flagRegistry.add(schema, meta);
  return schema;
}

export const workload = (meta: Omit<FlagMeta, 'group' | 'workload'>) =>
  ({ ...meta, group: 'workload', workload: true }) as const;
export const engine = (meta: Omit<FlagMeta, 'group' | 'workload'>) =>
  ({ ...meta, group: 'engine', workload: true }) as const;
export const probes = (meta: Omit<FlagMeta, 'group' | 'workload'>) =>
  ({ ...meta, group: 'probes', workload: true }) as const;
export const sweep = (meta: Omit<FlagMeta, 'group' | 'workload'>) =>
  ({ ...meta, group: 'sweep', workload: true }) as const;
