// A status line under a log, as hyperfine, listr2 and ora draw it: finished items are printed as
// permanent lines, and one line below them says what is running now, redrawn every second (a
// timer) so that elapsed time and ETA move while a long step runs; the status line is erased at
// the end and the log stays. In a pipe, a log file, under TERM=dumb or with --quiet there is no
// status line: plain lines only, never a carriage return or an escape sequence.
//
// What is drawn is a pure function of the state (the renderers of find-progress.ts and
// sweep-progress.ts); StatusWriter is the thin part that writes to the stream.

import { terminalLine } from '../terminal-text.js';

/** The columns a terminal that reports none (0 or undefined) is taken to have. */
export const DEFAULT_COLUMNS = 80;

/** Seconds between two redraws of the status line. */
export const REDRAW_INTERVAL_MS = 1000;

const CLEAR_LINE = '\r\x1b[2K';
const ELLIPSIS = '…';
const ESC = 0x1b;
const BEL = 0x07;
/** The width a line may take: the reported columns when positive, else 80. */
export function terminalColumns(columns: number | undefined): number {
  return columns !== undefined && Number.isFinite(columns) && columns > 0
    ? Math.floor(columns)
    : DEFAULT_COLUMNS;
}

/**
 * `text` cut to fit one line of `columns` columns (one column is left free: writing the last one
 * wraps on many terminals), an ellipsis marking the cut. Escape sequences take no column and are
 * kept whole, never cut in the middle; a cut after one of them ends with a reset.
 */
export function fitToWidth(text: string, columns: number | undefined): string {
  const max = Math.max(1, terminalColumns(columns) - 1);
  let visible = 0;
  let out = '';
  let sawEscape = false;
  // Where the last visible character sits in `out`, to replace it by the ellipsis.
  let lastStart = 0;
  let lastSize = 0;
  for (let i = 0; i < text.length; ) {
    if (text.charCodeAt(i) === ESC) {
      const size = escapeLength(text, i);
      out += text.slice(i, i + size);
      sawEscape = true;
      i += size;
      continue;
    }
    const code = text.codePointAt(i) ?? 0;
    const size = code > 0xffff ? 2 : 1;
    if (visible === max) {
      // One more visible character does not fit: the last kept one becomes the ellipsis.
      out = `${out.slice(0, lastStart)}${ELLIPSIS}${out.slice(lastStart + lastSize)}`;
      return sawEscape ? `${out}${String.fromCharCode(ESC)}[0m` : out;
    }
    lastStart = out.length;
    lastSize = size;
    out += text.slice(i, i + size);
    visible++;
    i += size;
  }
  return out;
}

/**
 * The length of the escape sequence at `start` (text[start] is ESC): a CSI sequence (ESC [,
 * parameters, intermediates, a final byte), an OSC sequence (ESC ], up to BEL or ESC \), or ESC
 * and one character; a sequence cut short runs to the end of the text.
 */
function escapeLength(text: string, start: number): number {
  const kind = text[start + 1];
  let i = start + 2;
  if (kind === '[') {
    while (i < text.length && /[0-9;?]/.test(text[i] ?? '')) i++;
    while (i < text.length && /[ -/]/.test(text[i] ?? '')) i++;
    return Math.min(text.length, i + 1) - start;
  }
  if (kind === ']') {
    for (; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === BEL) return i + 1 - start;
      if (code === ESC && text[i + 1] === '\\') return i + 2 - start;
    }
    return text.length - start;
  }
  return Math.min(text.length, start + 2) - start;
}

/** A duration for a status line: 4.2s, 42s, 3m05s, 1h02m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  const whole = Math.floor(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** An estimate of the time left: a point estimate, or only a bound (a time budget's rest). */
export interface Eta {
  readonly seconds: number;
  readonly atMost?: boolean;
}

export function formatEta(eta: Eta | undefined): string | undefined {
  if (!eta) return undefined;
  return `ETA ${eta.atMost ? '≤ ' : ''}${formatDuration(eta.seconds)}`;
}

/** The parts of a status line joined; absent parts left out. */
export function joinParts(parts: readonly (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' · ');
}

/** The stream a StatusWriter writes to: process.stderr, or a fake one in tests. */
export interface StatusStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/**
 * Whether a stream gets the live status line: a terminal (isTTY) that is not TERM=dumb, and
 * progress not turned off.
 */
export function isLiveStream(
  stream: StatusStream,
  enabled: boolean,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return enabled && stream.isTTY === true && env.TERM !== 'dumb';
}

export interface StatusWriterOptions {
  /** The status line is drawn (a terminal), else plain lines only. */
  readonly live: boolean;
  /** Redraws per REDRAW_INTERVAL_MS from the first write on; 0 turns the timer off (tests). */
  readonly intervalMs?: number;
}

/**
 * Writes log lines and, when live, one status line below them. `render` gives the status line's
 * text at the moment of drawing (undefined: no status line now).
 */
export class StatusWriter {
  private drawn = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private finished = false;

  constructor(
    private readonly stream: StatusStream,
    private readonly render: () => string | undefined,
    private readonly options: StatusWriterOptions,
  ) {}

  get live(): boolean {
    return this.options.live;
  }

  /** A permanent line (user content in it is shown escaped, never interpreted). */
  log(line: string): void {
    if (this.finished) return;
    const safe = terminalLine(line, Number.POSITIVE_INFINITY);
    if (!this.options.live) {
      this.stream.write(`${safe}\n`);
      return;
    }
    this.stream.write(`${this.drawn ? CLEAR_LINE : ''}${safe}\n`);
    this.drawn = false;
    this.redraw();
  }

  /** Draws the status line again (the timer calls it every second). */
  redraw(): void {
    if (!this.options.live || this.finished) return;
    this.startTimer();
    const text = this.render();
    if (text === undefined) {
      if (this.drawn) this.stream.write(CLEAR_LINE);
      this.drawn = false;
      return;
    }
    const safe = terminalLine(text, Number.POSITIVE_INFINITY);
    this.stream.write(`${CLEAR_LINE}${fitToWidth(safe, this.stream.columns)}`);
    this.drawn = true;
  }

  /** Stops the timer and erases the status line; the log stays. */
  done(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.finished) return;
    this.finished = true;
    if (this.drawn) this.stream.write(CLEAR_LINE);
    this.drawn = false;
  }

  private startTimer(): void {
    const interval = this.options.intervalMs ?? REDRAW_INTERVAL_MS;
    if (this.timer !== undefined || interval <= 0) return;
    this.timer = setInterval(() => this.redraw(), interval);
    // The timer never keeps the process alive on its own.
    this.timer.unref?.();
  }
}
