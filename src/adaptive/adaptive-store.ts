// Records a finished adaptive run in the run store (docs/store.md): options {kind: 'adaptive',
// ...settings}, spec {model, data} (the columns of `batchwise runs`), one 'adaptive-change'
// event per change of batch, and the whole history as the run's report. A diverged run is
// 'failed', any other 'complete'.

import { RunStore } from '../store/run-store.js';
import type { AdaptiveHistory } from './adaptive-history.js';

export const ADAPTIVE_RUN_KIND = 'adaptive';

export function storeAdaptiveRun(
  path: string,
  history: AdaptiveHistory,
  label: { model: string; data: string },
): string {
  const store = RunStore.open(path);
  try {
    const id = store.createRun({
      command: ['fitAdaptive'],
      options: { kind: ADAPTIVE_RUN_KIND, ...history.settings },
      spec: label,
    });
    for (const change of history.changes) store.appendEvent(id, 'adaptive-change', change);
    store.setStatus(id, history.outcome.kind === 'diverged' ? 'failed' : 'complete', {
      ...history,
      runId: id,
    });
    return id;
  } finally {
    store.close();
  }
}
