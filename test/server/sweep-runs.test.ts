// A run store with sweep runs (test/support/sweep-store.ts): one finished by the real
// `batchwise sweep --engine fake --store`, one still running (the first trials' events). `batchwise runs` lists them as sweeps, `batchwise show` prints the stored summary or the
// trials finished so far, and the dashboard lists them and serves their pages (the sweep's HTML
// report, or the charts and tables of the trials so far).

import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunSource } from '../../src/server/run-source.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { sweepReportSchema } from '../../src/sweep/sweep-report.js';
import { batchwise } from '../support/run-cli.js';
import { makeSweepStore } from '../support/sweep-store.js';

function get(url: string, path: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SWEEP_CHARTS = [
  'sweep-steps-examples',
  'sweep-time-to-target',
  'sweep-curves',
  'sweep-generalisation',
];

describe('sweep runs in the store: batchwise runs, batchwise show and the dashboard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'batchwise-sweep-runs-'));
  const storePath = join(dir, 'runs.sqlite');
  let done: string;
  let live: string;
  let liveFinished: number;
  let running: RunningServer;
  let source: RunSource;

  beforeAll(async () => {
    ({ done, live, liveFinished } = await makeSweepStore(storePath));
    source = new RunSource(storePath);
    running = await startServer({ port: 0, pages: new Map(), dashboard: { source } });
  }, 180_000);

  afterAll(async () => {
    await running?.close();
    source?.close();
  });

  it('batchwise runs lists both as sweeps, the finished one with its fastest batch', async () => {
    const r = await batchwise('runs', '--store', storePath);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^run\s+time\s+job\s+model/m);
    expect(r.stdout).toMatch(new RegExp(`^${done}\\s.*\\ssweep\\s.*\\scomplete\\s+\\d+\\s*$`, 'm'));
    expect(r.stdout).toMatch(
      new RegExp(`^${live}\\s.*\\ssweep\\s.*\\s(running|killed)\\s+–\\s*$`, 'm'),
    );
  });

  it('batchwise show prints the stored sweep summary, and its JSON', async () => {
    const r = await batchwise('show', done, '--store', storePath);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('batchwise sweep — complete: 4 trial(s) to training loss ≤ 0.5');
    expect(r.stdout).toMatch(/Fastest to the target: batch (8|64)/);
    expect(r.stdout).toMatch(/batch\s+reached\s+steps/);
    const j = await batchwise('show', done, '--store', storePath, '--json');
    expect(j.code, j.stderr).toBe(0);
    expect(sweepReportSchema.safeParse(JSON.parse(j.stdout)).success).toBe(true);
  });

  it('batchwise show prints the trials an unfinished sweep finished so far', async () => {
    const r = await batchwise('show', live, '--store', storePath);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`batchwise sweep: `);
    expect(r.stdout).toContain(`run ${live}`);
    expect(r.stdout).toMatch(new RegExp(`Trials finished\\s+${liveFinished} of 4`));
    expect(r.stdout).toMatch(/\[1\/4\] b\d+-lr1-r\d: /);
    expect(r.stdout).toMatch(/batchwise sweep --resume/);
    expect(r.stdout).not.toMatch(/find --resume/);
  });

  it('the dashboard lists them as sweeps and serves the finished report with its charts', async () => {
    const { runs } = JSON.parse((await get(running.url, '/api/runs')).body);
    expect(runs.map((r: { id: string }) => r.id)).toEqual([live, done]);
    expect(runs[0]).toMatchObject({ kind: 'sweep', status: 'running', batchSize: null });
    expect(runs[1]).toMatchObject({ kind: 'sweep', status: 'complete', model: 'mlp' });
    expect(runs[1].batchSize).toBeGreaterThan(0);
    const index = await get(running.url, '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain(`href="/runs/${done}"`);
    expect(index.body).toContain('<td>sweep</td>');

    const view = JSON.parse((await get(running.url, `/api/runs/${done}`)).body);
    expect(view.phase).toBe('done');
    expect(view.charts.map((c: { id: string }) => c.id)).toEqual(SWEEP_CHARTS);
    expect(view.charts[0].spec).toBeDefined();
    expect(view.latest).toMatch(/trial b\d+-lr1-r\d: reached/);
    const page = await get(running.url, `/runs/${done}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('batchwise sweep: mlp');
    expect(page.body).toContain('id="batchwise-report"');
    expect(page.body).toContain('href="/"');
    for (const id of SWEEP_CHARTS) expect(page.body).toContain(`id="chart-${id}"`);
  });

  it('the dashboard shows a running sweep: the trials so far, their charts, a live page', async () => {
    const view = JSON.parse((await get(running.url, `/api/runs/${live}`)).body);
    expect(view.status).toBe('running');
    expect(view.phase).toBe(`${liveFinished} of 4 trials finished`);
    expect(view.charts.map((c: { id: string }) => c.id)).toEqual(SWEEP_CHARTS);
    expect(view.charts[0].spec).toBeDefined();
    const page = await get(running.url, `/runs/${live}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('batchwise sweep: mlp');
    expect(page.body).toContain('id="batchwise-charts"');
    expect(page.body).toContain('Trials finished');
    expect(page.body).toContain(`running: ${liveFinished} of 4 trial(s) finished so far`);
  });
});
