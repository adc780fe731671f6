// A real Redis for the queue tests: Debian's redis-server started on a loopback port of its own
// (never the machine's 6379), with its append-only file in a temporary folder so that a restart
// keeps the queue, as a team would run it. Where redis-server is missing the tests are skipped
// with the reason printed, except in CI ($CI set): .ci/run installs it, so there a missing
// server fails the tests instead of hiding them.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVER = process.env.BATCHWISE_REDIS_SERVER || 'redis-server';

/** Why there is no redis-server here (undefined: there is one). */
export function redisMissing(): string | undefined {
  const r = spawnSync(SERVER, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `no ${SERVER} (apt-get install redis-server)`;
}

/** For describe.skipIf: skip (saying why) only outside CI. */
export function skipRedis(): boolean {
  const why = redisMissing();
  if (why === undefined || process.env.CI) return false;
  console.warn(`skipping the queue tests: ${why}`);
  return true;
}

export interface RedisOptions {
  readonly password?: string;
  /** TLS only, on this port: cert, key and CA files. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
}

export interface RedisServer {
  readonly port: number;
  /** redis://127.0.0.1:PORT (or rediss:// with TLS), without the password. */
  readonly url: string;
  stop(): Promise<void>;
  /** Stops it (SIGTERM: the append-only file is flushed) and starts it again on the same port. */
  restart(downMs?: number): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** A loopback port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const why = redisMissing();
  if (why !== undefined) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'batchwise-redis-'));
  const port = await freePort();
  const args = [
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    ...(options.password !== undefined ? ['--requirepass', options.password] : []),
    ...(options.tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          options.tls.cert,
          '--tls-key-file',
          options.tls.key,
          '--tls-ca-cert-file',
          options.tls.ca,
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(port)]),
  ];
  let child: ChildProcess;
  const start = async () => {
    const started = spawn(SERVER, args, { stdio: 'ignore' });
    child = started;
    await waitFor(
      async () => {
        if (started.exitCode !== null) throw new Error(`redis-server exited (port ${port} taken?)`);
        return answers(port);
      },
      10_000,
      `redis-server on port ${port}`,
    );
  };
  await start();
  const stop = async () => {
    child.kill('SIGTERM');
    await exited(child);
  };
  return {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    stop,
    restart: async (downMs = 1000) => {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
  };
}
