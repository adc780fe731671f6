import { describe, expect, it } from 'vitest';
import {
  elideMiddle,
  quoteList,
  quoteText,
  terminalLine,
  terminalText,
} from '../src/terminal-text.js';

describe('elideMiddle', () => {
  it('keeps short text and cuts long text to head…tail of the given length', () => {
    expect(elideMiddle('short')).toBe('short');
    const long = `${'a'.repeat(100)}${'z'.repeat(100)}`;
    const cut = elideMiddle(long);
    expect(cut).toHaveLength(60);
    expect(cut).toBe(`${'a'.repeat(30)}…${'z'.repeat(29)}`);
    expect(elideMiddle('abcdefghij', 5)).toBe('ab…ij');
  });

  it('never splits a surrogate pair', () => {
    const cut = elideMiddle('😀'.repeat(50), 10);
    expect(cut).toBe('😀😀…😀😀');
  });

  it('costs nothing on 3 MB', () => {
    expect(elideMiddle('x'.repeat(3_000_000))).toHaveLength(60);
  });
});

describe('terminalLine', () => {
  it('shows control characters and escape sequences escaped', () => {
    expect(terminalLine('\x1b[31mboom\x1b[0m\x07')).toBe('\\x1b[31mboom\\x1b[0m\\x07');
    expect(terminalLine('a\nb\r\tc\x00\x7f\x9b')).toBe('a\\nb\\r\\tc\\x00\\x7f\\x9b');
    expect(terminalLine('evil\u202eTXT.exe')).toBe('evil\\u202eTXT.exe');
  });

  it('replaces lone surrogates and keeps well-formed text as it is', () => {
    expect(terminalLine('a\ud800b\udc00c')).toBe('a\ufffdb\ufffdc');
    expect(terminalLine('naïve 😀 ok ✓')).toBe('naïve 😀 ok ✓');
  });

  it('elides before escaping, so the escapes are never cut', () => {
    const line = terminalLine(`\x1b${'x'.repeat(1000)}\x1b`, 20);
    expect(line.startsWith('\\x1b')).toBe(true);
    expect(line.endsWith('\\x1b')).toBe(true);
    expect(line).toContain('…');
  });
});

describe('terminalText', () => {
  it('keeps line breaks and tabs, escapes the rest', () => {
    expect(terminalText('line 1\n\tline 2\r\n\x1b[2J')).toBe('line 1\n\tline 2\\r\n\\x1b[2J');
  });
});

describe('quoteText and quoteList', () => {
  it('quotes at most 60 characters, escaped', () => {
    expect(quoteText('a"b')).toBe('"a\\"b"');
    expect(quoteText('y'.repeat(1000))).toBe(`"${'y'.repeat(30)}…${'y'.repeat(29)}"`);
    expect(quoteText('\x1b[1m')).toBe('"\\x1b[1m"');
  });

  it('lists a dozen names, then how many there are', () => {
    expect(quoteList(['a', 'b'])).toBe('"a", "b"');
    const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
    expect(quoteList(names)).toBe(
      `${names
        .slice(0, 12)
        .map((n) => `"${n}"`)
        .join(', ')}, … (20 in all)`,
    );
  });
});
