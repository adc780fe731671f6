// Which column (CSV) or tag (TensorBoard) holds each of batchwise's fields: the defaults accept
// the common names, `--map field=column` overrides them for logs that name things differently.

import { BatchwiseError } from '../errors.js';

/** batchwise's fields, as `--map` names them. */
export const LOG_FIELDS = [
  'step',
  'batchSize',
  'seconds',
  'loss',
  'peakBytes',
  'lossScale',
  'sqNorm',
  'smallSqNorm',
  'smallBatchSize',
  'microSqNorms',
] as const;

export type LogField = (typeof LOG_FIELDS)[number];
export type ScalarField = Exclude<LogField, 'microSqNorms'>;

/** What each field means, for help texts and docs. */
export const FIELD_MEANINGS: Readonly<Record<LogField, string>> = {
  step: 'optimizer step number',
  batchSize: 'global batch of the step, in examples',
  seconds: 'seconds the step took',
  loss: 'training loss',
  peakBytes: 'peak memory in bytes',
  lossScale: 'dynamic loss scale the norms were taken at (divided out, squared)',
  sqNorm: 'squared norm of the accumulated or all-reduced gradient (the big batch)',
  smallSqNorm: 'squared norm of one small batch (a micro-batch or one rank), paired with sqNorm',
  smallBatchSize: 'examples in one micro-batch or one rank',
  microSqNorms: 'squared norms of each micro-batch or rank (a column prefix ending in *)',
};

// Default names, compared after normalising (lowercase, every run of other characters -> '_').
const ALIASES: Readonly<Record<ScalarField, readonly string[]>> = {
  step: ['step', 'global_step', 'iteration', 'iter'],
  batchSize: ['batch_size', 'batchsize', 'global_batch_size', 'batch'],
  seconds: ['seconds', 'step_seconds', 'step_time', 'step_time_seconds', 'time_per_step'],
  loss: ['loss', 'train_loss', 'training_loss'],
  peakBytes: ['peak_bytes', 'peak_memory_bytes', 'max_memory_allocated'],
  lossScale: ['loss_scale', 'grad_scale'],
  sqNorm: [
    'grad_sq_norm_big',
    'grad_sq_norm',
    'accumulated_sq_norm',
    'all_reduced_sq_norm',
    'global_grad_sq_norm',
  ],
  smallSqNorm: ['grad_sq_norm_small'],
  smallBatchSize: ['batch_size_small', 'micro_batch_size', 'micro_batch', 'rank_batch_size'],
};

/** Default prefixes of per-micro-batch or per-rank columns, followed by the index. */
const MICRO_PATTERN = /^(?:grad_sq_norm_(?:micro|rank)|micro_sq_norm|rank_sq_norm)_?(\d+)$/;

export function normaliseName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/** The user's `--map field=column` pairs, validated. */
export type FieldMapping = Partial<Record<LogField, string>>;

export function parseFieldMapping(pairs: readonly string[]): FieldMapping {
  const mapping: FieldMapping = {};
  for (const pair of pairs) {
    const index = pair.indexOf('=');
    const field = pair.slice(0, Math.max(0, index)).trim();
    const column = pair.slice(index + 1).trim();
    if (index <= 0 || column === '') {
      throw new BatchwiseError('invalid-option', `--map takes field=column, got "${pair}"`);
    }
    if (!(LOG_FIELDS as readonly string[]).includes(field)) {
      throw new BatchwiseError(
        'invalid-option',
        `--map: unknown field "${field}"; the fields are ${LOG_FIELDS.join(', ')}`,
      );
    }
    mapping[field as LogField] = column;
  }
  return mapping;
}

/** Fields resolved to the names present in one file. */
export interface ResolvedFields {
  readonly scalars: Partial<Record<ScalarField, string>>;
  /** Per-micro-batch or per-rank names, in index order. */
  readonly micro: readonly string[];
}

function lastSegment(name: string): string {
  const parts = name.split('/');
  return normaliseName(parts[parts.length - 1] ?? name);
}

/**
 * Resolve every field against the names a file holds (CSV columns, TensorBoard tags). A mapped
 * name must exist (else one error naming the file and the names it has); a default matches the
 * whole normalised name or, for tags like `train/loss`, its last path segment.
 */
export function resolveFields(
  file: string,
  names: readonly string[],
  mapping: FieldMapping,
  what: 'column' | 'tag',
): ResolvedFields {
  const available = (list: readonly string[]) =>
    list.length > 12
      ? `${list.slice(0, 12).join(', ')}, … (${list.length})`
      : list.join(', ') || 'none';
  const scalars: Partial<Record<ScalarField, string>> = {};
  for (const field of LOG_FIELDS) {
    if (field === 'microSqNorms') continue;
    const mapped = mapping[field];
    if (mapped !== undefined) {
      if (!names.includes(mapped)) {
        throw new BatchwiseError(
          'invalid-data',
          `${file}: --map ${field}=${mapped}: no ${what} "${mapped}" (the ${what}s are ${available(names)})`,
        );
      }
      scalars[field] = mapped;
      continue;
    }
    const aliases = ALIASES[field];
    const found =
      names.find((n) => aliases.includes(normaliseName(n))) ??
      names.find((n) => aliases.includes(lastSegment(n)));
    if (found !== undefined && !Object.values(scalars).includes(found)) scalars[field] = found;
  }
  const prefix = mapping.microSqNorms;
  let micro: { name: string; index: number }[];
  if (prefix !== undefined) {
    const stem = prefix.endsWith('*') ? prefix.slice(0, -1) : undefined;
    micro =
      stem === undefined
        ? prefix.split(',').map((name, index) => ({ name: name.trim(), index }))
        : names
            .filter((n) => n.startsWith(stem) && /^\d+$/.test(n.slice(stem.length)))
            .map((name) => ({ name, index: Number(name.slice(stem.length)) }));
    const missing = micro.find((m) => !names.includes(m.name));
    if (missing || micro.length === 0) {
      throw new BatchwiseError(
        'invalid-data',
        `${file}: --map microSqNorms=${prefix}: no ${what} ${missing ? `"${missing.name}"` : `matches ${prefix} (a prefix followed by 0, 1, …)`} (the ${what}s are ${available(names)})`,
      );
    }
  } else {
    micro = names.flatMap((name) => {
      const match =
        MICRO_PATTERN.exec(normaliseName(name)) ?? MICRO_PATTERN.exec(lastSegment(name));
      return match ? [{ name, index: Number(match[1]) }] : [];
    });
  }
  micro.sort((a, b) => a.index - b.index);
  return { scalars, micro: micro.map((m) => m.name) };
}
