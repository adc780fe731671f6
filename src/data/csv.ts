// CSV tables of numeric features and one label column, read into a class data set. The file is
// streamed line by line (a quoted field may hold commas, doubled quotes and line breaks), so a
// large file is never held as one string; every value problem names the file and line, and
// quotes at most QUOTE_MAX_CHARS of the file (elided in the middle, control characters escaped).

import { defined } from '../errors.js';
import { elideMiddle, QUOTE_MAX_CHARS, quoteList, quoteText } from '../terminal-text.js';
import {
  createLabelEncoder,
  type Dataset,
  dataError,
  float32Builder,
  labelProblem,
  requireClassData,
  withFeatureStatistics,
} from './dataset.js';
import { readTextLines } from './text.js';

export interface TableOptions {
  /** The label column (field); default: one named 'label', else the last one. */
  readonly label?: string | undefined;
}

/** The fields of one CSV record (RFC 4180 quoting), or undefined while a quote is still open. */
export function parseCsvRecord(text: string): string[] | undefined {
  if (!text.includes('"')) return text.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = defined(text[i], 'text[i]');
    if (quoted) {
      if (char !== '"') field += char;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  if (quoted) return undefined;
  fields.push(field);
  return fields;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** The float32 value of a decimal number, or why it is not one (for `column "x" ...`). */
export function parseFeature(text: string): number | string {
  const trimmed = text.trim();
  if (trimmed === '') return 'is empty (missing values are not supported)';
  if (NON_FINITE.test(trimmed)) {
    return `is ${quote(trimmed)}: a NaN or infinite input poisons every gradient; remove the row or fill in the value`;
  }
  if (!DECIMAL.test(trimmed)) return `is not a number (${quote(trimmed)})`;
  const value = Number(trimmed);
  if (!Number.isFinite(Math.fround(value))) {
    return `is too large for float32 (${elideMiddle(trimmed)})`;
  }
  return value;
}

/** Text for a one-line message: at most QUOTE_MAX_CHARS, elided in the middle. */
export function shorten(text: string): string {
  return elideMiddle(text, QUOTE_MAX_CHARS);
}

/** A value for a one-line message: at most QUOTE_MAX_CHARS, escaped, in double quotes. */
export function quote(text: string): string {
  return quoteText(text);
}

/** Which column holds the label: `label` when given, else 'label', else the last column. */
export function chooseLabel(
  location: string,
  names: readonly string[],
  label: string | undefined,
  kind: 'column' | 'field',
): string {
  const chosen = label ?? (names.includes('label') ? 'label' : names.at(-1));
  if (chosen === undefined || !names.includes(chosen)) {
    throw dataError(
      location,
      `no label ${kind} ${quote(chosen ?? 'label')} (${kind}s: ${quoteList(names)})`,
    );
  }
  return chosen;
}

function readHeader(location: string, fields: readonly string[]): string[] {
  const names = fields.map((field) => field.trim());
  if (names.every((name) => typeof parseFeature(name) === 'number')) {
    throw dataError(location, 'the first row must be a header naming the columns, found numbers');
  }
  names.forEach((name, i) => {
    if (name === '') throw dataError(location, `column ${i + 1} of the header has no name`);
    if (names.indexOf(name) !== i) throw dataError(location, `column ${quote(name)} appears twice`);
  });
  return names;
}

/** Loads a CSV file with a header row: numeric feature columns and one label column. */
export async function loadCsv(path: string, options: TableOptions = {}): Promise<Dataset> {
  let columns: string[] | undefined;
  let labelIndex = -1;
  const features = float32Builder();
  const labels = createLabelEncoder();
  let pending: { text: string; lineNumber: number } | undefined;

  for await (const line of readTextLines(path)) {
    const text = pending ? `${pending.text}\n${line.text}` : line.text;
    const lineNumber = pending ? pending.lineNumber : line.lineNumber;
    const fields = parseCsvRecord(text);
    if (fields === undefined) {
      pending = { text, lineNumber };
      continue;
    }
    pending = undefined;
    if (fields.length === 1 && defined(fields[0], 'fields[0]').trim() === '') continue;
    const location = `${path}:${lineNumber}`;

    if (columns === undefined) {
      columns = readHeader(location, fields);
      if (columns.length < 2) {
        throw dataError(
          location,
          `found 1 column (${quote(defined(columns[0], 'columns[0]'))}); need at least one feature column and a label column`,
        );
      }
      labelIndex = columns.indexOf(chooseLabel(location, columns, options.label, 'column'));
      continue;
    }

    if (fields.length !== columns.length) {
      throw dataError(location, `expected ${columns.length} fields, found ${fields.length}`);
    }
    fields.forEach((field, i) => {
      if (i === labelIndex) {
        const value = field.trim();
        const problem = labelProblem(value);
        if (problem !== undefined)
          throw dataError(
            location,
            `label ${quote(defined(columns?.[i], 'the column name'))} ${problem}`,
          );
        labels.add(value);
        return;
      }
      const value = parseFeature(field);
      if (typeof value === 'string')
        throw dataError(
          location,
          `column ${quote(defined(columns?.[i], 'the column name'))} ${value}`,
        );
      features.push(value);
    });
  }

  if (pending) throw dataError(`${path}:${pending.lineNumber}`, 'a quoted field is never closed');
  if (columns === undefined) throw dataError(path, 'file is empty');
  const { targets, classNames } = labels.finish();
  if (targets.length === 0) throw dataError(path, 'no data rows after the header');
  const dataset: Dataset = {
    name: path,
    size: targets.length,
    inputShape: [columns.length - 1],
    inputDtype: 'float32',
    inputs: features.finish(),
    targets,
    target: { kind: 'classes', classes: classNames.length },
    classNames,
    featureNames: columns.filter((_, i) => i !== labelIndex),
  };
  requireClassData(path, dataset, {
    row: 'data row',
    labelKind: 'column',
    labelName: defined(columns[labelIndex], 'columns[labelIndex]'),
  });
  return withFeatureStatistics(dataset);
}
