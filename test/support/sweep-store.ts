// A run store with two sweep runs for the dashboard and CLI tests: one finished by the real
// `batchwise sweep --engine fake --store` (batches 8 and 64, two repeats), and a running copy of
// it holding its configuration and the events up to the end of its second trial.

import { RunStore } from '../../src/store/run-store.js';
import { batchwise } from './run-cli.js';

export interface SweepStore {
  readonly done: string;
  readonly live: string;
  /** Trials the running copy has finished. */
  readonly liveFinished: number;
}

export async function makeSweepStore(storePath: string): Promise<SweepStore> {
  const result = await batchwise(
    'sweep',
    '--engine',
    'fake',
    '--batches',
    '8,64',
    '--target-loss',
    '0.5',
    '--repeats',
    '2',
    // One rate per batch: 4 trials (tuned, the default, would be 12).
    '--lr-rule',
    'linear',
    '--quiet',
    '--store',
    storePath,
  );
  if (result.code !== 0) throw new Error(result.stderr);
  const store = RunStore.open(storePath);
  try {
    const [finished] = store.listRuns();
    if (!finished) throw new Error('the sweep stored no run');
    const events = store.events(finished.id);
    let ends = 0;
    const upTo = events.findIndex(
      (e) => (e.payload as { type?: string }).type === 'trial-end' && ++ends === 2,
    );
    const live = store.createRun({
      command: finished.command,
      options: finished.options,
      spec: finished.spec,
      now: new Date(Date.now() + 2000),
    });
    for (const e of events.slice(0, upTo + 1)) store.appendEvent(live, e.kind, e.payload);
    return { done: finished.id, live, liveFinished: 2 };
  } finally {
    store.close();
  }
}
