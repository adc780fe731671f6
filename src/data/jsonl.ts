// JSON Lines (one object per line) read into a class data set. The features are either an array
// of numbers in a field `x` or `features`, or the numeric fields of the first record other than
// the label, in that record's order; the label is chosen as for CSV. Streamed line by line.

import { chooseLabel, quote, shorten, type TableOptions } from './csv.js';
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

type JsonObject = Record<string, unknown>;

/** Where the features of every record are, decided by the first record. */
type Layout =
  | { readonly kind: 'array'; readonly field: string; readonly width: number }
  | { readonly kind: 'fields'; readonly names: readonly string[] };

const ARRAY_FIELDS = ['x', 'features'];

/** A JSON value for a message: `null`, `an array`, `an object`, or its kind and value. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const kind =
    typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : 'a boolean';
  return `${kind} (${shorten(JSON.stringify(value))})`;
}

function parseRecord(location: string, text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw dataError(location, `not valid JSON: ${shorten(text.trim())}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw dataError(location, `expected a JSON object, found ${describe(value)}`);
  }
  return value as JsonObject;
}

function chooseLayout(
  location: string,
  record: JsonObject,
  label: string,
  arrayField: string | undefined,
): Layout {
  if (arrayField !== undefined) {
    const width = (record[arrayField] as unknown[]).length;
    if (width === 0) throw dataError(location, `field "${arrayField}" is an empty array`);
    return { kind: 'array', field: arrayField, width };
  }
  const names = Object.keys(record).filter(
    (name) => name !== label && typeof record[name] === 'number',
  );
  if (names.length === 0) {
    throw dataError(
      location,
      `no numeric fields besides the label ${quote(label)} and no "x" or "features" array`,
    );
  }
  return { kind: 'fields', names };
}

function requireNumber(location: string, name: string, value: unknown): number {
  if (value === undefined) throw dataError(location, `field ${name} is missing`);
  if (typeof value !== 'number') {
    throw dataError(location, `field ${name} must be a number, found ${describe(value)}`);
  }
  if (!Number.isFinite(Math.fround(value))) {
    throw dataError(location, `field ${name} is too large for float32 (${value})`);
  }
  return value;
}

function labelText(location: string, name: string, value: unknown): string {
  if (value === undefined) throw dataError(location, `field ${quote(name)} is missing`);
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw dataError(
      location,
      `label ${quote(name)} must be an integer or a string, found ${describe(value)}`,
    );
  }
  const text = String(value).trim();
  const problem = labelProblem(text);
  if (problem !== undefined) throw dataError(location, `label ${quote(name)} ${problem}`);
  return text;
}

/** Loads a JSON Lines file: one object per line, numeric features and one label field. */
export async function loadJsonl(path: string, options: TableOptions = {}): Promise<Dataset> {
  let layout: Layout | undefined;
  let label = '';
  const features = float32Builder();
  const labels = createLabelEncoder();

  for await (const { text, lineNumber } of readTextLines(path)) {
    if (text.trim() === '') continue;
    const location = `${path}:${lineNumber}`;
    const record = parseRecord(location, text);
    if (layout === undefined) {
      const arrayField = ARRAY_FIELDS.find(
        (name) => name !== options.label && Array.isArray(record[name]),
      );
      const names = Object.keys(record).filter((name) => name !== arrayField);
      label = chooseLabel(location, names, options.label, 'field');
      layout = chooseLayout(location, record, label, arrayField);
    }
    labels.add(labelText(location, label, record[label]));
    if (layout.kind === 'fields') {
      for (const name of layout.names) {
        features.push(requireNumber(location, quote(name), record[name]));
      }
      continue;
    }
    const field = layout.field;
    const values = record[field];
    if (values === undefined) throw dataError(location, `field "${field}" is missing`);
    if (!Array.isArray(values)) {
      throw dataError(
        location,
        `field "${layout.field}" must be an array of numbers, found ${describe(values)}`,
      );
    }
    if (values.length !== layout.width) {
      throw dataError(
        location,
        `field "${field}" has ${values.length} value${values.length === 1 ? '' : 's'}, expected ${layout.width} as in the first record`,
      );
    }
    values.forEach((value, i) => {
      features.push(requireNumber(location, `"${field}" item ${i}`, value));
    });
  }

  const { targets, classNames } = labels.finish();
  if (layout === undefined) throw dataError(path, 'file is empty');
  const dataset: Dataset = {
    name: path,
    size: targets.length,
    inputShape: [layout.kind === 'array' ? layout.width : layout.names.length],
    inputDtype: 'float32',
    inputs: features.finish(),
    targets,
    target: { kind: 'classes', classes: classNames.length },
    classNames,
    featureNames:
      layout.kind === 'array'
        ? Array.from({ length: layout.width }, (_, i) => `${layout.field}[${i}]`)
        : layout.names,
  };
  requireClassData(path, dataset, { row: 'record', labelKind: 'field', labelName: label });
  return withFeatureStatistics(dataset);
}
