// JSON for the run store: measurements hold NaN and Infinity (a diverged loss, an unbounded
// throughput), which JSON cannot; they are written as {"$nonFinite": "NaN"} and read back as
// numbers, so a replayed measurement is the measurement that was recorded.

const TAG = '$nonFinite';

/** JSON text of a value, non-finite numbers tagged. */
export function toStoreJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? { [TAG]: String(v) } : v,
  );
}

/** The value of toStoreJson's text, non-finite numbers restored. */
export function fromStoreJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === TAG) return Number((v as Record<string, string>)[TAG]);
    }
    return v;
  }) as T;
}
