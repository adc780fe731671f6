// Plain text for language modelling: a simple tokenizer (lowercased words and punctuation marks),
// a vocabulary by frequency (<pad> = 0, <unk> = 1) and a next-token data set of consecutive
// windows. Also the streamed line reader that the text-based loaders (CSV, JSONL) share, so that
// a large file is never held as one string.

// biome-ignore-all lint/style/noNonNullAssertion: tight loops over typed arrays whose indices are in range by construction (bounded by the arrays' lengths or by sizes checked on entry)

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { requireInteger } from '../errors.js';
import {
  type Dataset,
  dataError,
  int32Builder,
  requireRegularFile,
  unreadableFileError,
} from './dataset.js';

export const PAD_TOKEN = '<pad>';
export const UNKNOWN_TOKEN = '<unk>';
export const PAD_ID = 0;
export const UNKNOWN_ID = 1;

export interface TextLine {
  readonly text: string;
  /** 1-based, counting blank lines. */
  readonly lineNumber: number;
}

/**
 * The lines of a UTF-8 file, streamed (a byte-order mark is dropped, CRLF is one break; invalid
 * UTF-8 reads as U+FFFD). Only a regular file is opened, and a NUL byte ends the reading with a
 * one-line error: text never holds one, so the file is binary.
 */
export async function* readTextLines(path: string): AsyncGenerator<TextLine> {
  await requireRegularFile(path);
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  let binaryAt: number | undefined;
  try {
    for await (const text of lines) {
      lineNumber++;
      if (text.includes('\0')) {
        binaryAt = lineNumber;
        break;
      }
      yield { text: lineNumber === 1 ? text.replace(/^\uFEFF/, '') : text, lineNumber };
    }
  } catch (error) {
    // Only read errors land here: a consumer's own exceptions end the loop without entering it.
    throw unreadableFileError(path, error);
  } finally {
    lines.close();
    stream.destroy();
  }
  if (binaryAt !== undefined) {
    throw dataError(`${path}:${binaryAt}`, 'holds a NUL byte: this is a binary file, not text');
  }
}

// A word is a run of letters, marks and digits, with inner apostrophes (don't, l'homme); every
// other non-space character is a token of its own.
const TOKEN = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;

/** Lowercased words and punctuation marks, in order. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

/**
 * id -> token: `<pad>`, `<unk>`, then the most frequent tokens (ties in code-unit order) until
 * `vocabularySize` entries.
 */
export function buildVocabulary(
  counts: ReadonlyMap<string, number>,
  vocabularySize: number,
): string[] {
  requireInteger('vocabularySize', vocabularySize, 3);
  const byFrequency = [...counts].sort(([a, countA], [b, countB]) =>
    countA !== countB ? countB - countA : a < b ? -1 : a > b ? 1 : 0,
  );
  return [
    PAD_TOKEN,
    UNKNOWN_TOKEN,
    ...byFrequency.slice(0, vocabularySize - 2).map(([token]) => token),
  ];
}

export interface TextOptions {
  /** Tokens per example; default 32. */
  readonly sequenceLength?: number | undefined;
  /** Most entries in the vocabulary, `<pad>` and `<unk>` included; default 5000. */
  readonly vocabularySize?: number | undefined;
}

/**
 * A next-token data set from a text file: the token stream cut into consecutive windows of
 * `sequenceLength` inputs, each target the token that follows its input; the last window is
 * filled up with `<pad>` (paddingId 0), so that real target tokens can be counted.
 */
export async function loadText(path: string, options: TextOptions = {}): Promise<Dataset> {
  const sequenceLength = requireInteger('sequenceLength', options.sequenceLength ?? 32);
  const vocabularySize = requireInteger('vocabularySize', options.vocabularySize ?? 5000, 3);

  // One pass: tokens get provisional ids in order of first appearance, remapped at the end.
  const provisionalIds = new Map<string, number>();
  const counts: number[] = [];
  const stream = int32Builder();
  let sawText = false;
  for await (const { text } of readTextLines(path)) {
    if (/\S/.test(text)) sawText = true;
    for (const token of tokenize(text)) {
      let id = provisionalIds.get(token);
      if (id === undefined) {
        id = provisionalIds.size;
        provisionalIds.set(token, id);
        counts.push(0);
      }
      counts[id]!++;
      stream.push(id);
    }
  }
  if (!sawText) throw dataError(path, 'file is empty');
  const tokenCount = stream.length;
  if (tokenCount < 2) {
    throw dataError(
      path,
      'found only 1 token; at least 2 are needed (an input and its next token)',
    );
  }

  const vocabulary = buildVocabulary(
    new Map([...provisionalIds].map(([token, id]) => [token, counts[id]!])),
    vocabularySize,
  );
  const finalIds = new Int32Array(provisionalIds.size).fill(UNKNOWN_ID);
  vocabulary.forEach((token, id) => {
    const before = provisionalIds.get(token);
    if (before !== undefined) finalIds[before] = id;
  });
  const ids = stream.finish();
  for (let i = 0; i < ids.length; i++) ids[i] = finalIds[ids[i]!]!;

  // Position p predicts p + 1, for p = 0 .. T-2; window w holds positions w·L .. w·L + L - 1.
  const pairCount = tokenCount - 1;
  const size = Math.ceil(pairCount / sequenceLength);
  const inputs = new Int32Array(size * sequenceLength).fill(PAD_ID);
  const targets = new Int32Array(size * sequenceLength).fill(PAD_ID);
  inputs.set(ids.subarray(0, pairCount));
  targets.set(ids.subarray(1, pairCount + 1));
  return {
    name: path,
    size,
    inputShape: [sequenceLength],
    inputDtype: 'int32',
    inputs,
    targets,
    target: { kind: 'next-token', vocabularySize: vocabulary.length },
    vocabulary,
    paddingId: PAD_ID,
  };
}
