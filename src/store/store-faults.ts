// Store faults as one line each: the SQLite and file-system errors that the run store can meet
// (a read-only file or folder, a folder that cannot be created, a damaged file, a lock held too
// long) turned into BatchwiseErrors that name the file and what to do. The one place that reads
// SQLite error codes: run-store.ts passes every error of its methods through `storeFault`.

import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BatchwiseError } from '../errors.js';

const ELSEWHERE = 'use --store PATH for another file or --no-store';

/** `the run store PATH is read-only (why); use --store PATH for another file or --no-store`. */
export function readOnlyStore(path: string, why: string): BatchwiseError {
  return new BatchwiseError(
    'invalid-option',
    `the run store ${path} is read-only (${why}); ${ELSEWHERE}`,
  );
}

/** A store whose pages SQLite cannot read: nothing was written to it. */
export function damagedStore(path: string, why: string): BatchwiseError {
  return new BatchwiseError(
    'invalid-data',
    `the run store ${path} is damaged (${why}); it was left unchanged: move it away to start a new store, or use --store PATH for another file`,
  );
}

/**
 * The folder of a new store could not be made, or is not writable: `folder` is the one that
 * failed (the first missing one mkdir could not create, or the store's folder itself).
 */
export function storeFolderFault(path: string, folder: string, error: unknown): BatchwiseError {
  return new BatchwiseError(
    'invalid-option',
    `cannot create the run store ${path}: ${folderReason(folder, error)}; ${ELSEWHERE}`,
  );
}

function folderReason(folder: string, error: unknown): string {
  const code = codeOf(error);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return existsSync(folder)
        ? `the folder ${folder} is not writable (permission denied)`
        : `the folder ${folder} cannot be created: ${dirname(folder)} is not writable (permission denied)`;
    case 'EROFS':
      return `the folder ${folder} is on a read-only file system`;
    case 'EEXIST':
      return `${folder} is a file, not a folder`;
    case 'ENOTDIR':
      return `the folder ${folder} cannot be created: part of its path is a file (ENOTDIR)`;
    case 'ENOSPC':
      return `the folder ${folder} cannot be created: the disk is full`;
    default:
      return `the folder ${folder} cannot be created (${messageOf(error)})`;
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether SQLite could not open the file for reading because WAL needs files it cannot create. */
export function isCannotOpenForReading(error: unknown): boolean {
  const code = codeOf(error);
  return (
    error instanceof Database.SqliteError &&
    code !== undefined &&
    (code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY'))
  );
}

/** Whether an error says the file's pages are not a readable SQLite database. */
export function isDamage(error: unknown): boolean {
  const code = codeOf(error);
  return (
    error instanceof Database.SqliteError &&
    code !== undefined &&
    (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
  );
}

/**
 * The one-line BatchwiseError for an error of the store at `path`: SQLite's (read-only, damaged,
 * locked, full, any other) and the file system's (permission, read-only file system). A
 * BatchwiseError passes unchanged; anything else (a bug, not a fault of the file) is returned as is.
 */
export function storeFault(path: string, error: unknown): unknown {
  if (error instanceof BatchwiseError) return error;
  const code = codeOf(error);
  if (code === undefined) return error;
  const message = messageOf(error);
  if (error instanceof Database.SqliteError) {
    if (code === 'SQLITE_READONLY_DIRECTORY')
      return readOnlyStore(path, `its folder ${dirname(path)} is not writable`);
    if (code.startsWith('SQLITE_READONLY')) return readOnlyStore(path, `SQLite: ${message}`);
    if (isDamage(error)) return damagedStore(path, message);
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      return new BatchwiseError(
        'invalid-data',
        `the run store ${path} stayed locked by another process for 5 s (${message}); try again when it is done`,
      );
    }
    if (code === 'SQLITE_FULL')
      return new BatchwiseError('invalid-data', `the disk of the run store ${path} is full`);
    if (code === 'SQLITE_CANTOPEN')
      return new BatchwiseError(
        'invalid-option',
        `cannot open the run store ${path} (${message}); ${ELSEWHERE}`,
      );
    return new BatchwiseError(
      'invalid-data',
      `the run store ${path} could not be read or written (${message}, ${code})`,
    );
  }
  if (code === 'EACCES' || code === 'EPERM') return readOnlyStore(path, 'permission denied');
  if (code === 'EROFS') return readOnlyStore(path, 'a read-only file system');
  return error;
}
