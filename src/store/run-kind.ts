// Which job a stored run belongs to: a sweep's options say `kind: "sweep"`; every other run is a
// find (runs stored before sweeps existed included).

import type { StoredRun } from './run-store.js';

export type RunKind = 'find' | 'sweep';

export function runKind(run: Pick<StoredRun, 'options'>): RunKind {
  const options = run.options as { kind?: unknown } | null | undefined;
  return options?.kind === 'sweep' ? 'sweep' : 'find';
}
