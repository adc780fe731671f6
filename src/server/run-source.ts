// The dashboard's view of the run store: opened lazily, so that `batchwise serve` can start before
// the first `batchwise find` creates the file (a missing or empty file reads as no runs), and
// never created or written by the dashboard. Ids come from URLs only as exact matches.

import { existsSync, statSync } from 'node:fs';
import { RunStore, type StoredEvent, type StoredRun } from '../store/run-store.js';

/** The shape of every run id (20261126-095012-a3f1): anything else is not looked up at all. */
export const RUN_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

export class RunSource {
  private store: RunStore | undefined;

  constructor(readonly path: string) {}

  /**
   * Opens the store when its file exists and is not empty (a file being created by `find` is
   * empty until its schema commits). A file that is not a batchwise store throws BatchwiseError.
   */
  private open(): RunStore | undefined {
    if (this.store) return this.store;
    if (!existsSync(this.path) || statSync(this.path).size === 0) return undefined;
    this.store = RunStore.open(this.path, { readOnly: true });
    return this.store;
  }

  /** Checks the store now (at start): throws the one-line error of a foreign or corrupt file. */
  check(): void {
    this.open();
  }

  listRuns(): StoredRun[] {
    return this.open()?.listRuns() ?? [];
  }

  /** The run with this exact id; undefined for an unknown or malformed id. */
  run(id: string): StoredRun | undefined {
    if (!RUN_ID_PATTERN.test(id)) return undefined;
    return this.open()?.findRun(id);
  }

  events(id: string, afterSequence = 0): StoredEvent[] {
    return this.open()?.events(id, afterSequence) ?? [];
  }

  close(): void {
    this.store?.close();
    this.store = undefined;
  }
}
