// Progress of a `find` run: a live status line in a terminal, plain lines in logs and pipes.

import type { FindEvent } from '../find/find-events.js';
import { formatBytes, formatNumber, formatSeconds } from '../report/format.js';

export interface ProgressSink {
  (event: FindEvent): void;
  done(): void;
}

function describe(event: FindEvent): string | undefined {
  switch (event.kind) {
    case 'config':
      return event.config.notes.length > 0 ? `note: ${event.config.notes.join('; ')}` : undefined;
    case 'resume':
      return undefined;
    case 'phase':
      return {
        memory: 'memory: searching the largest batch that fits',
        throughput: 'throughput: timing steps over batch sizes',
        noise: 'noise: measuring the gradient noise scale along training',
      }[event.phase];
    case 'memory-trial': {
      const t = event.trial;
      return `memory: batch ${t.batchSize} ${t.outcome}${t.peakBytes ? ` (${formatBytes(t.peakBytes)})` : ''} [${t.reason}]`;
    }
    case 'throughput-point': {
      const p = event.point;
      return `throughput: batch ${p.batchSize}: ${p.outcome === 'ok' ? `${formatNumber(p.examplesPerSecond)} examples/s, median step ${formatSeconds(p.summary.median)}` : p.outcome}`;
    }
    case 'noise-measurement': {
      const e = event.estimate;
      const value =
        e.kind === 'measured'
          ? `B_simple ${formatNumber(e.value)} (${formatNumber(e.ci[0])}–${formatNumber(e.ci[1])})`
          : 'B_simple not measurable yet';
      return `noise: step ${event.measurement.step}, loss ${formatNumber(event.measurement.loss)}: ${value}`;
    }
  }
}

export function createProgress(stream: NodeJS.WriteStream, enabled: boolean): ProgressSink {
  const live = enabled && stream.isTTY === true;
  let noiseCount = 0;
  const sink = ((event: FindEvent) => {
    if (!enabled) return;
    const text = describe(event);
    if (!text) return;
    if (live) {
      const width = Math.max(20, (stream.columns ?? 80) - 1);
      stream.write(`\r\x1b[2K${text.slice(0, width)}`);
      return;
    }
    // Plain lines: every noise measurement would flood a log, so every fifth.
    if (event.kind === 'noise-measurement' && noiseCount++ % 5 !== 0) return;
    stream.write(`${text}\n`);
  }) as ProgressSink;
  sink.done = () => {
    if (live) stream.write('\r\x1b[2K');
  };
  return sink;
}
