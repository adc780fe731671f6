// One error class for everything a user can get wrong (bad input, impossible options).
// Expected outcomes of measurement (out of memory, divergence, a failed trial) are values
// in results, never errors.

export type ErrorCode =
  | 'invalid-argument'
  | 'invalid-option'
  | 'invalid-data'
  | 'insufficient-data';

export class BatchwiseError extends Error {
  override readonly name = 'BatchwiseError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Throws a BatchwiseError('invalid-argument') unless `value` is a finite number. */
export function requireFinite(name: string, value: number): number {
  if (!Number.isFinite(value)) {
    throw new BatchwiseError('invalid-argument', `${name} must be a finite number, got ${value}`);
  }
  return value;
}

/** Throws unless `value` is a finite number > 0. */
export function requirePositive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new BatchwiseError(
      'invalid-argument',
      `${name} must be a finite number > 0, got ${value}`,
    );
  }
  return value;
}

/** Throws unless `value` is an integer >= `min` (1 by default). */
export function requireInteger(name: string, value: number, min = 1): number {
  if (!(Number.isInteger(value) && value >= min)) {
    throw new BatchwiseError(
      'invalid-argument',
      `${name} must be an integer >= ${min}, got ${value}`,
    );
  }
  return value;
}

/**
 * `value`, or an internal error naming what is missing: for values that are there by
 * construction (an index in range, a gradient of every variable), where a missing one is a bug
 * in batchwise rather than anything the user did.
 */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`internal error: ${what} is missing`);
  return value;
}

/** The first line of any thrown value's message: what a one-line outcome or error shows. */
export function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]?.trim() ?? '';
}
