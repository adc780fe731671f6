// Number formatting shared by the human-readable outputs (terminal, Markdown).

export { formatBytes } from '../analysis/memory-model.js';

/** 3 significant digits, thousands separated; "–" for null, NaN or infinite values. */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toString();
}

/** " (fails by 5,900)": the smallest batch that failed above the memory ceiling, if any. */
export function failsBy(failedAt: number | null | undefined): string {
  return failedAt !== undefined && failedAt !== null ? ` (fails by ${formatNumber(failedAt)})` : '';
}

export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(0)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toPrecision(3)} ms`;
  return `${seconds.toPrecision(3)} s`;
}

/** A Markdown or terminal table from a header and rows, columns padded to equal width. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  markdown = false,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    markdown
      ? `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
      : cells
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd();
  const separator = markdown
    ? `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`
    : widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), separator, ...rows.map(line)].join('\n');
}
