// How a stored run is named (its model and data columns) in `batchwise runs`, `batchwise show`
// and the dashboard. A run of a built-in engine is named by its workload spec; a run of
// `--engine command` by its command (program and script: `command: python3 train.py`) and by
// what its report says of the data, since its spec holds only unused defaults. The stored
// options are read in one tolerant place (runEngineFields), whatever shape they take.

import { basename } from 'node:path';
import { splitCommandLine } from '../engines/command/command-template.js';
import { findReportSchema } from '../report/find-report-schema.js';
import type { StoredRun } from '../store/run-store.js';
import { resolvedFindConfigSchema } from './resolve-config.js';

export interface RunLabel {
  readonly model: string;
  readonly data: string;
}

/** What a run measured with, as far as the stored run says. */
export interface RunEngineFields {
  /** 'tfjs', 'fake', 'command', ...; undefined when the run does not say. */
  readonly engine?: string;
  /** The --cmd template of a command run. */
  readonly commandTemplate?: string;
}

/** The data of a command run whose report (or lack of one) does not name it. */
export const COMMAND_DATA_UNKNOWN = "(the command's)";
/** The workload data the command engine writes in its report: a placeholder, not a name. */
const COMMAND_DATA_PLACEHOLDER = 'from the command';

/**
 * The engine name and command template of a stored run, from its stored configuration (the one
 * schema, resolve-config.ts), else from its report's engine.
 */
export function runEngineFields(run: Pick<StoredRun, 'options' | 'report'>): RunEngineFields {
  const config = resolvedFindConfigSchema.safeParse(run.options);
  if (config.success) {
    const { engine, cmd } = config.data.settings;
    return { engine, ...(cmd !== undefined ? { commandTemplate: cmd } : {}) };
  }
  const report = findReportSchema.safeParse(run.report);
  if (!report.success) return {};
  const command = report.data.engine.details?.command;
  return {
    engine: report.data.engine.name,
    ...(typeof command === 'string' ? { commandTemplate: command } : {}),
  };
}

/** A file a program runs: a word with an extension (train.py, ./run.sh), not an option. */
const SCRIPT_WORD = /^[^-{][^{]*\.[A-Za-z0-9]+$/;

/**
 * A command template shortened to its program and script: `python3 train.py`, `node trainer.ts`
 * (paths reduced to their file names), `python -m pkg.train`; leading VAR=value words and `env`
 * are skipped; the program alone when no script is found.
 */
export function shortCommand(template: string): string {
  let words: string[];
  try {
    words = splitCommandLine(template);
  } catch {
    words = template.trim().split(/\s+/);
  }
  let start = 0;
  while (start < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[start] ?? '')) start++;
  if (words[start] === 'env') start++;
  while (start < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[start] ?? '')) start++;
  const program = words[start];
  if (program === undefined) return template.trim();
  const rest = words.slice(start + 1);
  const module = rest.indexOf('-m');
  const scriptIndex = rest.findIndex((word) => SCRIPT_WORD.test(word));
  if (module >= 0 && rest[module + 1] !== undefined && (scriptIndex < 0 || module < scriptIndex)) {
    return `${basename(program)} -m ${rest[module + 1]}`;
  }
  const script = rest[scriptIndex];
  return script !== undefined ? `${basename(program)} ${basename(script)}` : basename(program);
}

function isCommandRun(fields: RunEngineFields): boolean {
  return (
    fields.engine === 'command' ||
    (fields.engine === undefined && fields.commandTemplate !== undefined)
  );
}

/** A string field of a stored JSON object, if it is a non-empty string. */
function stringAt(value: unknown, ...path: string[]): string | undefined {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'string' && at !== '' ? at : undefined;
}

/** The model and data columns of a stored run. */
export function runLabel(run: Pick<StoredRun, 'options' | 'report' | 'spec'>): RunLabel {
  const fields = runEngineFields(run);
  const { commandTemplate } = fields;
  if (isCommandRun(fields)) {
    const data = stringAt(run.report, 'workload', 'data');
    return {
      model:
        commandTemplate !== undefined ? `command: ${shortCommand(commandTemplate)}` : 'command',
      data: data !== undefined && data !== COMMAND_DATA_PLACEHOLDER ? data : COMMAND_DATA_UNKNOWN,
    };
  }
  return {
    model: stringAt(run.spec, 'model') ?? '?',
    data: stringAt(run.spec, 'data') ?? '?',
  };
}

/**
 * A stored run's report to render (summary, HTML page) under the run's label: a command run's
 * report names the whole command template as its model; other reports are returned as they are.
 */
export function reportWithRunLabel<R extends { readonly workload: RunLabel }>(
  run: Pick<StoredRun, 'options' | 'report' | 'spec'>,
  report: R,
): R {
  if (!isCommandRun(runEngineFields(run))) return report;
  const { model, data } = runLabel(run);
  return { ...report, workload: { ...report.workload, model, data } };
}
