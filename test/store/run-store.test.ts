// The run store: runs and events written and read back, WAL mode, non-finite numbers kept, and
// a foreign or corrupt file refused with one line and left byte-for-byte as it was.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { summarizeSamples } from '../../src/analysis/sample-summary.js';
import { BatchwiseError } from '../../src/errors.js';
import { findEvents, partialRun, priorMeasurements } from '../../src/find/find-history.js';
import { RunStore } from '../../src/store/run-store.js';
import { fromStoreJson, toStoreJson } from '../../src/store/store-json.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-store-'));

describe('run store', () => {
  it('creates the store and its folder, in WAL mode, and reads runs and events back', () => {
    const path = join(dir, 'nested', 'folder', 'runs.sqlite');
    const store = RunStore.open(path);
    expect(store.journalMode()).toBe('wal');
    const id = store.createRun({
      command: ['--engine', 'fake'],
      options: { engine: 'fake' },
      spec: { model: 'mlp', data: 'synthetic' },
    });
    expect(store.appendEvent(id, 'phase', { kind: 'phase', phase: 'memory' })).toBe(1);
    expect(store.appendEvent(id, 'memory-trial', { kind: 'memory-trial', x: Number.NaN })).toBe(2);
    store.close();

    const again = RunStore.open(path);
    const run = again.getRun(id);
    expect(run).toMatchObject({ id, status: 'running', command: ['--engine', 'fake'] });
    expect(run.report).toBeUndefined();
    expect(again.getRun(id.slice(0, 12)).id).toBe(id); // a unique prefix
    expect(again.latestResumable()?.id).toBe(id);
    const events = again.events(id);
    expect(events.map((e) => [e.sequence, e.kind])).toEqual([
      [1, 'phase'],
      [2, 'memory-trial'],
    ]);
    expect((events[1]!.payload as { x: number }).x).toBeNaN();
    again.setStatus(id, 'complete', { status: 'complete' });
    expect(again.getRun(id)).toMatchObject({ status: 'complete', report: { status: 'complete' } });
    expect(again.latestResumable()).toBeUndefined();
    expect(again.listRuns().map((r) => r.id)).toEqual([id]);
    expect(() => again.getRun('nope')).toThrow(/no run "nope"/);
    again.close();
  });

  it('keeps non-finite numbers through JSON', () => {
    const value = { a: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 1.5] };
    const back = fromStoreJson<typeof value>(toStoreJson(value));
    expect(back.a[0]).toBe(Number.POSITIVE_INFINITY);
    expect(back.a[1]).toBe(Number.NEGATIVE_INFINITY);
    expect(back.a[2]).toBeNaN();
    expect(back.a[3]).toBe(1.5);
  });

  it('a missing store is an error for readers and is not created', () => {
    const path = join(dir, 'absent.sqlite');
    expect(() => RunStore.open(path, { create: false })).toThrow(/no run store at/);
    expect(existsSync(path)).toBe(false);
  });

  const foreign: [string, (path: string) => void, RegExp][] = [
    ['a text file', (p) => writeFileSync(p, 'hello, not a database\n'), /not an SQLite database/],
    [
      'an SQLite database of another application',
      (p) => {
        const db = new Database(p);
        db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');");
        db.close();
      },
      /without batchwise meta/,
    ],
    [
      'a corrupt SQLite file',
      (p) => {
        const bytes = Buffer.alloc(8192, 0xab);
        bytes.write('SQLite format 3\0', 0, 'latin1');
        writeFileSync(p, bytes);
      },
      /not a batchwise run store \(unreadable/,
    ],
    [
      'a store of another meta',
      (p) => {
        const db = new Database(p);
        db.exec(
          "CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES ('application', 'other');",
        );
        db.close();
      },
      /another application/,
    ],
  ];
  for (const [name, make, pattern] of foreign) {
    it(`refuses ${name} with one line and leaves it byte-for-byte unchanged`, () => {
      const path = join(dir, `${name.replaceAll(' ', '-')}.sqlite`);
      make(path);
      const before = readFileSync(path);
      let error: unknown;
      try {
        RunStore.open(path).close();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BatchwiseError);
      const message = (error as Error).message;
      expect(message).toMatch(pattern);
      expect(message).toMatch(/left unchanged/);
      expect(message.split('\n')).toHaveLength(1);
      expect(readFileSync(path).equals(before)).toBe(true);
      expect(existsSync(`${path}-wal`)).toBe(false);
    });
  }

  it('refuses a store of a newer schema version without migrating it', () => {
    const path = join(dir, 'future.sqlite');
    RunStore.open(path).close();
    const db = new Database(path);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schemaVersion'").run();
    db.close();
    const before = readFileSync(path);
    expect(() => RunStore.open(path)).toThrow(/schema version 99/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe('find events', () => {
  it('collect the measurements to reuse over every segment, without aborted ones', () => {
    const trial = (batchSize: number, outcome = 'ok') => ({
      kind: 'memory-trial',
      trial: { batchSize, outcome, reason: 'fit point' },
    });
    const summary = summarizeSamples([0.1, 0.1]);
    const point = (batchSize: number, outcome = 'ok') => ({
      kind: 'throughput-point',
      point: {
        batchSize,
        outcome,
        warmupSeconds: [],
        stepSeconds: [0.1, 0.1],
        losses: [1, 1],
        summary,
        examplesPerSecond: batchSize * 10,
        examplesPerSecondRange: [batchSize * 10, batchSize * 10],
      },
    });
    const payloads = [
      { kind: 'phase', phase: 'memory' },
      trial(1),
      trial(16),
      { kind: 'phase', phase: 'throughput' },
      point(1),
      point(4, 'aborted'),
      { kind: 'resume', memoryTrials: 2, throughputPoints: 1 },
      { kind: 'phase', phase: 'memory' },
      { kind: 'phase', phase: 'throughput' },
      point(4),
      { kind: 'phase', phase: 'noise' },
    ];
    const events = findEvents(
      'run',
      payloads.map((payload, i) => ({ sequence: i + 1, kind: payload.kind, payload, time: '' })),
    );
    const prior = priorMeasurements(events);
    expect(prior.memoryTrials.map((t) => t.batchSize)).toEqual([1, 16]);
    expect(prior.throughputPoints.map((p) => p.batchSize)).toEqual([1, 4]);
    const partial = partialRun(events);
    expect(partial).toMatchObject({ phase: 'noise', resumes: 1, noiseMeasurements: 0 });
  });
});
