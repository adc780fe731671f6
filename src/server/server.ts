// `batchwise serve`: a local web server for batchwise's pages, bound to 127.0.0.1 by default.
// It serves only its own pages and API (a fixed route table; run ids are matched by a strict
// pattern and looked up in the store, never used as paths), refuses requests whose Host header
// is not local, and sends headers that keep the pages from loading anything from elsewhere.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adaptiveHistoryToHtml } from '../adaptive/adaptive-html.js';
import { storedAdaptiveHistory } from '../adaptive/adaptive-run.js';
import { reportWithRunLabel } from '../find/run-label.js';
import { runKind } from '../store/run-kind.js';
import type { StoredRun } from '../store/run-store.js';
import { storedSweepReport, sweepSoFar } from '../sweep/sweep-run.js';
import {
  finishedRunPage,
  finishedSweepPage,
  liveRunPage,
  liveSweepPage,
  runListPage,
} from './dashboard-pages.js';
import { isLocalHost } from './local-host.js';
import type { Page } from './pages.js';
import { type EventStreamTiming, streamRunEvents } from './run-event-stream.js';
import type { RunSource } from './run-source.js';
import { reportOf, runListEntry, runView, toApiJson } from './run-view.js';

/** The run store behind the dashboard routes (/, /runs/ID, /api/...). */
export interface DashboardOptions extends EventStreamTiming {
  readonly source: RunSource;
}

export interface ServeOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly pages: ReadonlyMap<string, Page>;
  /** Without it, only the fixed pages are served. */
  readonly dashboard?: DashboardOptions;
}

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

const CSP_BASE = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'";

function securityHeaders(scriptSrc: string): Record<string, string> {
  return {
    'content-security-policy': `${CSP_BASE}; script-src ${scriptSrc}`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

const SECURITY_HEADERS = securityHeaders("'unsafe-inline'");
/** Run pages draw with vega, whose expression compiler needs eval. */
const CHART_PAGE_HEADERS = securityHeaders("'unsafe-inline' 'unsafe-eval'");

const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';

/** A run id in a URL: the exact shape of the ids the store makes, nothing else. */
const ID = '(\\d{8}-\\d{6}-[0-9a-f]{4})';
const RUN_PAGE = new RegExp(`^/runs/${ID}$`);
const RUN_API = new RegExp(`^/api/runs/${ID}$`);
const RUN_EVENTS = new RegExp(`^/api/runs/${ID}/events$`);

function send(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = SECURITY_HEADERS,
): void {
  response.writeHead(status, { 'content-type': contentType, ...headers });
  response.end(request.method === 'HEAD' ? '' : body);
}

/** The sequence to stream after: ?after=N, or the Last-Event-ID of a reconnecting browser. */
function afterSequence(request: IncomingMessage, query: string): number {
  const fromQuery = new URLSearchParams(query).get('after');
  const lastEventId = request.headers['last-event-id'];
  const text = typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : fromQuery;
  return text !== null && /^\d{1,12}$/.test(text) ? Number(text) : 0;
}

/** A sweep run's page: its report when it has one, else its trials so far, live while running. */
function sweepRunPage(run: StoredRun, source: RunSource): string {
  const report = storedSweepReport(run);
  if (report) return finishedSweepPage(report);
  const events = source.events(run.id);
  return liveSweepPage(runView(run, events), sweepSoFar(run, events)?.report);
}

/** The dashboard's routes; false when the path is none of them. */
function handleDashboard(
  dashboard: DashboardOptions,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  query: string,
): boolean {
  const { source } = dashboard;
  const notFound = () => send(request, response, 404, TEXT, 'no such run\n');
  if (path === '/') {
    send(
      request,
      response,
      200,
      HTML,
      runListPage(source.listRuns().map(runListEntry), source.path),
    );
    return true;
  }
  if (path === '/api/runs') {
    send(
      request,
      response,
      200,
      JSON_TYPE,
      toApiJson({ runs: source.listRuns().map(runListEntry) }),
    );
    return true;
  }
  let runId = RUN_API.exec(path)?.[1];
  if (runId !== undefined) {
    const run = source.run(runId);
    if (!run) notFound();
    else send(request, response, 200, JSON_TYPE, toApiJson(runView(run, source.events(run.id))));
    return true;
  }
  runId = RUN_EVENTS.exec(path)?.[1];
  if (runId !== undefined) {
    const run = source.run(runId);
    if (!run) notFound();
    else
      streamRunEvents(
        source,
        run.id,
        afterSequence(request, query),
        request,
        response,
        SECURITY_HEADERS,
        dashboard,
      );
    return true;
  }
  runId = RUN_PAGE.exec(path)?.[1];
  if (runId !== undefined) {
    const run = source.run(runId);
    if (!run) {
      notFound();
      return true;
    }
    if (runKind(run) === 'sweep') {
      send(request, response, 200, HTML, sweepRunPage(run, source), CHART_PAGE_HEADERS);
      return true;
    }
    const adaptive = runKind(run) === 'adaptive' ? storedAdaptiveHistory(run) : undefined;
    if (adaptive) {
      const page = adaptiveHistoryToHtml(adaptive, `fitAdaptive run ${run.id}`);
      send(request, response, 200, HTML, page, CHART_PAGE_HEADERS);
      return true;
    }
    const report = reportOf(run);
    const body = report
      ? finishedRunPage(reportWithRunLabel(run, report))
      : liveRunPage(runView(run, source.events(run.id)));
    send(request, response, 200, HTML, body, CHART_PAGE_HEADERS);
    return true;
  }
  return false;
}

export function handleRequest(
  options: Pick<ServeOptions, 'pages' | 'dashboard'>,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  if (!isLocalHost(request.headers.host)) {
    send(
      request,
      response,
      403,
      TEXT,
      'batchwise serves local requests only (Host must be localhost)\n',
    );
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    send(request, response, 405, TEXT, 'method not allowed\n');
    return;
  }
  const [rawPath = '/', query = ''] = (request.url ?? '/').split('?', 2);
  const path = rawPath.length > 1 ? rawPath.replace(/\/$/, '') : rawPath;
  try {
    if (options.dashboard && handleDashboard(options.dashboard, request, response, path, query))
      return;
  } catch (error) {
    // The store went bad under us (replaced, corrupted): one line, no stack.
    const message = error instanceof Error ? error.message : String(error);
    if (!response.headersSent) send(request, response, 500, TEXT, `${message}\n`);
    else response.end();
    return;
  }
  const page = options.pages.get(path);
  if (!page) {
    send(request, response, 404, TEXT, 'not found\n');
    return;
  }
  send(request, response, 200, page.contentType, page.body);
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const server = createServer((request, response) => handleRequest(options, request, response));
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
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Event streams stay open until their run ends: close them with the server.
        server.closeAllConnections();
      }),
  };
}
