// The progress display of `find` and `sweep`: the pure renderer (phase k of n, ETA only where it
// can be estimated, the width of a terminal that reports 0 columns, truncation that never cuts an
// escape sequence), the terminal writer on a fake stream (log lines kept, the status line erased
// at the end), plain lines without \r or ESC elsewhere, and the real binary's standard error.

import { describe, expect, it } from 'vitest';
import {
  applyFindEvent,
  createProgress,
  type FindProgressState,
  findEta,
  initialFindProgress,
  renderFindStatus,
} from '../../src/cli/find-progress.js';
import {
  DEFAULT_COLUMNS,
  fitToWidth,
  formatDuration,
  StatusWriter,
  terminalColumns,
} from '../../src/cli/status-line.js';
import {
  applyTrialEvent,
  createSweepProgress,
  initialSweepProgress,
  renderSweepStatus,
  sweepEta,
} from '../../src/cli/sweep-progress.js';
import type { FindEvent } from '../../src/find/find-events.js';
import { findSettingsSchema } from '../../src/find/find-settings.js';
import { batchwise } from '../support/run-cli.js';

const settings = findSettingsSchema.parse({
  throughputBatchCount: 8,
  noiseMeasurements: 30,
  noiseMaxSeconds: 120,
});

const configEvent: FindEvent = {
  kind: 'config',
  config: {
    settings,
    memoryBudgetBytes: 2 ** 31,
    maxBatchSize: 4096,
    datasetSize: 4096,
    notes: [],
  },
};

const summary = {
  count: 5,
  invalidCount: 0,
  mean: 0.01,
  standardDeviation: 0.001,
  median: 0.01,
  medianAbsoluteDeviation: 0.001,
  min: 0.009,
  max: 0.012,
  q25: 0.0095,
  q75: 0.011,
  outlierIndices: [],
};

function memoryTrial(batchSize: number): FindEvent {
  return {
    kind: 'memory-trial',
    trial: { batchSize, outcome: 'ok', peakBytes: 1e8, reason: 'fit point' },
  };
}

function throughputPoint(batchSize: number): FindEvent {
  return {
    kind: 'throughput-point',
    point: {
      batchSize,
      outcome: 'ok',
      warmupSeconds: [0.01, 0.01],
      stepSeconds: [0.01, 0.01, 0.01, 0.01, 0.01],
      losses: [1, 1, 1, 1, 1],
      summary,
      examplesPerSecond: batchSize / 0.01,
      examplesPerSecondRange: [batchSize / 0.012, batchSize / 0.009],
    },
  };
}

function noiseMeasurement(step: number): FindEvent {
  return {
    kind: 'noise-measurement',
    measurement: {
      microBatchSize: 16,
      microSqNorms: [1, 1],
      accumulatedSqNorm: 0.5,
      loss: 0.7,
      step,
      seconds: 0.1,
      gradientSqNorm: 0.4,
      traceCovariance: 10,
    },
    estimate: {
      kind: 'measured',
      value: 500,
      ci: [400, 600],
      gradientSqNorm: { mean: 0.4, standardError: 0.01 },
      traceCovariance: { mean: 10, standardError: 1 },
      effectiveSampleCount: 10,
      sampleCount: 10,
      skippedCount: 0,
      interval: 'delta',
      confidence: 0.95,
    },
  };
}

/** Applies events at the given times (ms since the start at 0). */
function replay(events: readonly [number, FindEvent][]): FindProgressState {
  const state = initialFindProgress(0);
  for (const [at, event] of events) applyFindEvent(state, event, at);
  return state;
}

class FakeStream {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

const ESC = '\x1b';
const hasControl = (text: string) => text.includes('\r') || text.includes(ESC);

describe('the find status line (pure)', () => {
  it('says phase k of 3 and what runs now', () => {
    const memory = replay([
      [0, configEvent],
      [0, { kind: 'phase', phase: 'memory' }],
      [1000, memoryTrial(64)],
    ]);
    const text = renderFindStatus(memory, 2500);
    expect(text).toContain('phase 1 of 3 memory');
    expect(text).toContain('searching, 1 trial(s) done (last: batch 64 ok)');
    expect(text).toContain('2.5s (run 2.5s)');
    const noise = replay([
      [0, configEvent],
      [0, { kind: 'phase', phase: 'memory' }],
      [1000, { kind: 'phase', phase: 'throughput' }],
      [2000, { kind: 'phase', phase: 'noise' }],
      [3000, noiseMeasurement(10)],
    ]);
    const noiseText = renderFindStatus(noise, 4000);
    expect(noiseText).toContain('phase 3 of 3 noise');
    expect(noiseText).toContain('training to noise measurement 2 of 30, last at step 10');
    expect(noiseText).toContain('B_simple 500');
    expect(noiseText).toContain('2.0s (run 4.0s)');
  });

  it('shows an ETA only where it can be estimated', () => {
    // Memory: how many trials the search takes is not known: no ETA.
    const memory = replay([
      [0, configEvent],
      [0, { kind: 'phase', phase: 'memory' }],
      [1000, memoryTrial(64)],
      [2000, memoryTrial(128)],
    ]);
    expect(findEta(memory, 3000)).toBeUndefined();
    expect(renderFindStatus(memory, 3000)).not.toContain('ETA');

    // Throughput: none before the first batch size is timed; then the mean × what is left.
    const started = replay([
      [0, configEvent],
      [0, { kind: 'phase', phase: 'throughput' }],
    ]);
    expect(findEta(started, 5000)).toBeUndefined();
    expect(renderFindStatus(started, 5000)).not.toContain('ETA');
    const timed = replay([
      [0, configEvent],
      [0, { kind: 'phase', phase: 'throughput' }],
      [2000, throughputPoint(1)],
      [4000, throughputPoint(2)],
    ]);
    // 2 of 8 in 4 s: 2 s each, 6 left.
    expect(findEta(timed, 4000)).toEqual({ seconds: 12 });
    expect(renderFindStatus(timed, 4000)).toContain('timing batch size 3 of 8');
    expect(renderFindStatus(timed, 4000)).toContain('ETA 12s');
    // All planned batch sizes timed: nothing left to estimate.
    const all = replay([
      [0, configEvent],
      [0, { kind: 'phase', phase: 'throughput' }],
      ...[1, 2, 4, 8, 16, 32, 64, 128].map((b, i): [number, FindEvent] => [
        (i + 1) * 100,
        throughputPoint(b),
      ]),
    ]);
    expect(findEta(all, 900)).toBeUndefined();
    expect(renderFindStatus(all, 900)).toContain('fitting the step time, 8 batch size(s) timed');

    // Noise: the budget bounds it before the first measurement; then the mean × what is left.
    const noise = replay([
      [0, configEvent],
      [0, { kind: 'phase', phase: 'noise' }],
    ]);
    expect(findEta(noise, 20_000)).toEqual({ seconds: 100, atMost: true });
    expect(renderFindStatus(noise, 20_000)).toContain('ETA ≤ 1m40s');
    for (let i = 1; i <= 10; i++) applyFindEvent(noise, noiseMeasurement(10 * i), i * 1000);
    // 10 of 30 in 10 s: 20 s left, within the 110 s of budget left.
    expect(findEta(noise, 10_000)).toEqual({ seconds: 20 });
    expect(renderFindStatus(noise, 10_000)).toContain('ETA 20s');

    // Before any configuration (or phase) there is nothing to estimate.
    expect(renderFindStatus(initialFindProgress(0), 1000)).not.toContain('ETA');
  });

  it('takes 80 columns when the terminal reports 0, and cuts with an ellipsis', () => {
    expect(terminalColumns(0)).toBe(DEFAULT_COLUMNS);
    expect(terminalColumns(undefined)).toBe(80);
    expect(terminalColumns(120)).toBe(120);
    const long = 'x'.repeat(200);
    expect(fitToWidth(long, 0)).toHaveLength(79);
    expect(fitToWidth(long, 0).endsWith('…')).toBe(true);
    expect(fitToWidth(long, 40)).toHaveLength(39);
    expect(fitToWidth('short', 0)).toBe('short');
    // A 0-column terminal no longer cuts the status line to 20 characters.
    const state = replay([
      [0, configEvent],
      [0, { kind: 'phase', phase: 'throughput' }],
      [2000, throughputPoint(1)],
    ]);
    const stream = new FakeStream(true, 0);
    const writer = new StatusWriter(stream, () => renderFindStatus(state, 3000), {
      live: true,
      intervalMs: 0,
    });
    writer.redraw();
    expect(stream.text.replace('\r\x1b[2K', '').length).toBeGreaterThan(40);
  });

  it('never cuts inside an escape sequence', () => {
    const coloured = `${ESC}[1mphase 2 of 3${ESC}[0m ${ESC}[2m${'y'.repeat(30)}${ESC}[0m`;
    for (let columns = 2; columns <= 50; columns++) {
      const cut = fitToWidth(coloured, columns);
      // Every ESC starts a whole CSI sequence.
      for (let i = cut.indexOf(ESC); i >= 0; i = cut.indexOf(ESC, i + 1)) {
        expect(cut.slice(i)).toMatch(new RegExp(`^${ESC}\\[[0-9;]*m`));
      }
      const visible = cut.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '');
      expect(visible.length).toBeLessThanOrEqual(columns - 1);
    }
    // Surrogate pairs are not split either.
    expect(fitToWidth('😀'.repeat(100), 10)).toBe(`${'😀'.repeat(8)}…`);
  });

  it('formats durations', () => {
    expect(formatDuration(4.21)).toBe('4.2s');
    expect(formatDuration(42.9)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
  });
});

describe('the terminal writer', () => {
  function runFind(stream: FakeStream, env: NodeJS.ProcessEnv = {}): void {
    let now = 0;
    const progress = createProgress(stream, true, { env, now: () => now, intervalMs: 0 });
    const events: [number, FindEvent][] = [
      [0, configEvent],
      [0, { kind: 'phase', phase: 'memory' }],
      [500, memoryTrial(64)],
      [1000, { kind: 'phase', phase: 'throughput' }],
      [1500, throughputPoint(1)],
      [2000, { kind: 'phase', phase: 'noise' }],
      [2500, noiseMeasurement(0)],
      [3000, noiseMeasurement(10)],
    ];
    for (const [at, event] of events) {
      now = at;
      progress(event);
    }
    now = 3500;
    progress.done();
  }

  it('keeps the finished items as lines above the status line and erases it at the end', () => {
    const stream = new FakeStream(true, 100);
    runFind(stream);
    const text = stream.text;
    // The log, as it stays on the screen: what the carriage returns and clears leave.
    const screen = text
      .split('\n')
      .map((line) => line.split('\r\x1b[2K').at(-1) ?? '')
      .filter((line) => line !== '');
    expect(screen).toEqual([
      'phase 1 of 3: memory: searching the largest batch that fits',
      'memory: batch 64 ok (95.4 MiB) [fit point]',
      'memory: 1 trial(s) in 1.0s (run 1.0s)',
      'phase 2 of 3: throughput: timing steps over batch sizes',
      'throughput: batch 1: 100 examples/s, median step 10.0 ms',
      'throughput: 1 batch size(s) timed in 1.0s (run 2.0s)',
      'phase 3 of 3: noise: measuring the gradient noise scale along training',
      'noise: step 0, loss 0.7: B_simple 500 (400–600)',
      'noise: 2 measurement(s) in 1.5s (run 3.5s)',
    ]);
    // A status line was drawn between them, and the output ends with it erased.
    expect(text).toMatch(/phase 2 of 3 throughput · [^\n]* · timing batch size 2 of 8/);
    expect(text.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('writes plain lines, no carriage return or escape, when not a terminal or TERM=dumb', () => {
    for (const [stream, env] of [
      [new FakeStream(false, 100), {}],
      [new FakeStream(true, 100), { TERM: 'dumb' }],
    ] as const) {
      runFind(stream, env);
      expect(hasControl(stream.text)).toBe(false);
      expect(stream.text.split('\n')).toContain(
        'phase 2 of 3: throughput: timing steps over batch sizes',
      );
      expect(stream.text).toContain('noise: step 0, loss 0.7');
    }
  });

  it('writes nothing with --quiet', () => {
    const stream = new FakeStream(true, 100);
    const progress = createProgress(stream, false, { intervalMs: 0 });
    progress(configEvent);
    progress({ kind: 'phase', phase: 'memory' });
    progress.done();
    expect(stream.text).toBe('');
  });

  it('redraws on its timer while nothing happens', async () => {
    const stream = new FakeStream(true, 100);
    let now = 0;
    const progress = createProgress(stream, true, { env: {}, now: () => now, intervalMs: 5 });
    progress(configEvent);
    progress({ kind: 'phase', phase: 'memory' });
    const before = stream.text.length;
    now = 7000;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(stream.text.length).toBeGreaterThan(before);
    expect(stream.text).toContain('7.0s (run 7.0s)');
    progress.done();
    const after = stream.text.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stream.text.length).toBe(after);
  });
});

describe('the sweep status line', () => {
  const end = (id: string) =>
    ({
      type: 'trial-end',
      id,
      outcome: 'reached',
      stepsToTarget: 10,
      examplesToTarget: 640,
      secondsToTarget: 1,
      steps: 10,
      examples: 640,
      seconds: 1,
    }) as const;
  const start = (id: string) =>
    ({
      type: 'trial-start',
      id,
      batchSize: 64,
      learningRate: 0.1,
      seed: 1,
      datasetSize: 1000,
    }) as const;

  it('counts trials, names the running ones and estimates from the mean trial time', () => {
    const state = initialSweepProgress(0);
    state.total = 10;
    state.workers = 2;
    applyTrialEvent(state, start('b64-a'), 0);
    applyTrialEvent(state, start('b64-b'), 0);
    expect(sweepEta(state)).toBeUndefined();
    expect(renderSweepStatus(state, 1000)).not.toContain('ETA');
    applyTrialEvent(
      state,
      { type: 'eval', id: 'b64-b', step: 5, examples: 320, seconds: 0.5, trainLoss: 1 },
      2000,
    );
    const lines = applyTrialEvent(state, end('b64-a'), 4000);
    expect(lines).toEqual(['  [1/10] b64-a: reached in 10 steps, 1.00 s']);
    // One trial of 4 s finished, 9 left, 2 at a time: 18 s.
    expect(sweepEta(state)).toEqual({ seconds: 18 });
    const text = renderSweepStatus(state, 5000);
    expect(text).toBe('trials 1 of 10 · 5.0s · ETA 18s · running b64-b step 5');
  });

  it('writes plain trial lines in a pipe', () => {
    const stream = new FakeStream(false);
    const progress = createSweepProgress(stream, true, { intervalMs: 0 });
    progress.config(2, 1);
    progress.log('batchwise: 2 trial(s) of batch 64, 1 at a time');
    progress.event(start('b64-a'));
    progress.event(end('b64-a'));
    progress.done();
    expect(stream.text).toBe(
      'batchwise: 2 trial(s) of batch 64, 1 at a time\n  [1/2] b64-a: reached in 10 steps, 1.00 s\n',
    );
  });
});

describe('batchwise find progress in a pipe', () => {
  it('prints plain phase lines on standard error', async () => {
    const r = await batchwise('find', '--engine', 'fake', '--no-store');
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines).toContain('phase 1 of 3: memory: searching the largest batch that fits');
    expect(lines).toContain('phase 2 of 3: throughput: timing steps over batch sizes');
    expect(lines).toContain(
      'phase 3 of 3: noise: measuring the gradient noise scale along training',
    );
    expect(r.stderr).toMatch(/^memory: \d+ trial\(s\) in /m);
    expect(hasControl(r.stderr)).toBe(false);
  });
});
