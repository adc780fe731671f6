// Training logs as CSV: a header row, then one row per step. Columns are found by their common
// names (step, batch_size, seconds, loss, peak_bytes, grad_sq_norm_small / grad_sq_norm_big,
// grad_sq_norm_micro_0…, grad_sq_norm_rank_0…, micro_batch_size, loss_scale) or by `--map`.
// Every problem names the file and line.

import { parseCsvRecord, quote } from '../data/csv.js';
import { readTextLines } from '../data/text.js';
import { BatchwiseError, defined } from '../errors.js';
import { type FieldMapping, LOG_FIELDS, resolveFields, type ScalarField } from './field-map.js';
import { type FieldValues, stepFromFields } from './step-from-fields.js';
import type { LogStep, TrainingLog } from './training-log.js';

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE: Readonly<Record<string, number>> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

/** A cell's number; undefined when empty; NaN and inf as written by Python and pandas. */
function cellValue(text: string, where: () => string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (NUMBER.test(trimmed)) return Number(trimmed);
  const special = NON_FINITE[trimmed.toLowerCase()];
  if (special !== undefined) return special;
  throw new BatchwiseError('invalid-data', `${where()} is not a number (${quote(trimmed)})`);
}

export async function readCsvLog(file: string, mapping: FieldMapping = {}): Promise<TrainingLog> {
  let header: string[] | undefined;
  let columns: { field: ScalarField; index: number }[] = [];
  let microIndices: number[] = [];
  const steps: LogStep[] = [];
  const warnings: string[] = [];
  let pending = '';
  let pendingLine = 0;
  for await (const { text, lineNumber } of readTextLines(file)) {
    const joined = pending === '' ? text : `${pending}\n${text}`;
    const startLine = pending === '' ? lineNumber : pendingLine;
    const fields = parseCsvRecord(joined);
    if (fields === undefined) {
      pending = joined;
      pendingLine = startLine;
      continue;
    }
    pending = '';
    if (joined.trim() === '') continue;
    if (!header) {
      header = fields.map((f) => f.trim());
      const resolved = resolveFields(file, header, mapping, 'column');
      columns = Object.entries(resolved.scalars).map(([field, name]) => ({
        field: field as ScalarField,
        index: defined(header, 'header').indexOf(name),
      }));
      microIndices = resolved.micro.map((name) => defined(header, 'header').indexOf(name));
      const known = new Set<string>([...Object.values(resolved.scalars), ...resolved.micro]);
      const hasSomething = columns.some((c) => c.field !== 'step') || microIndices.length > 0;
      if (!hasSomething) {
        throw new BatchwiseError(
          'invalid-data',
          `${file}: line ${startLine}: the header names none of batchwise's fields (${LOG_FIELDS.join(', ')}); columns: ${header.join(', ')}; map them with --map field=column`,
        );
      }
      const unused = header.filter((h) => !known.has(h));
      if (unused.length > 0) warnings.push(`${file}: columns not used: ${unused.join(', ')}`);
      continue;
    }
    if (fields.length !== header.length) {
      throw new BatchwiseError(
        'invalid-data',
        `${file}: line ${startLine}: ${fields.length} fields, the header has ${header.length}`,
      );
    }
    const scalars: Partial<Record<ScalarField, number>> = {};
    for (const { field, index } of columns) {
      const value = cellValue(
        defined(fields[index], 'fields[index]'),
        () => `${file}: line ${startLine}: column "${defined(header, 'header')[index]}"`,
      );
      if (value !== undefined) scalars[field] = value;
    }
    const values: FieldValues = {
      scalars,
      micro: microIndices.map((index) =>
        cellValue(
          defined(fields[index], 'fields[index]'),
          () => `${file}: line ${startLine}: column "${defined(header, 'header')[index]}"`,
        ),
      ),
    };
    steps.push(
      stepFromFields(values, { file, unit: 'line', index: startLine }, steps.length, warnings),
    );
  }
  if (pending !== '')
    throw new BatchwiseError(
      'invalid-data',
      `${file}: line ${pendingLine}: a quoted field is never closed`,
    );
  if (!header) throw new BatchwiseError('invalid-data', `${file}: the file is empty (no header)`);
  if (steps.length === 0)
    throw new BatchwiseError('invalid-data', `${file}: a header but no rows (no training step)`);
  return { file, format: 'csv', steps, outOfMemoryBatchSizes: [], warnings };
}
