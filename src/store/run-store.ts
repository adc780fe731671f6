// The run store: every `find` run and each of its measurements, written as they happen to one
// SQLite file (better-sqlite3, WAL mode, one small transaction per event), so that a killed run
// keeps everything it committed and can be resumed. A file that is not a batchwise store (not
// SQLite, corrupt, or SQLite without batchwise's meta table) is refused with one line and never
// written to: it is checked read-only before anything opens it for writing. One process at a time
// writes a run: it holds the run's lease (pid, host) until it ends or dies. Every SQLite error is
// one line (store-faults.ts).

import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BatchwiseError } from '../errors.js';
import { currentProcess, isCurrentProcess, isWriterAlive, type RunWriter } from './run-lease.js';
import {
  damagedStore,
  isCannotOpenForReading,
  isDamage,
  readOnlyStore,
  storeFault,
  storeFolderFault,
} from './store-faults.js';
import { fromStoreJson, toStoreJson } from './store-json.js';

export type { RunWriter } from './run-lease.js';

/** The `meta` row that marks a batchwise store, and the schema version this code writes. */
export const STORE_APPLICATION = 'batchwise-run-store';
export const STORE_SCHEMA_VERSION = 2;
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

/** Version 2: the process writing each run (a version-1 store gets it when opened for writing). */
const LEASES = `
CREATE TABLE leases (
  run_id TEXT PRIMARY KEY REFERENCES runs(id),
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  process_start TEXT,
  since TEXT NOT NULL
);
`;

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
${LEASES}`;

const SQLITE_MAGIC = 'SQLite format 3\0';

function notAStore(path: string, why: string): BatchwiseError {
  return new BatchwiseError(
    'invalid-data',
    `${path} is not a batchwise run store (${why}); it was left unchanged (use --store to pick another file)`,
  );
}

/** The first 100 bytes of a file: SQLite's header (magic, then application_id at 68). */
function header(path: string): Buffer {
  const buffer = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  try {
    const read = readSync(fd, buffer, 0, 100, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * A read-only connection to an existing file. In a folder where SQLite cannot create the -shm
 * file WAL needs (a read-only folder or file system), the file is read into memory instead and
 * opened from there, its header marked as not WAL: a snapshot, exact since no writer can work in
 * such a folder either.
 */
function openReadOnly(full: string): Database.Database {
  const db = new Database(full, { readonly: true, fileMustExist: true });
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (error) {
    db.close();
    if (!isCannotOpenForReading(error)) throw error;
  }
  const bytes = readFileSync(full);
  // Bytes 18 and 19: the file format write and read versions, 2 for WAL, 1 for a rollback journal.
  if (bytes.length >= 20) bytes.fill(1, 18, 20);
  return new Database(bytes, { readonly: true });
}

/**
 * Opens an existing file read-only and checks it is a batchwise store of a schema version this
 * code reads (1 to STORE_SCHEMA_VERSION); with `check`, that SQLite finds every page sound
 * (PRAGMA quick_check). Returns the open connection.
 */
function openVerified(path: string, full: string, check: boolean): Database.Database {
  let head: Buffer;
  try {
    head = header(full);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new BatchwiseError('invalid-option', `cannot read the run store ${path} (${code})`);
  }
  if (head.subarray(0, 16).toString('latin1') !== SQLITE_MAGIC)
    throw notAStore(path, 'not an SQLite database');
  // A damaged file that says it is batchwise's is named damaged, not foreign.
  const ours = head.length >= 72 && head.readUInt32BE(68) === APPLICATION_ID;
  let db: Database.Database | undefined;
  try {
    db = openReadOnly(full);
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
    if (!(Number.isInteger(version) && version >= 1 && version <= STORE_SCHEMA_VERSION)) {
      throw new BatchwiseError(
        'invalid-data',
        `${path} is a batchwise run store of schema version ${meta.get('schemaVersion')}; this batchwise reads versions 1 to ${STORE_SCHEMA_VERSION} (the file was left unchanged)`,
      );
    }
    if (check) {
      // quick_check(1): 'ok', or '*** in database main ***' and the first problem found.
      const result = String(db.pragma('quick_check(1)', { simple: true }));
      if (result !== 'ok') {
        const problem = result.split('\n').find((line) => !line.startsWith('***')) ?? result;
        throw damagedStore(path, `integrity check: ${problem.trim()}`);
      }
    }
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof BatchwiseError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (isDamage(error))
      throw ours ? damagedStore(path, message) : notAStore(path, `unreadable: ${message}`);
    throw storeFault(path, error);
  }
}

/** Creates the folder of a new store; a folder that cannot hold it is one line. */
function makeFolder(path: string, full: string): void {
  const folder = dirname(full);
  try {
    mkdirSync(folder, { recursive: true });
    accessSync(folder, constants.W_OK);
  } catch (error) {
    // mkdir names the folder it could not make (the first missing one); access, the store's own.
    throw storeFolderFault(path, (error as NodeJS.ErrnoException).path ?? folder, error);
  }
}

/** Refuses, in one line, an existing store that this process cannot write (file or folder). */
function requireWritable(path: string, full: string): void {
  try {
    accessSync(full, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw readOnlyStore(
      path,
      code === 'EROFS' ? 'a read-only file system' : 'the file is not writable',
    );
  }
  try {
    accessSync(dirname(full), constants.W_OK);
  } catch {
    throw readOnlyStore(
      path,
      `its folder ${dirname(path)} is not writable, and SQLite needs to create ${path}-wal there`,
    );
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

interface LeaseRow {
  pid: number;
  host: string;
  process_start: string | null;
  since: string;
}

function writerOf(row: LeaseRow): RunWriter {
  return { pid: row.pid, host: row.host, processStart: row.process_start, since: row.since };
}

/**
 * Whether a run has a live writer: `live` while a process that is alive (or on another host,
 * where it cannot be checked) holds its lease; `gone` when none does (the run ended, or its
 * process was killed); `unknown` in a version-1 store, which keeps no leases.
 */
export type RunLiveness =
  | { readonly state: 'live'; readonly writer: RunWriter }
  | { readonly state: 'gone'; readonly writer?: RunWriter }
  | { readonly state: 'unknown' };

/** The status to show for a run: a `running` run without a live writer was killed. */
export function displayStatus(run: StoredRun, liveness: RunLiveness): RunStatus | 'killed' {
  return run.status === 'running' && liveness.state === 'gone' ? 'killed' : run.status;
}

/** `run RUN is being measured by process PID on HOST since TIME; wait for it or stop it first`. */
function runHeld(runId: string, writer: RunWriter): BatchwiseError {
  return new BatchwiseError(
    'invalid-argument',
    `run ${runId} is being measured by process ${writer.pid} on ${writer.host} since ${writer.since}; wait for it or stop it first`,
  );
}

/** A run id that sorts by time: 20261126-095012-a3f1. */
function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const random = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `${stamp}-${random}`;
}

export interface OpenStoreOptions {
  /** false: a missing file is an error instead of being created. */
  readonly create?: boolean;
  /**
   * Open for reading only (commands that only read: runs, show, report RUN, serve): never
   * created, migrated or written; readable in a read-only folder; a version-1 store as it is.
   */
  readonly readOnly?: boolean;
}

export class RunStore {
  /** The runs this connection claimed, released by close(). */
  private readonly claimed = new Set<string>();

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {}

  /**
   * Opens the store at `path`, creating it (and its folder) when absent. An existing file is
   * verified read-only first: anything but a batchwise store of a schema this code reads is
   * refused; a damaged one too, and a version-1 store gets the lease table (version 2).
   * With `create: false` a missing file is an error; with `readOnly` the store is only read.
   * Every fault (read-only file or folder, damaged file, folder that cannot be made) is one
   * BatchwiseError line.
   */
  static open(path: string, options: OpenStoreOptions = {}): RunStore {
    const full = resolve(path);
    const exists = existsSync(full);
    if (!exists && (options.create === false || options.readOnly)) {
      throw new BatchwiseError(
        'invalid-argument',
        `no run store at ${path} (batchwise find creates it; --store PATH picks another)`,
      );
    }
    if (exists && statSync(full).isDirectory()) throw notAStore(path, 'a directory');
    if (options.readOnly) return new RunStore(path, openVerified(path, full, false));
    const fresh = !exists || statSync(full).size === 0;
    if (!fresh) openVerified(path, full, true).close();
    if (exists) requireWritable(path, full);
    else makeFolder(path, full);
    let db: Database.Database | undefined;
    try {
      db = new Database(full);
      db.pragma('journal_mode = WAL');
      // With WAL, NORMAL loses no committed transaction when the process dies (only on power loss).
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      const opened = db;
      opened
        .transaction(() => {
          if (fresh) {
            opened.exec(SCHEMA);
            const insert = opened.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
            insert.run('application', STORE_APPLICATION);
            insert.run('schemaVersion', String(STORE_SCHEMA_VERSION));
            opened.pragma(`application_id = ${APPLICATION_ID}`);
            opened.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
          } else {
            migrate(opened);
          }
        })
        .immediate();
      return new RunStore(path, opened);
    } catch (error) {
      db?.close();
      throw storeFault(path, error);
    }
  }

  /** Runs `read` and turns any SQLite error into one BatchwiseError line. */
  private guard<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      throw storeFault(this.path, error);
    }
  }

  /** The journal mode in force ('wal'; 'memory' for a store read from a read-only folder). */
  journalMode(): string {
    return this.guard(() => String(this.db.pragma('journal_mode', { simple: true })));
  }

  /** The schema version of the file (1 for a version-1 store opened read-only). */
  schemaVersion(): number {
    return this.guard(() => Number(this.db.pragma('user_version', { simple: true })));
  }

  /** Creates a run, `running` and claimed by this process (see claimRun). */
  createRun(input: {
    command: readonly string[];
    options: unknown;
    spec: unknown;
    now?: Date;
  }): string {
    const now = input.now ?? new Date();
    const id = newRunId(now);
    this.guard(() =>
      this.db
        .transaction(() => {
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
          this.writeLease(id);
        })
        .immediate(),
    );
    this.claimed.add(id);
    return id;
  }

  /**
   * Makes this process the one writer of the run: atomically (BEGIN IMMEDIATE) records its pid,
   * host and start time as the run's lease. A lease of a process that no longer runs (killed, or
   * its pid reused) or of this very process is taken over; one of a live process is refused with
   * one line (`run RUN is being measured by process PID on HOST since TIME; wait for it or stop
   * it first`). Call it before measuring anything for a run found in the store (`--resume`);
   * createRun and setStatus(id, 'running') claim too. Idempotent.
   */
  claimRun(runId: string): void {
    this.guard(() =>
      this.db
        .transaction(() => {
          const exists = this.db.prepare('SELECT 1 FROM runs WHERE id = ?').get(runId);
          if (!exists)
            throw new BatchwiseError('invalid-argument', `no run "${runId}" in ${this.path}`);
          const holder = this.leaseOf(runId);
          if (holder && !isCurrentProcess(holder) && isWriterAlive(holder))
            throw runHeld(runId, holder);
          this.writeLease(runId);
        })
        .immediate(),
    );
    this.claimed.add(runId);
  }

  /** Ends this process's lease of the run (another process's lease is left alone). */
  releaseRun(runId: string): void {
    const me = currentProcess();
    this.guard(() =>
      this.db
        .prepare('DELETE FROM leases WHERE run_id = ? AND pid = ? AND host = ?')
        .run(runId, me.pid, me.host),
    );
    this.claimed.delete(runId);
  }

  /** Whether a process is measuring the run now (see RunLiveness). */
  runLiveness(runId: string): RunLiveness {
    return this.guard(() => {
      if (!this.hasLeases()) return { state: 'unknown' };
      const writer = this.leaseOf(runId);
      if (!writer) return { state: 'gone' };
      return isWriterAlive(writer) ? { state: 'live', writer } : { state: 'gone', writer };
    });
  }

  private hasLeases(): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'leases'")
        .get() !== undefined
    );
  }

  private leaseOf(runId: string): RunWriter | undefined {
    const row = this.db
      .prepare('SELECT pid, host, process_start, since FROM leases WHERE run_id = ?')
      .get(runId) as LeaseRow | undefined;
    return row ? writerOf(row) : undefined;
  }

  private writeLease(runId: string): void {
    const me = currentProcess();
    this.db
      .prepare(
        'INSERT OR REPLACE INTO leases (run_id, pid, host, process_start, since) VALUES (?, ?, ?, ?, ?)',
      )
      .run(runId, me.pid, me.host, me.processStart, new Date().toISOString());
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
    return this.guard(() => append.immediate());
  }

  /**
   * Sets the run's status (and report). `running` claims the run first (refused while another
   * live process holds it); an ending status (complete, interrupted, failed) releases the lease.
   */
  setStatus(runId: string, status: RunStatus, report?: unknown): void {
    if (status === 'running') this.claimRun(runId);
    this.guard(() =>
      this.db
        .prepare(
          'UPDATE runs SET status = ?, updated = ?, report = COALESCE(?, report) WHERE id = ?',
        )
        .run(
          status,
          new Date().toISOString(),
          report !== undefined ? toStoreJson(report) : null,
          runId,
        ),
    );
    if (status !== 'running') this.releaseRun(runId);
  }

  /** Every run, newest first. */
  listRuns(): StoredRun[] {
    return this.guard(() => {
      const rows = this.db
        .prepare('SELECT * FROM runs ORDER BY created DESC, id DESC')
        .all() as RunRow[];
      return rows.map(runOf);
    });
  }

  /** The run with this id, or the only one whose id starts with it; one clear line otherwise. */
  getRun(idOrPrefix: string): StoredRun {
    return this.guard(() => {
      const exact = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(idOrPrefix) as
        | RunRow
        | undefined;
      if (exact) return runOf(exact);
      const matches = this.db
        .prepare('SELECT * FROM runs WHERE substr(id, 1, length(?)) = ? ORDER BY id')
        .all(idOrPrefix, idOrPrefix) as RunRow[];
      const [only] = matches;
      if (matches.length === 1 && only) return runOf(only);
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
    });
  }

  /** The newest run that did not end: interrupted, or still 'running' after a kill. */
  /** The newest run that stopped early (running or interrupted), of those `accept` takes. */
  latestResumable(accept: (run: StoredRun) => boolean = () => true): StoredRun | undefined {
    return this.guard(() => {
      const rows = this.db
        .prepare(
          "SELECT * FROM runs WHERE status IN ('running', 'interrupted') ORDER BY created DESC, id DESC",
        )
        .all() as RunRow[];
      return rows.map(runOf).find(accept);
    });
  }

  /** The run with exactly this id, or undefined (no prefix matching: for ids from URLs). */
  findRun(id: string): StoredRun | undefined {
    return this.guard(() => {
      const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
      return row ? runOf(row) : undefined;
    });
  }

  /** A run's events in order; with `afterSequence`, only those committed after it. */
  events(runId: string, afterSequence = 0): StoredEvent[] {
    return this.guard(() => {
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
    });
  }

  /** Releases the leases this connection claimed, then closes it. */
  close(): void {
    for (const runId of [...this.claimed]) {
      try {
        this.releaseRun(runId);
      } catch {
        // A store that cannot be written any more: the lease dies with this process anyway.
      }
    }
    this.db.close();
  }
}

/** Brings a store opened for writing to STORE_SCHEMA_VERSION (inside a write transaction). */
function migrate(db: Database.Database): void {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schemaVersion'").get() as
    | { value: string }
    | undefined;
  if (Number(row?.value) >= 2) return;
  db.exec(LEASES);
  db.prepare("UPDATE meta SET value = ? WHERE key = 'schemaVersion'").run(
    String(STORE_SCHEMA_VERSION),
  );
  db.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
}
