// Store faults, each reproduced for real in this process (as root too): a write through SQLite's
// read-only connection (SQLITE_READONLY), a store path under a regular file (ENOTDIR from mkdir),
// a store whose runs page was overwritten (SQLITE_CORRUPT), and a version-1 store (read as it
// is, migrated in place when opened for writing). Permission and read-only-folder conditions
// need another user: test/cli/store.test.ts runs the binary as one.

import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BatchwiseError } from '../../src/errors.js';
import { RunStore } from '../../src/store/run-store.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-faults-'));

function faultOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(BatchwiseError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('expected a BatchwiseError');
}

/** A closed store (WAL checkpointed into the file) with two runs and some events. */
function storeWithRuns(name: string): { path: string; ids: string[] } {
  const path = join(dir, `${name}.sqlite`);
  const store = RunStore.open(path);
  const ids = [0, 1].map((i) => {
    const id = store.createRun({ command: ['find'], options: { i }, spec: { model: 'mlp' } });
    for (let k = 0; k < 20; k++) store.appendEvent(id, 'phase', { kind: 'phase', k });
    store.setStatus(id, 'complete', { status: 'complete' });
    return id;
  });
  store.close();
  return { path, ids };
}

/** Overwrites the b-tree page header of a table's root page (a page in the middle of the file). */
function corruptTable(path: string, table: string): void {
  const db = new Database(path, { readonly: true });
  const { rootpage } = db
    .prepare("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(table) as { rootpage: number };
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  db.close();
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(16, 0xff), 0, 16, (rootpage - 1) * pageSize);
  closeSync(fd);
}

describe('store faults', () => {
  it('a write through a read-only connection is the read-only line (SQLITE_READONLY)', () => {
    const { path, ids } = storeWithRuns('readonly');
    const before = readFileSync(path);
    const store = RunStore.open(path, { readOnly: true });
    expect(store.listRuns()).toHaveLength(2);
    const message = faultOf(() => store.createRun({ command: [], options: {}, spec: {} }));
    expect(message).toBe(
      `the run store ${path} is read-only (SQLite: attempt to write a readonly database); use --store PATH for another file or --no-store`,
    );
    expect(faultOf(() => store.appendEvent(ids[0]!, 'phase', {}))).toMatch(/is read-only/);
    store.close();
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a store path under a regular file is one line naming the folder (ENOTDIR)', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder\n');
    const path = join(file, 'sub', 'runs.sqlite');
    expect(faultOf(() => RunStore.open(path))).toBe(
      `cannot create the run store ${path}: the folder ${join(file, 'sub')} cannot be created: part of its path is a file (ENOTDIR); use --store PATH for another file or --no-store`,
    );
  });

  it('a damaged page: reading, looking up and opening for writing each give the line; the file is left unchanged', () => {
    const { path, ids } = storeWithRuns('damaged');
    corruptTable(path, 'runs');
    const before = readFileSync(path);
    const damaged = new RegExp(
      `^the run store ${path} is damaged \\(.+\\); it was left unchanged: move it away to start a new store, or use --store PATH for another file$`,
    );
    const reader = RunStore.open(path, { readOnly: true }); // meta is sound: it opens
    expect(faultOf(() => reader.listRuns())).toMatch(damaged);
    expect(faultOf(() => reader.getRun(ids[0]!))).toMatch(damaged);
    expect(faultOf(() => reader.latestResumable())).toMatch(damaged);
    expect(reader.events(ids[0]!)).toHaveLength(20); // the events pages are sound
    reader.close();
    expect(faultOf(() => RunStore.open(path))).toMatch(damaged);
    expect(faultOf(() => RunStore.open(path))).toMatch(/integrity check: .*page/);
    expect(readFileSync(path).equals(before)).toBe(true);
    // WAL readers may leave an empty -wal beside it: nothing was written there either.
    if (existsSync(`${path}-wal`)) expect(readFileSync(`${path}-wal`)).toHaveLength(0);
  });

  it('a damaged events page is the same line from events()', () => {
    const { path, ids } = storeWithRuns('damaged-events');
    corruptTable(path, 'events');
    const reader = RunStore.open(path, { readOnly: true });
    expect(reader.listRuns()).toHaveLength(2);
    expect(faultOf(() => reader.events(ids[1]!))).toMatch(
      /is damaged \(database disk image is malformed\)/,
    );
    reader.close();
  });

  it('a version-1 store is read as it is, and migrated in place when opened for writing', () => {
    const path = join(dir, 'version1.sqlite');
    // What batchwise of schema version 1 wrote: no leases table.
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE runs (id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
        command TEXT NOT NULL, options TEXT NOT NULL, spec TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted', 'failed')),
        report TEXT);
      CREATE TABLE events (run_id TEXT NOT NULL REFERENCES runs(id), sequence INTEGER NOT NULL,
        kind TEXT NOT NULL, payload TEXT NOT NULL, time TEXT NOT NULL, PRIMARY KEY (run_id, sequence));
      INSERT INTO meta VALUES ('application', 'batchwise-run-store'), ('schemaVersion', '1');
      INSERT INTO runs VALUES ('20261126-095012-a3f1', '2026-11-26T09:50:12.000Z',
        '2026-11-26T09:50:12.000Z', '[]', '{}', '{"model":"mlp"}', 'running', NULL);
      PRAGMA application_id = ${0x42775253};
      PRAGMA user_version = 1;
    `);
    db.close();
    const before = readFileSync(path);
    const reader = RunStore.open(path, { readOnly: true });
    expect(reader.schemaVersion()).toBe(1);
    expect(reader.listRuns().map((r) => r.id)).toEqual(['20261126-095012-a3f1']);
    expect(reader.runLiveness('20261126-095012-a3f1')).toEqual({ state: 'unknown' });
    reader.close();
    expect(readFileSync(path).equals(before)).toBe(true);

    const writer = RunStore.open(path);
    expect(writer.schemaVersion()).toBe(2);
    expect(writer.runLiveness('20261126-095012-a3f1')).toEqual({ state: 'gone' });
    writer.claimRun('20261126-095012-a3f1');
    expect(writer.getRun('20261126').status).toBe('running');
    writer.close();
    const meta = new Database(path, { readonly: true });
    expect(meta.prepare("SELECT value FROM meta WHERE key = 'schemaVersion'").get()).toEqual({
      value: '2',
    });
    meta.close();
  });
});
