// GET /api/runs/ID/events: the run's store events as server-sent events, as they are committed
// by the `find` that writes them (another process). The store is polled for events with a
// sequence above the last sent; a comment line keeps the connection alive; when the run is no
// longer running the remaining events are sent, then an `end` event, and the stream closes.
// A client that goes away stops the polling.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunSource } from './run-source.js';
import { describeEvent, toApiJson } from './run-view.js';

export interface EventStreamTiming {
  /** How often the store is read for new events. */
  readonly pollMs?: number;
  /** How often a comment line is sent when nothing else is. */
  readonly heartbeatMs?: number;
}

export function streamRunEvents(
  source: RunSource,
  runId: string,
  afterSequence: number,
  request: IncomingMessage,
  response: ServerResponse,
  headers: Record<string, string>,
  timing: EventStreamTiming = {},
): void {
  response.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  // Reconnect after a second; a browser reconnecting sends Last-Event-ID.
  response.write('retry: 1000\n\n');
  let last = afterSequence;
  let lastWrite = Date.now();
  let closed = false;

  const stop = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
  };
  const poll = () => {
    if (closed) return;
    try {
      for (const event of source.events(runId, last)) {
        const data = toApiJson({ ...event, line: describeEvent(event) });
        response.write(`id: ${event.sequence}\ndata: ${data}\n\n`);
        last = event.sequence;
        lastWrite = Date.now();
      }
      const run = source.run(runId);
      if (run?.status !== 'running') {
        response.write(
          `event: end\ndata: ${toApiJson({ status: run?.status ?? 'gone', lastSequence: last })}\n\n`,
        );
        stop();
        response.end();
        return;
      }
      if (Date.now() - lastWrite >= (timing.heartbeatMs ?? 15_000)) {
        response.write(': heartbeat\n\n');
        lastWrite = Date.now();
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      response.write(`event: failure\ndata: ${toApiJson({ message })}\n\n`);
      stop();
      response.end();
    }
  };
  const timer = setInterval(poll, timing.pollMs ?? 300);
  request.on('close', stop);
  response.on('close', stop);
  poll();
}
