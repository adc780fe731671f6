// Opens the logs given to `batchwise analyze`: the format from --format, else the file name
// (events.out.tfevents.*, .csv, .jsonl), else the first bytes; a directory is searched for
// TensorBoard event files (a TensorBoard log directory).

import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { requireRegularFile, unreadableFileError } from '../data/dataset.js';
import { BatchwiseError } from '../errors.js';
import { maskedCrc32c } from './crc32c.js';
import { readCsvLog } from './csv-log.js';
import type { FieldMapping } from './field-map.js';
import { readProtocolLog } from './protocol-log.js';
import { readTfEventsLog } from './tfevents-log.js';
import type { LogFormat, TrainingLog } from './training-log.js';

export const LOG_FORMATS: readonly LogFormat[] = ['jsonl', 'csv', 'tfevents'];

export interface ReadLogOptions {
  readonly format?: LogFormat | undefined;
  readonly mapping?: FieldMapping;
}

async function firstBytes(file: string, count: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(count);
    const { bytesRead } = await handle.read(buffer, 0, count, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The format of one file, from its name or its first bytes. */
export async function detectLogFormat(file: string): Promise<LogFormat> {
  const name = file.toLowerCase();
  if (name.includes('tfevents')) return 'tfevents';
  if (name.endsWith('.csv')) return 'csv';
  if (/\.(jsonl|ndjson)$/.test(name)) return 'jsonl';
  let head: Uint8Array;
  try {
    head = await firstBytes(file, 512);
  } catch (error) {
    throw unreadableFileError(file, error);
  }
  if (head.length === 0) throw new BatchwiseError('invalid-data', `${file}: the file is empty`);
  if (
    head.length >= 12 &&
    new DataView(head.buffer, head.byteOffset).getUint32(8, true) ===
      maskedCrc32c(head.subarray(0, 8))
  )
    return 'tfevents';
  const text = new TextDecoder()
    .decode(head)
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith('{')) return 'jsonl';
  if ((text.split('\n')[0] ?? '').includes(',')) return 'csv';
  throw new BatchwiseError(
    'invalid-data',
    `${file}: cannot tell the format (not protocol JSON lines, CSV with a header, or a TensorBoard event file): give --format jsonl|csv|tfevents`,
  );
}

async function eventFilesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.includes('tfevents'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * The files a path stands for: itself, or the event files of a TensorBoard log directory. A FIFO
 * or a device is refused here, before anything opens it (reading it could wait forever).
 */
export async function expandLogPath(path: string): Promise<string[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw unreadableFileError(path, error);
  }
  if (!isDirectory) {
    await requireRegularFile(path);
    return [path];
  }
  const files = await eventFilesUnder(path);
  if (files.length === 0) {
    throw new BatchwiseError(
      'invalid-data',
      `${path}: a directory without TensorBoard event files (events.out.tfevents.*)`,
    );
  }
  return files;
}

export async function readTrainingLog(
  file: string,
  options: ReadLogOptions = {},
): Promise<TrainingLog> {
  const format = options.format ?? (await detectLogFormat(file));
  const mapping = options.mapping ?? {};
  if (format === 'jsonl') {
    if (Object.keys(mapping).length > 0)
      throw new BatchwiseError(
        'invalid-option',
        `${file}: --map applies to CSV columns and TensorBoard tags; protocol lines name their fields (docs/protocol.md)`,
      );
    return readProtocolLog(file);
  }
  if (format === 'csv') return readCsvLog(file, mapping);
  return readTfEventsLog(file, mapping);
}

/** Every log the paths stand for, in order. */
export async function readTrainingLogs(
  paths: readonly string[],
  options: ReadLogOptions = {},
): Promise<TrainingLog[]> {
  const logs: TrainingLog[] = [];
  for (const path of paths) {
    for (const file of await expandLogPath(path)) logs.push(await readTrainingLog(file, options));
  }
  return logs;
}
