// The user's training command as a template with named macros ({batch}, {steps}, {micro_batch},
// {accumulation}, {seed}, {lr}, {eval_every}, {telemetry}, {plan}): split into argv the way a POSIX shell splits words
// (single and double quotes, backslash escapes) and expanded per run without any shell, or,
// when the user asks for one, expanded into a shell command line with every value quoted.

import { BatchwiseError, defined } from '../../errors.js';

export const COMMAND_MACROS = [
  'batch',
  'steps',
  'micro_batch',
  'accumulation',
  'seed',
  /** The learning rate: the workload's (find), the trial's (sweep). */
  'lr',
  /** Evaluate on held-out data every this many optimizer steps; 0: no evaluation asked. */
  'eval_every',
  'telemetry',
  'plan',
] as const;
export type CommandMacro = (typeof COMMAND_MACROS)[number];
export type MacroValues = Readonly<Record<CommandMacro, string | number>>;

const MACRO_PATTERN = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Splits a command line into words, honouring '…', "…" and backslash escapes; no expansion. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = defined(line[i], 'line[i]');
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (
        c === '\\' &&
        i + 1 < line.length &&
        '"\\$`'.includes(defined(line[i + 1], 'line[i + 1]'))
      )
        word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) {
    throw new BatchwiseError('invalid-option', `unterminated ${quote} quote in --cmd: ${line}`);
  }
  if (inWord) words.push(word);
  return words;
}

/** The macros a template uses; throws on an unknown one. */
export function templateMacros(parts: readonly string[]): Set<CommandMacro> {
  const used = new Set<CommandMacro>();
  for (const part of parts) {
    for (const match of part.matchAll(MACRO_PATTERN)) {
      const name = defined(match[1], 'match[1]');
      if (!(COMMAND_MACROS as readonly string[]).includes(name)) {
        throw new BatchwiseError(
          'invalid-option',
          `unknown macro {${name}} in the command (known: ${COMMAND_MACROS.map((m) => `{${m}}`).join(', ')})`,
        );
      }
      used.add(name as CommandMacro);
    }
  }
  return used;
}

function expand(text: string, values: MacroValues, quote: (value: string) => string): string {
  return text.replace(MACRO_PATTERN, (_, name: string) =>
    quote(String(values[name as CommandMacro])),
  );
}

/** Quotes a value for a POSIX shell. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** argv with the macros replaced (each word expanded on its own: no word splitting). */
export function expandArgv(argv: readonly string[], values: MacroValues): string[] {
  return argv.map((word) => expand(word, values, (v) => v));
}

/** A shell command line with the macros replaced by quoted values. */
export function expandShellLine(line: string, values: MacroValues): string {
  return expand(line, values, shellQuote);
}
