// Stability of the recommendation: the default `batchwise` run repeated on one machine, printed
// side by side — the recommended batch, its learning rate, the confidence, B_simple and the
// fitted step time — and how far apart the recommended batches are in time to the target
// (each run's own model: the time of every other run's batch relative to its own).
// Goal: the same batch every time, or batches within 5% of each other's time.
// Run: npx tsx bench/recommendation-stability.ts [repeats=5]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findReportSchema } from '../src/report/find-report-schema.js';

const repeats = Number(process.argv[2] ?? 5);
const bin = new URL('../bin/batchwise.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'batchwise-stability-'));
const reports = [];
for (let i = 0; i < repeats; i++) {
  const json = join(dir, `run-${i}.json`);
  execFileSync(process.execPath, [bin, '--quiet', '--no-store', '--json', json], {
    stdio: 'ignore',
  });
  reports.push(findReportSchema.parse(JSON.parse(readFileSync(json, 'utf8'))));
}
const cell = (v: string | number) => String(v).padEnd(14);
console.log('## The default run, repeated');
console.log(
  ['run', 'batch', 'lr', 'confidence', 'B_simple', 't0 (ms)', 'R (ex/s)'].map(cell).join(''),
);
reports.forEach((r, i) => {
  const rec = r.recommendation;
  const fit = r.throughput.fit;
  console.log(
    [
      i + 1,
      rec?.batchSize ?? '-',
      rec ? rec.learningRate.toPrecision(3) : '-',
      rec?.confidence.level ?? '-',
      r.noise.bSimple.value?.toFixed(0) ?? '-',
      fit.fixedSeconds?.value !== undefined && fit.fixedSeconds.value !== null
        ? (fit.fixedSeconds.value * 1000).toFixed(2)
        : '-',
      fit.peakExamplesPerSecond?.toFixed(0) ?? '-',
    ]
      .map(cell)
      .join(''),
  );
});
const batches = [...new Set(reports.map((r) => r.recommendation?.batchSize))];
// Each run's candidates table gives other batches' time relative to its own recommendation.
let worst = 1;
for (const r of reports) {
  for (const b of batches) {
    const c = r.recommendation?.candidates.find((x) => x.batchSize === b);
    if (c?.relativeTime !== undefined && c.relativeTime !== null)
      worst = Math.max(worst, c.relativeTime);
  }
}
console.log(`\ndistinct recommended batches: ${batches.join(', ')}`);
console.log(
  `largest time of another run's batch under a run's own model: ${worst.toFixed(3)}x (goal: at most 1.05x when the batches differ; only candidates each report lists are compared)`,
);
