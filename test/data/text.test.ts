import { describe, expect, it } from 'vitest';
import { gatherBatch } from '../../src/data/dataset.js';
import { buildVocabulary, loadText, readTextLines, tokenize } from '../../src/data/text.js';
import { fixtureFolder } from './fixtures.js';

const { write } = fixtureFolder('text');
let files = 0;
const fixture = (text: string) => write(`text-${files++}.txt`, text);

describe('tokenize', () => {
  it('lowercases and splits words from punctuation, keeping inner apostrophes', () => {
    expect(tokenize("Don't stop, Élodie: 3.5 km!")).toEqual([
      "don't",
      'stop',
      ',',
      'élodie',
      ':',
      '3',
      '.',
      '5',
      'km',
      '!',
    ]);
    expect(tokenize('  \n\t ')).toEqual([]);
  });
});

describe('buildVocabulary', () => {
  it('puts <pad> and <unk> first, then tokens by frequency, ties alphabetical, up to the size', () => {
    const counts = new Map([
      ['b', 2],
      ['a', 2],
      ['c', 5],
      ['d', 1],
    ]);
    expect(buildVocabulary(counts, 10)).toEqual(['<pad>', '<unk>', 'c', 'a', 'b', 'd']);
    expect(buildVocabulary(counts, 4)).toEqual(['<pad>', '<unk>', 'c', 'a']);
    expect(() => buildVocabulary(counts, 2)).toThrow(/vocabularySize must be an integer >= 3/);
  });
});

describe('readTextLines', () => {
  it('numbers lines from 1, drops a byte-order mark and treats CRLF as one break', async () => {
    const lines = [];
    for await (const line of readTextLines(fixture('\uFEFFone\r\n\r\nthree'))) lines.push(line);
    expect(lines).toEqual([
      { text: 'one', lineNumber: 1 },
      { text: '', lineNumber: 2 },
      { text: 'three', lineNumber: 3 },
    ]);
  });
});

describe('loadText', () => {
  it('cuts the token stream into next-token windows and pads the last one', async () => {
    // Tokens: the cat sat . the cat ran  (7 tokens, 6 prediction pairs)
    const data = await loadText(fixture('The cat sat.\nThe cat ran'), {
      sequenceLength: 4,
      vocabularySize: 5,
    });
    expect(data.vocabulary).toEqual(['<pad>', '<unk>', 'cat', 'the', '.']);
    expect(data.paddingId).toBe(0);
    expect(data.target).toEqual({ kind: 'next-token', vocabularySize: 5 });
    expect(data.inputShape).toEqual([4]);
    expect(data.inputDtype).toBe('int32');
    expect(data.size).toBe(2);
    // ids: the=3 cat=2 sat=<unk>1 .=4 the=3 cat=2 ran=<unk>1
    expect([...data.inputs]).toEqual([3, 2, 1, 4, 3, 2, 0, 0]);
    expect([...data.targets]).toEqual([2, 1, 4, 3, 2, 1, 0, 0]);
    expect(gatherBatch(data, [0, 1]).tokens).toBe(6);
    expect(gatherBatch(data, [1]).tokens).toBe(2);
  });

  it('fills every window when the pairs divide evenly', async () => {
    const data = await loadText(fixture('a b c d e'), { sequenceLength: 2 });
    expect(data.size).toBe(2);
    expect(data.targets).not.toContain(0);
  });

  it('rejects an empty file and a file of one token', async () => {
    for (const text of ['', ' \n\n ']) {
      const path = fixture(text);
      await expect(loadText(path)).rejects.toMatchObject({
        code: 'invalid-data',
        message: `${path}: file is empty`,
      });
    }
    const path = fixture('hello\n');
    await expect(loadText(path)).rejects.toMatchObject({
      code: 'invalid-data',
      message: `${path}: found only 1 token; at least 2 are needed (an input and its next token)`,
    });
  });
});
