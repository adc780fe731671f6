// Text from users and their programs made safe to print: control characters and escape sequences
// shown escaped (ESC as \x1b, so `\x1b[31m` colours nothing), bidirectional overrides shown as
// \u202e, lone surrogates (what invalid UTF-8 or a cut pair leaves) replaced by U+FFFD, and long
// text elided in the middle. Every message that quotes a file, a value or a command's output
// goes through here, and main.ts passes every error line through terminalLine once more.

/** Characters of user content a message quotes at most. */
export const QUOTE_MAX_CHARS = 60;

/** Characters of one printed error line at most (its quoted parts are shorter still). */
export const LINE_MAX_CHARS = 600;

const ELLIPSIS = '…';

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** `text` cut to at most `maxChars` code units as head…tail, never splitting a surrogate pair. */
export function elideMiddle(text: string, maxChars = QUOTE_MAX_CHARS): string {
  if (text.length <= maxChars) return text;
  const kept = Math.max(0, maxChars - ELLIPSIS.length);
  let headEnd = Math.ceil(kept / 2);
  let tailStart = text.length - Math.floor(kept / 2);
  if (headEnd > 0 && isHighSurrogate(text.charCodeAt(headEnd - 1))) headEnd--;
  if (tailStart < text.length && isLowSurrogate(text.charCodeAt(tailStart))) tailStart++;
  return `${text.slice(0, headEnd)}${ELLIPSIS}${text.slice(tailStart)}`;
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  9: '\\t',
  10: '\\n',
  13: '\\r',
};

/** Format characters that reorder or hide text: bidi marks, embeddings, overrides, isolates. */
const isBidiControl = (code: number) =>
  code === 0x061c ||
  code === 0x200e ||
  code === 0x200f ||
  (code >= 0x202a && code <= 0x202e) ||
  (code >= 0x2066 && code <= 0x2069);

const hex = (code: number, digits: number) => code.toString(16).padStart(digits, '0');

function escapeUnsafe(text: string, keepLineBreaks: boolean): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let replacement: string | undefined;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      if (keepLineBreaks && (code === 0x0a || code === 0x09)) continue;
      replacement = NAMED_ESCAPES[code] ?? `\\x${hex(code, 2)}`;
    } else if (isBidiControl(code)) {
      replacement = `\\u${hex(code, 4)}`;
    } else if (isHighSurrogate(code)) {
      if (isLowSurrogate(text.charCodeAt(i + 1))) {
        i++;
        continue;
      }
      replacement = '\ufffd';
    } else if (isLowSurrogate(code)) {
      replacement = '\ufffd';
    } else continue;
    out += text.slice(start, i) + replacement;
    start = i + 1;
  }
  return start === 0 ? text : out + text.slice(start);
}

/**
 * One line for the terminal: elided to `maxChars` first (so a 3 MB value costs nothing), then
 * every control character escaped, line breaks included (\n, \r, \t, \x1b, \x07, …).
 */
export function terminalLine(text: string, maxChars = LINE_MAX_CHARS): string {
  return escapeUnsafe(elideMiddle(text, maxChars), false);
}

/** Like terminalLine, but line breaks and tabs are kept (for text of several lines). */
export function terminalText(text: string, maxChars = Number.POSITIVE_INFINITY): string {
  return escapeUnsafe(elideMiddle(text, maxChars), true);
}

/** User content for a message: at most QUOTE_MAX_CHARS (elided in the middle), escaped, in "". */
export function quoteText(text: string, maxChars = QUOTE_MAX_CHARS): string {
  return `"${terminalLine(text, maxChars).replaceAll('"', '\\"')}"`;
}

/** Names for a message: the first `maxNames` quoted, then how many more. */
export function quoteList(names: readonly string[], maxNames = 12): string {
  const shown = names.slice(0, maxNames).map((name) => quoteText(name));
  return names.length > maxNames
    ? `${shown.join(', ')}, … (${names.length} in all)`
    : shown.join(', ');
}
