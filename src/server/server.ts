// `batchwise serve`: a local web server for batchwise's pages, bound to 127.0.0.1 by default.
// It serves only its own pages (a fixed route table), refuses requests whose Host header is not
// local, and sends headers that keep the pages from loading anything from elsewhere.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLocalHost } from './local-host.js';
import type { Page } from './pages.js';

export interface ServeOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly pages: ReadonlyMap<string, Page>;
}

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, ...SECURITY_HEADERS });
  response.end(body);
}

export function handleRequest(
  pages: ReadonlyMap<string, Page>,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  if (!isLocalHost(request.headers.host)) {
    send(
      response,
      403,
      'text/plain; charset=utf-8',
      'batchwise serves local requests only (Host must be localhost)\n',
    );
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  const path = (request.url ?? '/').split('?')[0]!;
  const page = pages.get(path.length > 1 ? path.replace(/\/$/, '') : path);
  if (!page) {
    send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
    return;
  }
  send(response, 200, page.contentType, request.method === 'HEAD' ? '' : page.body);
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const server = createServer((request, response) =>
    handleRequest(options.pages, request, response),
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8765, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
