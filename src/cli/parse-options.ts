// Parsing and validating command-line values: each failure is one BatchwiseError line naming the
// option and what it accepts.

import { BatchwiseError } from '../errors.js';
import { parseSizeBytes } from '../find/parse-size.js';

/** "2GiB", "512MB", "1.5g", "1000000" (bytes) -> bytes. */
export function parseSize(option: string, text: string): number {
  const value = parseSizeBytes(text);
  if (!(Number.isFinite(value) && value > 0)) {
    throw new BatchwiseError(
      'invalid-option',
      `${option} must be a size such as 2GiB, 512MB or 1e9 (bytes), got "${text}"`,
    );
  }
  return Math.floor(value);
}

export function parsePositiveInteger(option: string, text: string): number {
  const value = Number(text);
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new BatchwiseError(
      'invalid-option',
      `${option} must be a whole number >= 1, got "${text}"`,
    );
  }
  return value;
}

export function parseNonNegativeInteger(option: string, text: string): number {
  const value = Number(text);
  if (!(Number.isInteger(value) && value >= 0)) {
    throw new BatchwiseError(
      'invalid-option',
      `${option} must be a whole number >= 0, got "${text}"`,
    );
  }
  return value;
}

export function parsePositiveNumber(option: string, text: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) {
    throw new BatchwiseError('invalid-option', `${option} must be a number > 0, got "${text}"`);
  }
  return value;
}

export function parseFiniteNumber(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || text.trim() === '') {
    throw new BatchwiseError('invalid-option', `${option} must be a number, got "${text}"`);
  }
  return value;
}

export function parseChoice<T extends string>(
  option: string,
  text: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new BatchwiseError(
      'invalid-option',
      `${option} must be one of ${choices.join(', ')}, got "${text}"`,
    );
  }
  return text as T;
}

/** Repeated "key=value" pairs -> a record; numbers stay numbers. */
export function parseKeyValues(
  option: string,
  pairs: readonly string[],
): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const pair of pairs) {
    const index = pair.indexOf('=');
    if (index <= 0)
      throw new BatchwiseError('invalid-option', `${option} takes key=value, got "${pair}"`);
    const key = pair.slice(0, index).trim();
    const raw = pair.slice(index + 1).trim();
    const asNumber = Number(raw);
    out[key] = raw !== '' && Number.isFinite(asNumber) ? asNumber : raw;
  }
  return out;
}
