// The dashboard routes of `batchwise serve` against a store filled by RunStore directly: the run
// list, run pages and the JSON API, 404 for unknown or malformed ids, the Host check, and the
// server-sent events of a running run (an event appended after the client connected arrives).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindEvent } from '../../src/find/find-events.js';
import { findReportToJson } from '../../src/report/find-report.js';
import type { Page } from '../../src/server/pages.js';
import { RunSource } from '../../src/server/run-source.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { RunStore } from '../../src/store/run-store.js';
import { fakeFindReport } from '../support/fake-find-report.js';
import { batchwise } from '../support/run-cli.js';

interface Response {
  status: number;
  body: string;
  headers: Record<string, unknown>;
}

function get(
  url: string,
  path: string,
  host?: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const { port } = new URL(url);
  const allHeaders = { ...headers, ...(host ? { host } : {}) };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: allHeaders }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const json = async (url: string, path: string) => JSON.parse((await get(url, path)).body);

const pages = new Map<string, Page>([['/plan', { contentType: 'text/html', body: '<p>plan</p>' }]]);
const dir = mkdtempSync(join(tmpdir(), 'batchwise-dashboard-'));

describe('batchwise serve: the dashboard', () => {
  let running: RunningServer;
  let store: RunStore;
  let source: RunSource;
  let done: string;
  let live: string;

  beforeAll(async () => {
    const events: FindEvent[] = [];
    const report = await fakeFindReport({ onEvent: (event) => events.push(event) });
    store = RunStore.open(join(dir, 'runs.sqlite'));
    done = store.createRun({
      command: ['find'],
      options: {},
      spec: { model: 'mlp', data: 'synthetic' },
      now: new Date('2026-11-26T09:00:00Z'),
    });
    for (const event of events) store.appendEvent(done, event.kind, event);
    store.setStatus(done, 'complete', JSON.parse(findReportToJson(report)));
    // A run still measuring: its memory search and two throughput points so far.
    live = store.createRun({
      command: ['find'],
      options: {},
      spec: { model: 'cnn', data: 'fashion-mnist' },
      now: new Date('2026-11-26T10:00:00Z'),
    });
    const firstPoints = events.findIndex((e) => e.kind === 'throughput-point') + 2;
    for (const event of events.slice(0, firstPoints)) store.appendEvent(live, event.kind, event);
    source = new RunSource(store.path);
    running = await startServer({
      port: 0,
      pages,
      dashboard: { source, pollMs: 30, heartbeatMs: 150 },
    });
  });
  afterAll(async () => {
    await running.close();
    source.close();
    store.close();
  });

  it('lists the runs, newest first, with their recommended batch, in HTML and JSON', async () => {
    const { runs } = await json(running.url, '/api/runs');
    expect(runs.map((r: { id: string }) => r.id)).toEqual([live, done]);
    expect(runs[0]).toMatchObject({ model: 'cnn', data: 'fashion-mnist', status: 'running' });
    expect(runs[0].batchSize).toBeNull();
    expect(runs[1].batchSize).toBeGreaterThan(0);
    const index = await get(running.url, '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain(`href="/runs/${done}"`);
    expect(index.body).toContain(`href="/runs/${live}"`);
    expect(index.body).toContain('href="/plan"');
    expect(index.headers['content-security-policy']).toMatch(/default-src 'none'/);
  });

  it('serves a finished run: the stored report and its four charts; the page is the HTML report', async () => {
    const view = await json(running.url, `/api/runs/${done}`);
    expect(view.status).toBe('complete');
    expect(view.report.recommendation.batchSize).toBe(view.batchSize);
    expect(view.charts.map((c: { id: string }) => c.id)).toEqual([
      'memory',
      'throughput',
      'noise',
      'time-to-target',
    ]);
    expect(view.charts.every((c: { spec?: unknown }) => c.spec !== undefined)).toBe(true);
    const page = await get(running.url, `/runs/${done}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="batchwise-report"');
    expect(page.body).toContain('href="/"');
    expect(page.body).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'.*'unsafe-eval'/);
  });

  it('serves a running run: a partial view from its events, and a live page', async () => {
    const view = await json(running.url, `/api/runs/${live}`);
    expect(view.report).toBeUndefined();
    expect(view.status).toBe('running');
    expect(view.phase).toBe('throughput');
    expect(view.latest).toMatch(/throughput: batch \d+/);
    const charts = Object.fromEntries(
      view.charts.map((c: { id: string; spec?: unknown; reason?: string }) => [c.id, c]),
    );
    expect(charts.memory.spec).toBeDefined();
    expect(charts.throughput.spec).toBeDefined();
    expect(charts.noise.reason).toMatch(/not measured/);
    expect(charts['time-to-target'].reason).toMatch(/when the run ends/);
    const page = await get(running.url, `/runs/${live}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="event-count"');
    expect(page.body).toContain('new EventSource(');
    expect(page.body).not.toMatch(/<script[^>]+src=/);
  });

  it('answers 404 for unknown and malformed run ids, never touching the file system', async () => {
    for (const path of [
      '/runs/20261126-000000-0000',
      '/api/runs/20261126-000000-0000',
      '/api/runs/20261126-000000-0000/events',
      `/runs/${done.slice(0, 10)}`,
      `/runs/${done.toUpperCase()}x`,
      `/runs/${done}/../../package.json`,
      '/runs/..%2f..%2fpackage.json',
      '/runs/%2e%2e',
      '/api/runs/../../etc/passwd',
      `/api/runs/${done}/events/x`,
      `/runs/${done}.html`,
    ]) {
      const response = await get(running.url, path);
      expect(response.status, path).toBe(404);
      expect(response.body).not.toMatch(/"name": "batchwise"|root:/);
    }
  });

  it('refuses a Host header that is not local on every dashboard route', async () => {
    for (const path of [
      '/',
      '/api/runs',
      `/api/runs/${done}`,
      `/runs/${done}`,
      `/api/runs/${live}/events`,
    ]) {
      expect((await get(running.url, path, 'evil.example')).status, path).toBe(403);
    }
    expect((await get(running.url, `/api/runs/${done}`, 'localhost:1')).status).toBe(200);
  });

  it('streams an event appended after the client connected, heartbeats, then ends with the run', async () => {
    const { port } = new URL(running.url);
    const last = (await json(running.url, `/api/runs/${live}`)).lastSequence as number;
    let text = '';
    let contentType = '';
    const closed = new Promise<void>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: `/api/runs/${live}/events?after=${last}` },
        (res) => {
          contentType = String(res.headers['content-type']);
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end();
    });
    const until = async (test: () => boolean) => {
      for (let i = 0; i < 200 && !test(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(test()).toBe(true);
    };
    await until(() => text.includes('retry:'));
    expect(contentType).toMatch(/^text\/event-stream/);
    await until(() => text.includes(': heartbeat'));
    expect(text).not.toContain('id: ');
    const sequence = store.appendEvent(live, 'phase', { kind: 'phase', phase: 'noise' });
    await until(() => text.includes(`id: ${sequence}\n`));
    const data = /data: (.*)\n/.exec(text.slice(text.indexOf(`id: ${sequence}\n`)))![1]!;
    expect(JSON.parse(data)).toMatchObject({
      sequence,
      kind: 'phase',
      line: `#${sequence} phase: noise`,
    });
    store.setStatus(live, 'interrupted');
    await closed;
    expect(text).toMatch(/event: end\ndata: \{"status":"interrupted"/);
    // A new client from the start gets every stored event, then the end at once.
    const again = await get(running.url, `/api/runs/${live}/events?after=0`);
    expect(again.body).toContain(`id: ${sequence}\n`);
    expect(again.body).toMatch(/event: end\n/);
    // A browser reconnecting with Last-Event-ID gets only what came after it.
    const resumed = await get(running.url, `/api/runs/${live}/events`, undefined, {
      'last-event-id': String(sequence - 1),
    });
    expect(resumed.body.match(/^id: /gm)).toEqual(['id: ']);
    expect(resumed.body).toContain(`id: ${sequence}\n`);
  });

  it('shows no runs for a missing store, and refuses a foreign file with one line', async () => {
    const missing = new RunSource(join(dir, 'none', 'runs.sqlite'));
    const empty = await startServer({ port: 0, pages, dashboard: { source: missing } });
    try {
      expect(await json(empty.url, '/api/runs')).toEqual({ runs: [] });
      expect((await get(empty.url, '/')).body).toContain('No runs in');
      expect((await get(empty.url, `/runs/${done}`)).status).toBe(404);
    } finally {
      await empty.close();
    }
    const foreign = join(dir, 'foreign.sqlite');
    writeFileSync(foreign, 'not a database at all, just text\n');
    const result = await batchwise('serve', '--port', '0', '--store', foreign);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/is not a batchwise run store/);
  });
});
