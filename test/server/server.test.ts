// `batchwise serve`: only its own pages, only for local Host headers, nothing from the disk.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLocalHost, isLoopbackAddress } from '../../src/server/local-host.js';
import type { Page } from '../../src/server/pages.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { BIN } from '../support/run-cli.js';

function get(
  url: string,
  path: string,
  host?: string,
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, headers: host ? { host } : {} },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Host headers that only look local: another host, a bad port, userinfo, junk. */
const REFUSED_HOSTS = [
  'localhost.evil.com',
  '127.0.0.1.evil.com',
  '127.0.0.1:evil.com',
  'localhost:8765:evil.com',
  '[::1]:x',
  '[::1]evil.com',
  '127.0.0.1:',
  'user@localhost',
  'localhost:8765/evil',
  'evil.com#localhost',
];
const ACCEPTED_HOSTS = ['localhost', 'localhost:8765', '127.0.0.1:8765', '[::1]:8765', '127.0.0.5'];

describe('batchwise serve', () => {
  let running: RunningServer;
  const pages = new Map<string, Page>([
    ['/', { contentType: 'text/html', body: '<p>index</p>' }],
    ['/plan', { contentType: 'text/html', body: '<p>plan</p>' }],
  ]);

  beforeAll(async () => {
    running = await startServer({ port: 0, pages });
  });
  afterAll(async () => {
    await running.close();
  });

  it('binds to 127.0.0.1 and serves its pages with restrictive headers', async () => {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const plan = await get(running.url, '/plan');
    expect(plan.status).toBe(200);
    expect(plan.body).toBe('<p>plan</p>');
    expect(plan.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect((await get(running.url, '/plan/')).status).toBe(200);
    expect((await get(running.url, '/plan?x=1')).status).toBe(200);
  });

  it('never reaches the file system: traversal attempts are 404', async () => {
    for (const path of [
      '/../package.json',
      '/plan/../../package.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fpackage.json',
      '/index.html',
      '/dist/web/plan/index.html',
    ]) {
      const response = await get(running.url, path);
      expect(response.status, path).toBe(404);
      expect(response.body).not.toMatch(/"name": "batchwise"|root:/);
    }
  });

  it('refuses a Host header that is not local, and other methods', async () => {
    expect((await get(running.url, '/plan', 'evil.example:80')).status).toBe(403);
    expect((await get(running.url, '/plan', 'localhost.evil.example')).status).toBe(403);
    expect((await get(running.url, '/plan', 'localhost:1234')).status).toBe(200);
    expect((await get(running.url, '/plan', '[::1]:1234')).status).toBe(200);
    expect((await get(running.url, '/plan', undefined, 'POST')).status).toBe(405);
  });

  it('parses the Host header strictly: raw requests with a look-alike Host are refused', async () => {
    for (const host of REFUSED_HOSTS) {
      expect((await get(running.url, '/plan', host)).status, host).toBe(403);
    }
    for (const host of ACCEPTED_HOSTS) {
      expect((await get(running.url, '/plan', host)).status, host).toBe(200);
    }
  });

  it('recognises local host names', () => {
    expect(isLocalHost('127.0.0.1:8765')).toBe(true);
    expect(isLocalHost('127.1.2.3')).toBe(true);
    expect(isLocalHost('LOCALHOST')).toBe(true);
    expect(isLocalHost(undefined)).toBe(false);
    expect(isLocalHost('10.0.0.1:80')).toBe(false);
    expect(isLocalHost('[::2]:80')).toBe(false);
    for (const host of REFUSED_HOSTS) expect(isLocalHost(host), host).toBe(false);
    for (const host of ACCEPTED_HOSTS) expect(isLocalHost(host), host).toBe(true);
    for (const host of ['127.0.0.1:0', '127.0.0.1:65536', '127.0.0.256', '::1', '[::1', '']) {
      expect(isLocalHost(host), host).toBe(false);
    }
  });

  it('tells loopback bind addresses from the others', () => {
    for (const address of [
      '127.0.0.1',
      '127.0.0.5',
      'localhost',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopbackAddress(address), address).toBe(true);
    }
    for (const address of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '']) {
      expect(isLoopbackAddress(address), address).toBe(false);
    }
  });
});

/** Runs the real `batchwise serve --port 0 ...args` until it prints its URL; then stops it. */
async function serveOutput(
  args: readonly string[],
): Promise<{ url: string; stderr: string; status: number }> {
  const store = join(mkdtempSync(join(tmpdir(), 'batchwise-serve-host-')), 'runs.sqlite');
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', store, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /http:\/\/\S+:\d+\//.exec(out);
        if (match) resolve(match[0]);
      });
      child.on('exit', (code) =>
        reject(new Error(`batchwise serve exited with ${code}: ${stderr}`)),
      );
    });
    // It still serves: reached through the loopback interface.
    const { port } = new URL(url);
    const { status } = await get(`http://127.0.0.1:${port}/`, '/api/runs');
    return { url, stderr, status };
  } finally {
    child.kill('SIGINT');
    await exited;
  }
}

describe('batchwise serve --host', () => {
  it('warns in one stderr line when the address is not loopback, and still serves', async () => {
    const open = await serveOutput(['--host', '0.0.0.0']);
    expect(open.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/$/);
    expect(open.status).toBe(200);
    const lines = open.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/warning: listening on 0\.0\.0\.0, not loopback: .*no authentication/);
  }, 30_000);

  it('says nothing on stderr for a loopback address', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const local = await serveOutput(['--host', host]);
      expect(local.status, host).toBe(200);
      expect(local.stderr, host).toBe('');
    }
  }, 30_000);
});
