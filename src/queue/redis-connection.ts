// The Redis connection of a distributed sweep (the coordinator and every worker): a
// redis:// or rediss:// (TLS) URL, with a password in it or in $BATCHWISE_REDIS_PASSWORD. The
// first connection fails fast with one line (Redis not running, a wrong password, a TLS
// mismatch); once connected, a lost connection is retried forever (a Redis restart), each loss
// and recovery told once through `log`.

import { Redis } from 'ioredis';
import { BatchwiseError, errorMessage } from '../errors.js';

/** How long the first connection may take before the URL is called unreachable. */
const FIRST_CONNECT_MS = 5_000;
/** Reconnection delays grow to this (a restarting Redis is back within seconds). */
const MAX_RECONNECT_DELAY_MS = 2_000;

/** The environment variable a password may come from (kept out of command lines and stores). */
export const PASSWORD_ENV = 'BATCHWISE_REDIS_PASSWORD';

/** A queue URL checked for its form: redis://[user:password@]host[:port][/db] or rediss://. */
export function parseQueueUrl(text: string, flag = '--queue'): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BatchwiseError(
      'invalid-option',
      `${flag} ${redactQueueUrl(text)} is not a URL: give redis://HOST:PORT (or rediss:// for TLS)`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new BatchwiseError(
      'invalid-option',
      `${flag} ${redactQueueUrl(text)}: the queue is Redis; give redis://HOST:PORT (or rediss:// for TLS)`,
    );
  }
  if (url.hostname === '') {
    throw new BatchwiseError('invalid-option', `${flag} ${redactQueueUrl(text)} names no host`);
  }
  return url;
}

/** The URL with its password replaced by *** (what is printed and stored). */
export function redactQueueUrl(text: string): string {
  return text.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

export interface RedisConnectionOptions {
  /** Lost and restored connections, one line each. */
  readonly log?: (line: string) => void;
  /** Who connects, in messages: "the sweep", "this worker". */
  readonly who: string;
}

function explain(url: URL, error: unknown): string {
  const message = errorMessage(error);
  const where = `${url.protocol}//${url.host}`;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(message)) {
    return `Redis at ${where} refused the password (${message.split('\n')[0]}): put it in the URL (redis://:PASSWORD@HOST:PORT) or in $${PASSWORD_ENV}`;
  }
  if (/ECONNREFUSED/.test(message)) {
    return `cannot reach Redis at ${where}: connection refused (is redis-server running there, and listening on that address?)`;
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) {
    return `cannot reach Redis at ${where}: the host name does not resolve`;
  }
  return `cannot reach Redis at ${where}: ${message.split('\n')[0]}`;
}

/**
 * A connected client (BullMQ needs `maxRetriesPerRequest: null`: commands wait out a Redis
 * restart instead of failing).
 */
export async function connectRedis(text: string, options: RedisConnectionOptions): Promise<Redis> {
  const url = parseQueueUrl(text);
  const password = process.env[PASSWORD_ENV];
  let connected = false;
  let down = false;
  let lastError: unknown;
  const client = new Redis(url.href, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    connectTimeout: FIRST_CONNECT_MS,
    ...(url.password === '' && password ? { password } : {}),
    retryStrategy: (times) => (connected ? Math.min(times * 200, MAX_RECONNECT_DELAY_MS) : null),
  });
  client.on('error', (error: unknown) => {
    lastError = error;
    if (connected && !down) {
      down = true;
      options.log?.(
        `lost Redis at ${url.host} (${errorMessage(error).split('\n')[0]}); ${options.who} reconnects`,
      );
    }
  });
  client.on('ready', () => {
    if (down) options.log?.(`Redis at ${url.host} is back; ${options.who} goes on`);
    down = false;
  });
  try {
    await withTimeout(client.connect(), FIRST_CONNECT_MS, 'no answer within 5 s');
    await withTimeout(client.ping(), FIRST_CONNECT_MS, 'no answer to PING within 5 s');
  } catch (error) {
    client.disconnect();
    throw new BatchwiseError('invalid-option', explain(url, lastError ?? error));
  }
  connected = true;
  return client;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Fails with one line unless Redis answers at the URL (before anything is trained). */
export async function checkRedis(text: string): Promise<void> {
  const client = await connectRedis(text, { who: 'the sweep' });
  client.disconnect();
}
