// Parses one line of the telemetry protocol (docs/protocol.md) into a typed event, or says in
// one line, naming the line number, why it cannot: not JSON, not an object, an unknown version
// or event, a missing field or a wrong type.

import type { z } from 'zod';
import { BatchwiseError } from '../errors.js';
import {
  TELEMETRY_EVENT_NAMES,
  TELEMETRY_PROTOCOL_VERSION,
  type TelemetryEvent,
  type TelemetryEventName,
} from './telemetry-events.js';
import { TELEMETRY_SCHEMAS } from './telemetry-schema.js';

export type TelemetryLineResult =
  | { readonly kind: 'event'; readonly event: TelemetryEvent }
  /** A blank line: nothing to read. */
  | { readonly kind: 'blank' }
  | { readonly kind: 'invalid'; readonly message: string };

/**
 * Bare NaN, Infinity and -Infinity tokens (what Python's json.dumps writes by default) become
 * the strings the protocol accepts; tokens inside strings are left alone.
 */
function quoteNonFiniteTokens(line: string): string {
  if (!/NaN|Infinity/.test(line)) return line;
  return line.replace(/"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g, (match, token: string | undefined) =>
    token ? `"${token}"` : match,
  );
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function valueAt(object: unknown, path: readonly PropertyKey[]): unknown {
  let current = object;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function issueMessage(issue: z.core.$ZodIssue, raw: unknown): string {
  const field = issue.path.map(String).join('.') || 'the event';
  const found = valueAt(raw, issue.path);
  if (issue.code === 'invalid_type' && found === undefined) return `missing "${field}"`;
  if (issue.code === 'invalid_type') {
    return `"${field}" must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}, got ${describe(found)}`;
  }
  if (issue.code === 'custom') return `"${field}": ${issue.message}`;
  return `"${field}": ${issue.message.replace(/^Invalid input: /, '')}, got ${describe(found)}`;
}

/** Parses one line; never throws. Line numbers are 1-based, as an editor shows them. */
export function safeParseTelemetryLine(line: string, lineNumber: number): TelemetryLineResult {
  const where = `telemetry line ${lineNumber}`;
  const text = line.trim();
  if (text === '') return { kind: 'blank' };
  let raw: unknown;
  try {
    raw = JSON.parse(quoteNonFiniteTokens(text));
  } catch {
    const preview = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    return { kind: 'invalid', message: `${where}: not JSON: ${preview}` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { kind: 'invalid', message: `${where}: expected a JSON object, got ${describe(raw)}` };
  }
  const record = raw as Record<string, unknown>;
  if (record.v === undefined) {
    return { kind: 'invalid', message: `${where}: missing "v" (the protocol version)` };
  }
  if (record.v !== TELEMETRY_PROTOCOL_VERSION) {
    return {
      kind: 'invalid',
      message: `${where}: protocol version ${JSON.stringify(record.v)} is not supported (this batchwise reads version ${TELEMETRY_PROTOCOL_VERSION})`,
    };
  }
  const name = record.event;
  if (typeof name !== 'string' || !(TELEMETRY_EVENT_NAMES as readonly string[]).includes(name)) {
    return {
      kind: 'invalid',
      message: `${where}: ${name === undefined ? 'missing "event"' : `unknown event ${JSON.stringify(name)}`} (expected ${TELEMETRY_EVENT_NAMES.join(', ')})`,
    };
  }
  const result = TELEMETRY_SCHEMAS[name as TelemetryEventName].safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const detail = issue ? issueMessage(issue, raw) : 'invalid';
    return { kind: 'invalid', message: `${where} (${name}): ${detail}` };
  }
  return { kind: 'event', event: result.data as TelemetryEvent };
}

/**
 * Parses one line of telemetry: the event, or undefined for a blank line. Throws a
 * BatchwiseError('invalid-data') whose one-line message names the line and the problem.
 */
export function parseTelemetryLine(line: string, lineNumber: number): TelemetryEvent | undefined {
  const result = safeParseTelemetryLine(line, lineNumber);
  if (result.kind === 'invalid') throw new BatchwiseError('invalid-data', result.message);
  return result.kind === 'event' ? result.event : undefined;
}
