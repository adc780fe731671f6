// What the queue costs and what a second worker buys: the same small sweep run side by side
// (1) locally, one trial at a time (--workers 1), (2) through Redis with one `batchwise worker`,
// (3) through Redis with two. Every trial is a process of its own in all three, so the difference
// between (1) and (2), per trial, is the queue's overhead (enqueue, pick-up, events through the
// stream, completion); (2) over (3) is the speed-up of the second worker.
// Goal (issue 15): overhead under 50 ms a trial; speed-up close to the workers' count where the
// cores allow (this machine has 2; the default workload's trials wait on a simulated device, so
// two fit; --tfjs trains the real mlp, where two trials share the 2 cores).
// Run: npx tsx bench/queue-workers.ts [repeats=3] [--tfjs]

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { type RedisServer, startRedis } from '../test/support/redis-server.js';

const repeats = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? '3');
const tfjs = process.argv.includes('--tfjs');
const bin = new URL('../bin/batchwise.js', import.meta.url).pathname;

// 12 trials: 6 batches x 2 repeats.
const sweep = tfjs
  ? [
      ...['sweep', '--model', 'mlp', '--data', 'fashion-mnist', '--data-option', 'examples=2000'],
      ...['--batches', '16,32,64,128,256,512', '--repeats', '2', '--examples', '4000'],
      ...['--lr-rule', 'linear', '--lr', '0.05'],
    ]
  : [
      ...['sweep', '--engine', 'fake', '--target-loss', '0.5', '--lr-rule', 'linear'],
      ...['--batches', '16,32,64,128,256,512', '--repeats', '2', '--fake-step-delay', '10'],
    ];
const trials = 12;

function timed(args: string[]): number {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, [bin, ...sweep, ...args, '--no-store', '--quiet'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function startWorkers(server: RedisServer, count: number): ChildProcess[] {
  return Array.from({ length: count }, () =>
    spawn(process.execPath, [bin, 'worker', '--queue', server.url, '--quiet'], {
      stdio: 'ignore',
    }),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const server = await startRedis();
const local: number[] = [];
const one: number[] = [];
const two: number[] = [];
try {
  for (let r = 0; r < repeats; r++) {
    local.push(timed(['--workers', '1']));
    let workers = startWorkers(server, 1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    one.push(timed(['--queue', server.url]));
    for (const w of workers) w.kill('SIGTERM');
    workers = startWorkers(server, 2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    two.push(timed(['--queue', server.url]));
    for (const w of workers) w.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
} finally {
  await server.stop();
}

const [l, q1, q2] = [median(local), median(one), median(two)];
const overheadMs = ((q1 - l) / trials) * 1000;
console.log(
  `${trials} trials (${tfjs ? 'TF.js mlp, Fashion-MNIST' : 'fake engine, 10 ms a step'}), median of ${repeats}, ${cpus().length} cores`,
);
console.log('setup                      wall      per trial');
console.log(
  `local, 1 at a time         ${l.toFixed(2)} s    ${((l / trials) * 1000).toFixed(0)} ms`,
);
console.log(
  `queue, 1 worker            ${q1.toFixed(2)} s    ${((q1 / trials) * 1000).toFixed(0)} ms`,
);
console.log(
  `queue, 2 workers           ${q2.toFixed(2)} s    ${((q2 / trials) * 1000).toFixed(0)} ms`,
);
const perRepeat = local.map((x, i) => ((((one[i] ?? 0) - x) / trials) * 1000).toFixed(0));
console.log(
  `queue overhead per trial: ${overheadMs.toFixed(1)} ms (goal < 50 ms; each repeat: ${perRepeat.join(', ')} ms, the spread is the machine's noise)`,
);
console.log(`speed-up of 2 workers over 1: ${(q1 / q2).toFixed(2)}x`);
