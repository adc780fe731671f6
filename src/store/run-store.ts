// The run store: every `find` run and each of its measurements, written as they happen to one
// SQLite file (better-sqlite3, WAL mode, one small transaction per event), so that a killed run
// keeps everything it committed and can be resumed. A file that is not a batchwise store (not
// SQLite, corrupt, or SQLite without batchwise's meta table) is refused with one line and never
// written to: it is checked read-only before anything opens it for writing.

import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BatchwiseError } from '../errors.js';
import { fromStoreJson, toStoreJson } from './store-json.js';

/** The `meta` row that marks a batchwise store, and the schema version this code writes. */
export const STORE_APPLICATION = 'batchwise-run-store';
export const STORE_SCHEMA_VERSION = 1;
/** SQLite's header field for the application, 'BwRS'. */
const APPLICATION_ID = 0x42775253;

export const DEFAULT_STORE_PATH = join('.batchwise', 'runs.sqlite');

/** The store used without --store: $BATCHWISE_STORE when set, else .batchwise/runs.sqlite here. */
export function defaultStorePath(): string {
  return process.env.BATCHWISE_STORE || DEFAULT_STORE_PATH;
}

export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'complete', 'interrupted', 'failed'];

export interface StoredRun {
  readonly id: string;
  /** ISO time the run was created. */
  readonly created: string;
  readonly updated: string;
  /** The command-line arguments of the run. */
  readonly command: readonly string[];
  /** The engine and settings the run measures with (JSON, owned by the command). */
  readonly options: unknown;
  /** The workload spec (JSON). */
  readonly spec: unknown;
  readonly status: RunStatus;
  /** The final report (JSON) once the run ended; undefined while running or after a kill. */
  readonly report?: unknown;
}

export interface StoredEvent {
  readonly sequence: number;
  readonly kind: string;
  readonly payload: unknown;
  readonly time: string;
}

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  command TEXT NOT NULL,
  options TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted', 'failed')),
  report TEXT
);
CREATE TABLE events (
  run_id TEXT NOT NULL REFERENCES runs(id),
  sequence INTEGER NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  time TEXT NOT NULL,
  PRIMARY KEY (run_id, sequence)
);
`;

const SQLITE_MAGIC = 'SQLite format 3\0';

function notAStore(path: string, why: string): BatchwiseError {
  return new BatchwiseError(
    'invalid-data',
    `${path} is not a batchwise run store (${why}); it was left unchanged (use --store to pick another file)`,
  );
}

/** The first 16 bytes of a file. */
function header(path: string): string {
  const buffer = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    const read = readSync(fd, buffer, 0, 16, 0);
    return buffer.subarray(0, read).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** Read-only check of an existing file: SQLite, readable, with batchwise's meta and version. */
function verifyExisting(path: string): void {
  if (header(path) !== SQLITE_MAGIC) throw notAStore(path, 'not an SQLite database');
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const hasMeta = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
      .get();
    if (!hasMeta) throw notAStore(path, 'an SQLite database without batchwise meta');
    const rows = db.prepare('SELECT key, value FROM meta').all() as {
      key: string;
      value: string;
    }[];
    const meta = new Map(rows.map((r) => [r.key, r.value]));
    if (meta.get('application') !== STORE_APPLICATION)
      throw notAStore(path, 'an SQLite database of another application');
    const version = Number(meta.get('schemaVersion'));
    if (version !== STORE_SCHEMA_VERSION) {
      throw new BatchwiseError(
        'invalid-data',
        `${path} is a batchwise run store of schema version ${meta.get('schemaVersion')}; this batchwise reads version ${STORE_SCHEMA_VERSION} (the file was left unchanged)`,
      );
    }
  } catch (error) {
    if (error instanceof BatchwiseError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw notAStore(path, `unreadable: ${message}`);
  } finally {
    db?.close();
  }
}

interface RunRow {
  id: string;
  created: string;
  updated: string;
  command: string;
  options: string;
  spec: string;
  status: RunStatus;
  report: string | null;
}

function runOf(row: RunRow): StoredRun {
  return {
    id: row.id,
    created: row.created,
    updated: row.updated,
    command: fromStoreJson<string[]>(row.command),
    options: fromStoreJson(row.options),
    spec: fromStoreJson(row.spec),
    status: row.status,
    ...(row.report !== null ? { report: fromStoreJson(row.report) } : {}),
  };
}

/** A run id that sorts by time: 20261126-095012-a3f1. */
function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const random = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `${stamp}-${random}`;
}

export class RunStore {
  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {}

  /**
   * Opens the store at `path`, creating it (and its folder) when absent. An existing file is
   * verified read-only first: anything but a batchwise store of this schema is refused.
   * With `create: false` a missing file is an error (commands that only read).
   */
  static open(path: string, options: { create?: boolean } = {}): RunStore {
    const full = resolve(path);
    const exists = existsSync(full);
    if (!exists && options.create === false) {
      throw new BatchwiseError(
        'invalid-argument',
        `no run store at ${path} (batchwise find creates it; --store PATH picks another)`,
      );
    }
    if (exists && statSync(full).isDirectory()) throw notAStore(path, 'a directory');
    const fresh = !exists || statSync(full).size === 0;
    if (!fresh) verifyExisting(path);
    if (!exists) mkdirSync(dirname(full), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(full);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new BatchwiseError('invalid-option', `cannot open the run store ${path}: ${message}`);
    }
    db.pragma('journal_mode = WAL');
    // With WAL, NORMAL loses no committed transaction when the process dies (only on power loss).
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    if (fresh) {
      db.transaction(() => {
        db.exec(SCHEMA);
        const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
        insert.run('application', STORE_APPLICATION);
        insert.run('schemaVersion', String(STORE_SCHEMA_VERSION));
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
      })();
    }
    return new RunStore(path, db);
  }

  /** The journal mode in force ('wal'). */
  journalMode(): string {
    return String(this.db.pragma('journal_mode', { simple: true }));
  }

  createRun(input: {
    command: readonly string[];
    options: unknown;
    spec: unknown;
    now?: Date;
  }): string {
    const now = input.now ?? new Date();
    const id = newRunId(now);
    this.db
      .prepare(
        "INSERT INTO runs (id, created, updated, command, options, spec, status) VALUES (?, ?, ?, ?, ?, ?, 'running')",
      )
      .run(
        id,
        now.toISOString(),
        now.toISOString(),
        toStoreJson(input.command),
        toStoreJson(input.options),
        toStoreJson(input.spec),
      );
    return id;
  }

  /** Appends one event in its own transaction: committed when this returns. */
  appendEvent(runId: string, kind: string, payload: unknown): number {
    const append = this.db.transaction(() => {
      const last = this.db
        .prepare('SELECT MAX(sequence) AS last FROM events WHERE run_id = ?')
        .get(runId) as { last: number | null };
      const sequence = (last.last ?? 0) + 1;
      this.db
        .prepare(
          'INSERT INTO events (run_id, sequence, kind, payload, time) VALUES (?, ?, ?, ?, ?)',
        )
        .run(runId, sequence, kind, toStoreJson(payload), new Date().toISOString());
      return sequence;
    });
    return append.immediate();
  }

  setStatus(runId: string, status: RunStatus, report?: unknown): void {
    this.db
      .prepare('UPDATE runs SET status = ?, updated = ?, report = COALESCE(?, report) WHERE id = ?')
      .run(
        status,
        new Date().toISOString(),
        report !== undefined ? toStoreJson(report) : null,
        runId,
      );
  }

  /** Every run, newest first. */
  listRuns(): StoredRun[] {
    const rows = this.db
      .prepare('SELECT * FROM runs ORDER BY created DESC, id DESC')
      .all() as RunRow[];
    return rows.map(runOf);
  }

  /** The run with this id, or the only one whose id starts with it; one clear line otherwise. */
  getRun(idOrPrefix: string): StoredRun {
    const exact = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(idOrPrefix) as
      | RunRow
      | undefined;
    if (exact) return runOf(exact);
    const matches = this.db
      .prepare('SELECT * FROM runs WHERE substr(id, 1, length(?)) = ? ORDER BY id')
      .all(idOrPrefix, idOrPrefix) as RunRow[];
    if (matches.length === 1) return runOf(matches[0]!);
    if (matches.length > 1) {
      throw new BatchwiseError(
        'invalid-argument',
        `run "${idOrPrefix}" is ambiguous in ${this.path}: ${matches.map((m) => m.id).join(', ')}`,
      );
    }
    throw new BatchwiseError(
      'invalid-argument',
      `no run "${idOrPrefix}" in ${this.path} (batchwise runs lists them)`,
    );
  }

  /** The newest run that did not end: interrupted, or still 'running' after a kill. */
  latestResumable(): StoredRun | undefined {
    const row = this.db
      .prepare(
        "SELECT * FROM runs WHERE status IN ('running', 'interrupted') ORDER BY created DESC, id DESC LIMIT 1",
      )
      .get() as RunRow | undefined;
    return row ? runOf(row) : undefined;
  }

  /** The run with exactly this id, or undefined (no prefix matching: for ids from URLs). */
  findRun(id: string): StoredRun | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? runOf(row) : undefined;
  }

  /** A run's events in order; with `afterSequence`, only those committed after it. */
  events(runId: string, afterSequence = 0): StoredEvent[] {
    const rows = this.db
      .prepare(
        'SELECT sequence, kind, payload, time FROM events WHERE run_id = ? AND sequence > ? ORDER BY sequence',
      )
      .all(runId, afterSequence) as {
      sequence: number;
      kind: string;
      payload: string;
      time: string;
    }[];
    return rows.map((r) => ({ ...r, payload: fromStoreJson(r.payload) }));
  }

  close(): void {
    this.db.close();
  }
}
