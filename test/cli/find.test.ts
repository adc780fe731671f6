// `batchwise find` end to end: the real binary on the embedded default and on a CSV file, the
// report checked against its schema, the known noise level of the synthetic task, and bad input.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { affineStepTime, timeOptimalBatch } from '../../src/analysis/batch-choice.js';
import { findReportSchema } from '../../src/report/find-report-schema.js';
import { BIN, batchwise } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-find-'));

function readReport(path: string) {
  return findReportSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

function noStackTrace(text: string): void {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('batchwise find', () => {
  it('runs the embedded default with no arguments and writes a valid report', async () => {
    const json = join(dir, 'default.json');
    const markdown = join(dir, 'default.md');
    const r = await batchwise('--json', json, '--markdown', markdown);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Recommended batch size\s+\d+/);
    const report = readReport(json);
    expect(report.schemaVersion).toBe(1);
    expect(report.status).toBe('complete');
    expect(report.engine.backend).toBe('wasm');
    expect(report.memory.trials.length).toBeGreaterThanOrEqual(2);
    expect(report.memory.maxBatch).toBe(report.workload.datasetSize); // a small MLP: the data caps it
    expect(report.throughput.points.length).toBeGreaterThanOrEqual(5);
    expect(report.noise.trajectory.length).toBe(30);
    expect(report.noise.bSimple.kind).toBe('measured');
    expect(report.noise.bSimple.value!).toBeGreaterThan(0);
    expect(report.noise.bSimple.ci95![0]!).toBeLessThanOrEqual(report.noise.bSimple.value!);
    const recommendation = report.recommendation!;
    expect(recommendation.batchSize).toBeGreaterThanOrEqual(1);
    expect(recommendation.batchSize).toBeLessThanOrEqual(report.memory.maxBatch!);
    expect(recommendation.learningRate).toBeGreaterThan(0);
    expect(readFileSync(markdown, 'utf8')).toMatch(/## Gradient noise scale/);
  });

  it('runs on a CSV file with a named label column', async () => {
    const csv = join(dir, 'data.csv');
    const lines = ['x1,x2,x3,x4,kind'];
    let state = 7;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31 - 0.5;
    };
    for (let i = 0; i < 600; i++) {
      const x = [random(), random(), random(), random()];
      const kind = x[0]! + x[1]! > 0 ? (x[2]! > 0 ? 'a' : 'b') : 'c';
      lines.push(`${x.map((v) => v.toFixed(4)).join(',')},${kind}`);
    }
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const json = join(dir, 'csv.json');
    const r = await batchwise('--data', csv, '--label', 'kind', '--json', json, '--quiet');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^batch \d+, learning rate /);
    const report = readReport(json);
    expect(report.workload.data).toContain('data.csv');
    expect(report.workload.datasetSize).toBe(600);
    expect(report.recommendation!.batchSize).toBeLessThanOrEqual(600);
  });

  it('more label noise gives a larger noise scale and a larger recommended batch', async () => {
    const results = [];
    for (const noise of ['0', '0.6']) {
      const json = join(dir, `noise-${noise}.json`);
      const r = await batchwise('--data-option', `labelNoise=${noise}`, '--json', json, '--quiet');
      expect(r.code).toBe(0);
      results.push(readReport(json));
    }
    const [clean, noisy] = results as [
      ReturnType<typeof readReport>,
      ReturnType<typeof readReport>,
    ];
    // The noise scales differ beyond their 95% intervals.
    expect(noisy.noise.bSimple.ci95![0]!).toBeGreaterThan(clean.noise.bSimple.ci95![1]!);
    // Two runs time the machine separately, and timing noise moves t0·R between them; with the
    // machine held fixed (the clean run's step-time fit for both) the noisier task's measured
    // noise scale recommends the larger batch.
    const fit = clean.throughput.fit;
    const stepTime = affineStepTime(fit.fixedSeconds!.value!, fit.secondsPerExample!.value!);
    const batchFor = (report: ReturnType<typeof readReport>) =>
      timeOptimalBatch({
        noise: {
          bNoise: report.noise.bSimple.value!,
          minSteps: 1,
          datasetSize: report.workload.datasetSize,
        },
        stepTime,
        maxMicroBatch: report.memory.maxBatch!,
      }).plan.globalBatch;
    expect(batchFor(noisy)).toBeGreaterThan(batchFor(clean));
    expect(noisy.recommendation!.batchSize).toBeGreaterThanOrEqual(
      clean.recommendation!.batchSize / 2,
    );
  });
});

describe('batchwise find: bad input', () => {
  it('an impossible budget: one clear line and a report of what was measured', async () => {
    const json = join(dir, 'tiny-budget.json');
    const r = await batchwise('--memory-budget', '1KB', '--json', json);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not even batch 1 fits the memory budget/);
    noStackTrace(r.stderr);
    const report = readReport(json);
    expect(report.status).toBe('failed');
    expect(report.memory.trials[0]!.outcome).toBe('oom');
    expect(report.recommendation).toBeNull();
  });

  it('data smaller than the batch: the batch is capped at the data, batch gradient descent allowed', async () => {
    const json = join(dir, 'small.json');
    const r = await batchwise(
      '--data-option',
      'examples=20',
      '--lr-batch',
      '64',
      '--json',
      json,
      '--quiet',
    );
    expect(r.code).toBe(0);
    const report = readReport(json);
    expect(report.memory.maxBatch).toBe(20);
    expect(report.recommendation!.batchSize).toBeLessThanOrEqual(20);
  });

  it('a diverging run is recorded and explained', async () => {
    const json = join(dir, 'diverged.json');
    const r = await batchwise('--lr', '1e7', '--json', json);
    const report = readReport(json);
    expect(report.noise.outcome).toBe('diverged');
    expect(report.messages.join(' ')).toMatch(/loss became/);
    expect(`${r.stdout}${r.stderr}`).toMatch(/diverged at learning rate 10000000/);
    noStackTrace(r.stderr);
  });

  it('bad options are one line each', async () => {
    for (const [args, pattern] of [
      [['--lr', 'abc'], /--lr must be a number > 0, got "abc"/],
      [['--optimizer', 'lion'], /--optimizer must be one of sgd, momentum, adam, adamw/],
      [['--memory-budget', 'lots'], /--memory-budget must be a size such as 2GiB/],
      [['--data', 'nope.csv'], /no built-in data set or file named "nope.csv"/],
      [['--model', 'resnet'], /resnet/],
      [['--backend', 'tpu'], /unknown backend "tpu"/],
    ] as const) {
      const r = await batchwise(...args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('Ctrl-C keeps the finished measurements in the report', async () => {
    const json = join(dir, 'interrupted.json');
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, '--json', json, '--noise-measurements', '100000'],
      // A store of its own: never the repository's .batchwise/.
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, BATCHWISE_STORE: join(dir, 'interrupted.sqlite') },
      },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('noise: step') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(existsSync(json)).toBe(true);
    const report = readReport(json);
    expect(report.status).toBe('interrupted');
    expect(report.memory.trials.length).toBeGreaterThan(0);
    expect(report.throughput.points.length).toBeGreaterThan(0);
    expect(report.noise.measurements.length).toBeGreaterThan(0);
    expect(stderr).toMatch(/interrupted: finishing the current step/);
  });
});
