// Launches and start-up time of `batchwise find --engine command`, plans against one run per
// trial, on the same fake trainer (test/support/fake-trainer.ts) that sleeps 3 s at start-up (as
// an interpreter that imports a framework and initialises a device does) and sleeps each step's
// reported time (--real-time). The trainer logs every launch (its seconds from process start to
// its start event) and every plan item; batchwise runs as the real CLI, from source.
//
// One run per trial is capped (--cap-seconds, default 900): when the cap stops it, the figures
// it reached are printed and its full cost is extrapolated from the plan run, which makes the
// same measurements (the fake trainer's step times are simulated, so both runs take the same
// decisions): its launches = the plan's items, each costing the capped run's mean start-up.
//
// Run: npx tsx bench/command-engine.ts [--startup-ms 3000] [--cap-seconds 900]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);
const TRAINER = fileURLToPath(new URL('../test/support/fake-trainer.ts', import.meta.url));

if (process.argv[2] === '--cli') {
  // The batchwise CLI from source, so that the bench needs no build.
  const { main } = await import('../src/cli/main.js');
  process.exitCode = await main([process.argv[0] ?? 'node', 'batchwise', ...process.argv.slice(3)]);
} else {
  await bench();
}

interface LaunchLine {
  readonly pid: number;
  readonly startupSeconds?: number;
  readonly item?: number;
}

interface Figures {
  readonly mode: string;
  readonly launches: number;
  readonly items: number;
  readonly startupSeconds: number;
  readonly totalSeconds: number;
  readonly exitCode: number | null;
  readonly capped: boolean;
  readonly lastLine: string;
}

function readLog(path: string): LaunchLine[] {
  try {
    return readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LaunchLine);
  } catch {
    return [];
  }
}

async function runFind(
  mode: string,
  planFlags: readonly string[],
  startupMs: number,
  capSeconds: number,
): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'batchwise-bench-command-'));
  const log = join(dir, 'launches.jsonl');
  const template = [
    'node --import tsx',
    TRAINER,
    '--batch-size {batch} --steps {steps} --micro-batch {micro_batch} --accumulation {accumulation}',
    '--seed {seed} --lr 0.001 --telemetry {telemetry}',
    `--startup-ms ${startupMs} --real-time --oom-above 512 --launch-log ${log}`,
    ...planFlags,
  ].join(' ');
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', SELF, '--cli', 'find', '--engine', 'command', '--cmd', template, '--quiet'],
    {
      env: { ...process.env, BATCHWISE_STORE: join(dir, 'runs.sqlite') },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  let capped = false;
  const cap = setTimeout(() => {
    capped = true;
    // Ctrl-C, as a user would: batchwise ends the command's process group and exits.
    if (child.pid !== undefined) process.kill(child.pid, 'SIGINT');
  }, capSeconds * 1000);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(cap);
  const totalSeconds = (performance.now() - started) / 1000;
  const lines = readLog(log);
  const launches = lines.filter((l) => l.item === undefined);
  return {
    mode,
    launches: launches.length,
    items: lines.length - launches.length,
    startupSeconds: launches.reduce((s, l) => s + (l.startupSeconds ?? 0), 0),
    totalSeconds,
    exitCode,
    capped,
    lastLine: output.trim().split('\n').at(-1) ?? '',
  };
}

function row(cells: readonly (string | number)[]): string {
  return cells.map((c, i) => String(c).padEnd(i === 0 ? 34 : 14)).join('');
}

async function bench(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'startup-ms': { type: 'string', default: '3000' },
      'cap-seconds': { type: 'string', default: '900' },
    },
  });
  const startupMs = Number(values['startup-ms']);
  const capSeconds = Number(values['cap-seconds']);
  console.log(
    `# find --engine command on a fake trainer that takes ${startupMs / 1000} s to start (and sleeps its step times)\n`,
  );
  const plan = await runFind('plans ({plan})', ['--plan {plan}'], startupMs, 3600);
  const perTrial = await runFind('one run per trial', [], startupMs, capSeconds);
  const header = ['mode', 'launches', 'start-up s', 'total s', 'start-up %', 'exit'];
  console.log(row(header));
  const line = (f: Figures, label = f.mode) =>
    row([
      label,
      f.launches,
      f.startupSeconds.toFixed(1),
      f.totalSeconds.toFixed(1),
      ((100 * f.startupSeconds) / f.totalSeconds).toFixed(1),
      f.capped ? `capped at ${capSeconds} s` : String(f.exitCode),
    ]);
  console.log(line(plan));
  console.log(line(perTrial, perTrial.capped ? 'one run per trial (so far)' : perTrial.mode));
  if (perTrial.capped && perTrial.launches > 0) {
    // The same measurements need one run per plan item; each costs the mean start-up measured.
    const meanStartup = perTrial.startupSeconds / perTrial.launches;
    const launches = plan.items;
    const startup = launches * meanStartup;
    const work = plan.totalSeconds - plan.startupSeconds;
    console.log(
      row([
        'one run per trial (EXTRAPOLATED)',
        launches,
        startup.toFixed(1),
        (startup + work).toFixed(1),
        ((100 * startup) / (startup + work)).toFixed(1),
        'estimate',
      ]),
    );
    console.log(
      `\nExtrapolation: ${launches} runs (one per plan item of the plan run) × ${meanStartup.toFixed(2)} s mean start-up (measured over the capped run's ${perTrial.launches} launches) + ${work.toFixed(1)} s of work (the plan run's total less its start-up).`,
    );
  }
  console.log(
    `\nplan run: ${plan.items} items in ${plan.launches} launches; its last line: ${plan.lastLine}`,
  );
  const pass = plan.launches <= 6 && plan.startupSeconds <= 0.25 * plan.totalSeconds;
  console.log(
    `target (at most 6 launches, at most 25% of the wall time starting processes): ${pass ? 'met' : 'NOT met'}`,
  );
  if (!pass) process.exitCode = 1;
}
