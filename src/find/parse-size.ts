// Sizes as people write them: "2GiB", "512MB", "1.5g", "1000000" (bytes).

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  tib: 1024 ** 4,
};

/** Bytes of a size such as "2GiB"; NaN when the text is not one. */
export function parseSizeBytes(text: string): number {
  const match = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[(match[2] || 'b').toLowerCase()] : undefined;
  return match && unit !== undefined ? Number(match[1]) * unit : Number.NaN;
}
