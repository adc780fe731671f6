// Does find's recommendation hold when trained? `find` on Fashion-MNIST (the built-in mlp), then
// `sweep --from-report` to the loss at which find measured its noise scale, and side by side: the
// recommended batch, the fastest measured, the recommendation's regret (its time to the target
// over the fastest's), and the measured B_crit against find's B_simple.
// Goal (issue 13): regret at most 1.15x.
// Run: npx tsx bench/sweep-vs-find.ts [examples=6000] [repeats=2] [lr-rule=default]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findReportSchema } from '../src/report/find-report-schema.js';
import { sweepReportSchema } from '../src/sweep/sweep-report.js';

const examples = process.argv[2] ?? '6000';
const repeats = process.argv[3] ?? '2';
const rule = process.argv[4];
const bin = new URL('../bin/batchwise.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'batchwise-bench-sweep-'));
const workload = [
  '--model',
  'mlp',
  '--data',
  'fashion-mnist',
  '--data-option',
  `examples=${examples}`,
];

const run = (args: string[]) =>
  execFileSync(process.execPath, [bin, ...args, '--no-store', '--quiet'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });

const started = Date.now();
const findJson = join(dir, 'find.json');
run(['find', ...workload, '--noise-seconds', '30', '--json', findJson]);
const find = findReportSchema.parse(JSON.parse(readFileSync(findJson, 'utf8')));
const last = find.noise.trajectory.at(-1);
if (!find.recommendation || !last || last.loss === null) {
  console.log('find gave no recommendation: nothing to check');
  process.exit(1);
}
// The loss at which find measured: B_simple and B_crit grow as the loss falls.
const target = Number(last.loss.toPrecision(2));
const findSeconds = (Date.now() - started) / 1000;
const sweepJson = join(dir, 'sweep.json');
run([
  'sweep',
  ...workload,
  '--from-report',
  findJson,
  '--target-loss',
  String(target),
  '--repeats',
  repeats,
  '--workers',
  '1',
  ...(rule ? ['--lr-rule', rule] : []),
  '--json',
  sweepJson,
]);
const sweep = sweepReportSchema.parse(JSON.parse(readFileSync(sweepJson, 'utf8')));
const sweepSeconds = (Date.now() - started) / 1000 - findSeconds;
const a = sweep.analysis;

const cell = (v: string | number) => String(v).padEnd(16);
console.log(
  `## find vs sweep: mlp on Fashion-MNIST (${examples} examples), target training loss ${target}, ${repeats} repeat(s), learning rates: ${sweep.rule}`,
);
console.log(
  [cell('batch'), cell('reached'), cell('steps'), cell('time (s)'), cell('vs fastest')].join(''),
);
for (const b of a.batches) {
  const mark =
    b.batchSize === a.prediction?.recommendedBatch
      ? ' <- recommended'
      : b.batchSize === a.best?.batchSize
        ? ' <- fastest'
        : '';
  console.log(
    [
      cell(b.batchSize),
      cell(`${b.reachedCount}/${b.repeatCount}`),
      cell(b.stepsToTarget?.median ?? '-'),
      cell(b.secondsToTarget ? b.secondsToTarget.median.toFixed(3) : '-'),
      cell(b.regret !== undefined ? `${b.regret.toFixed(2)}x` : '-'),
    ].join('') + mark,
  );
}
const bSimple = sweep.basis.bNoise;
const fit = a.fit;
console.log('');
console.log(
  `recommended batch ${find.recommendation.batchSize} (lr ${find.recommendation.learningRate.toPrecision(3)}), fastest measured ${a.best?.batchSize ?? '-'}`,
);
console.log(
  `regret of the recommendation: ${a.prediction?.recommendedRegret?.toFixed(2) ?? '-'}x (goal: at most 1.15x)`,
);
if (fit.kind === 'fitted' && bSimple !== undefined) {
  const ci = fit.bCrit.ci;
  console.log(
    `B_crit measured ${fit.bCrit.value.toFixed(0)}${ci ? ` (95% ${ci[0]?.toFixed(0) ?? '0'}–${ci[1]?.toFixed(0) ?? '∞'})` : ''} vs find's B_simple ${bSimple.toFixed(0)} at loss ${last.loss.toPrecision(3)}: ratio ${(fit.bCrit.value / bSimple).toFixed(2)}`,
  );
} else {
  console.log(`B_crit not measured: ${fit.kind === 'insufficient' ? fit.reason : 'no B_simple'}`);
}
console.log(`generalisation: ${a.generalisation.statement}`);
console.log(`(find ${findSeconds.toFixed(0)} s, sweep ${sweepSeconds.toFixed(0)} s)`);
