// Which job a stored run belongs to: a sweep's options say `kind: "sweep"`, a fitAdaptive run's
// `kind: "adaptive"`; every other run is a find (runs stored before sweeps existed included).

import type { StoredRun } from './run-store.js';

export type RunKind = 'find' | 'sweep' | 'adaptive';

export function runKind(run: Pick<StoredRun, 'options'>): RunKind {
  const options = run.options as { kind?: unknown } | null | undefined;
  if (options?.kind === 'sweep') return 'sweep';
  return options?.kind === 'adaptive' ? 'adaptive' : 'find';
}
