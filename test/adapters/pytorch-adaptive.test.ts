// adapters/python/batchwise_adaptive.py (issue 16, the PyTorch side of the adaptive batch):
// - the Python controller replays the TypeScript controller's golden vector
//   (test/adaptive/controller-golden.json)
//   to the same decisions: steps, examples and batches exactly, B_noise, B* and learning rates
//   within 1e-9 relative; where the TypeScript controller is in the tree, also with every lr rule
//   and a fast cadence, against decisions it makes here;
// - on real PyTorch (test/support/python.ts: Debian's torch 1.13 under /usr/bin/python3), through
//   test/adapters/adaptive_torch_check.py: the accumulated update equals plain big-batch steps
//   (float64, the whole run replayed), the batch grows as B_noise grows with the micro-batch
//   fixed, the learning rate changes by each rule's factor, bad input gives one line;
// - every python and sh block of docs/adaptive-pytorch.md and of the adaptive section of
//   adapters/python/README.md runs as written (python3: the torch interpreter, by a shim first on
//   PATH; PYTHONPATH=adapters/python stands for the pip install the README describes).

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_ENV, requireTorchPython, skipTorch } from '../support/python.js';
import { type CliResult, runProcess } from '../support/run-cli.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const ADAPTER = path.join(ROOT, 'adapters/python');
const CHECK = path.join(ROOT, 'test/adapters/adaptive_torch_check.py');
const REPLAY = path.join(ROOT, 'test/adapters/adaptive_golden.py');
const GOLDEN = path.join(ROOT, 'test/adaptive/controller-golden.json');
const TS_CONTROLLER = path.join(ROOT, 'src/analysis/adaptive-controller.ts');
/** The golden replay needs only the standard library: Debian's interpreter, else PATH's. */
const PLAIN_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

interface Decision {
  afterStep: number;
  examples: number;
  fromBatch: number;
  toBatch: number;
  fromLr: number;
  toLr: number;
  bNoise: number;
  targetBatch: number;
  reason?: string;
}

interface GoldenStep {
  microBatchSize: number;
  microSqNorms: number[];
  bigSqNorm: number;
  stepSeconds: number;
}

interface Golden {
  format: string;
  options: Record<string, unknown>;
  steps: GoldenStep[];
  expected: Decision[];
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'batchwise-adaptive-py-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function relative(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

async function replay(goldenFile: string): Promise<Decision[]> {
  const { stdout } = await run(PLAIN_PYTHON, [REPLAY, goldenFile], { env: PYTHON_ENV });
  return (JSON.parse(stdout) as { decisions: Decision[] }).decisions;
}

/** Same decisions: exact integers, the rest within 1e-9 relative; returns the worst difference. */
function compareDecisions(name: string, python: Decision[], expected: Decision[]): number {
  expect(
    python.map((d) => d.afterStep),
    name,
  ).toEqual(expected.map((d) => d.afterStep));
  let worst = 0;
  expected.forEach((want, i) => {
    const got = python[i];
    if (got === undefined) throw new Error(`${name}: decision ${i} missing`);
    expect(got.examples).toBe(want.examples);
    expect(got.fromBatch).toBe(want.fromBatch);
    expect(got.toBatch).toBe(want.toBatch);
    for (const key of ['fromLr', 'toLr', 'bNoise', 'targetBatch'] as const) {
      const difference = relative(got[key], want[key]);
      expect(difference, `${name} decision ${i} ${key}`).toBeLessThan(1e-9);
      worst = Math.max(worst, difference);
    }
  });
  return worst;
}

describe('batchwise_adaptive.AdaptiveController = the TypeScript controller', () => {
  it('replays the golden vector to the same decisions', async () => {
    const golden = JSON.parse(await readFile(GOLDEN, 'utf8')) as Golden;
    expect(golden.format).toContain('Replay:');
    expect(golden.expected.length).toBeGreaterThanOrEqual(2);
    const python = await replay(GOLDEN);
    expect(python).toHaveLength(golden.expected.length);
    const worst = compareDecisions('golden', python, golden.expected);
    console.log(
      `golden vector: ${golden.steps.length} steps, ${python.length} decisions (${python.map((d) => `${d.fromBatch}->${d.toBatch}`).join(', ')}), largest relative difference ${worst.toExponential(1)}`,
    );
    for (const decision of python) expect(decision.reason).toMatch(/^at step \d+ B_noise /);
  }, 60_000);

  it.skipIf(!existsSync(TS_CONTROLLER))(
    'every lr rule and a fast cadence (non-finite norms, untimed steps): the decisions the TypeScript controller makes here',
    async () => {
      interface Controller {
        observe(step: GoldenStep): void;
        decide(): (Omit<Decision, 'afterStep'> & { step: number }) | undefined;
      }
      const module = (await import(TS_CONTROLLER)) as {
        AdaptiveController: new (options: Record<string, unknown>) => Controller;
      };
      const golden = JSON.parse(await readFile(GOLDEN, 'utf8')) as Golden;
      const fast = { minStepsBeforeGrow: 7, checkEverySteps: 3, growFactor: 1.5, emaDecay: 0.8 };
      const figures: string[] = [];
      for (const lrRule of ['linear', 'sqrt', 'noise', 'adascale']) {
        for (const [variant, extra] of [
          ['default cadence', {}],
          ['fast cadence', fast],
        ] as const) {
          const options = { ...golden.options, lrRule, ...extra };
          const steps = golden.steps.map((step, i) =>
            variant === 'fast cadence' && i % 97 === 5
              ? { ...step, bigSqNorm: Number.NaN }
              : variant === 'fast cadence' && i % 89 === 3
                ? { ...step, stepSeconds: 0 }
                : step,
          );
          const controller = new module.AdaptiveController(options);
          const expected: Decision[] = [];
          for (const step of steps) {
            controller.observe(step);
            const change = controller.decide();
            if (change !== undefined) expected.push({ ...change, afterStep: change.step });
          }
          expect(expected.length).toBeGreaterThanOrEqual(1);
          const file = path.join(dir, `golden-${lrRule}-${expected.length}-${variant[0]}.json`);
          // NaN is not JSON: written as the string "NaN", which the replay's float() reads as nan.
          const json = JSON.stringify(
            { format: golden.format, options, steps, expected },
            (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v),
          );
          await writeFile(file, json);
          const worst = compareDecisions(`${lrRule}, ${variant}`, await replay(file), expected);
          figures.push(
            `${lrRule} ${variant}: ${expected.length} decisions, ${worst.toExponential(1)}`,
          );
        }
      }
      console.log(`TS vs Python controller:\n  ${figures.join('\n  ')}`);
    },
    120_000,
  );
});

interface ExactResult {
  steps: number;
  batchSizes: number[];
  lrs: number[];
  changes: (Decision & { step: number })[];
  maxParameterDifference: number;
  parameterScale: number;
  maxNormRelativeError: number;
  step_returned_not_none: number;
  zero_grad_kept_grads: number;
  micro_batches: number;
}

interface GrowResult {
  rule: string;
  steps: number;
  microBatchSizes: number[];
  batchSize: number;
  maxBatch: number;
  changes: (Decision & { step: number })[];
  lrFinal: number;
  bNoise: (number | null)[];
  batchByStep: number[];
  smoothed: [number, number];
  lossByStep: number[];
}

async function check<T>(...args: string[]): Promise<T> {
  const { python } = requireTorchPython();
  const { stdout } = await run(python, [CHECK, ...args], { env: PYTHON_ENV });
  return JSON.parse(stdout) as T;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe.skipIf(skipTorch())('batchwise_adaptive on real PyTorch', () => {
  for (const clip of [undefined, '1.0']) {
    it(`the accumulated update equals plain big-batch steps, across a growth and an epoch end (adapt of a DataLoader${clip === undefined ? '' : `, clip ${clip}`})`, async () => {
      // 200 examples: 25 micro-batches of 8 per epoch, so a step spans the epoch end. The
      // step gradients' norms are 8 to 19 here: clipping at 1 changes every step.
      const r = await check<ExactResult>(
        'exact',
        '--rule',
        'noise',
        '--steps',
        '16',
        '--examples',
        '200',
        '--label-noise',
        '4',
        ...(clip === undefined ? [] : ['--clip', clip]),
      );
      expect(r.steps).toBe(16);
      expect(r.changes.length).toBeGreaterThanOrEqual(1);
      const first = r.changes[0];
      if (first === undefined) throw new Error('no change');
      expect(r.batchSizes[0]).toBe(16);
      expect(Math.max(...r.batchSizes)).toBeGreaterThan(16);
      // The lr of the step after a change is the change's toLr.
      expect(relative(r.lrs[first.step] ?? Number.NaN, first.toLr)).toBeLessThan(1e-12);
      expect(r.batchSizes[first.step]).toBe(first.toBatch);
      const microBatches = r.batchSizes.reduce((a, b) => a + b, 0) / 8;
      expect(r.micro_batches).toBe(microBatches);
      expect(r.micro_batches).toBeGreaterThan(25);
      // Between steps: step() returned None and neither it nor zero_grad() touched the gradients.
      expect(r.step_returned_not_none).toBe(0);
      expect(r.zero_grad_kept_grads).toBe(r.micro_batches - r.steps);
      console.log(
        `exact${clip === undefined ? '' : ` (clip ${clip})`}: batches ${r.batchSizes.join(' ')}; parameters differ by ${r.maxParameterDifference.toExponential(1)} (scale ${r.parameterScale.toFixed(2)}); norms by ${r.maxNormRelativeError.toExponential(1)} relative`,
      );
      expect(r.maxParameterDifference).toBeLessThan(1e-6);
      expect(r.maxNormRelativeError).toBeLessThan(1e-12);
    }, 180_000);
  }

  it('the batch grows as B_noise grows, the micro-batch fixed, the lr by each rule', async () => {
    const factor: Record<string, (c: Decision) => number> = {
      linear: (c) => c.toBatch / c.fromBatch,
      sqrt: (c) => Math.sqrt(c.toBatch / c.fromBatch),
      noise: (c) => (1 + c.bNoise / c.fromBatch) / (1 + c.bNoise / c.toBatch),
      // AdaScale's gain with tr(Sigma), |G|^2 > 0 is the noise factor (B_noise = tr/|G|^2).
      adascale: (c) => (1 + c.bNoise / c.fromBatch) / (1 + c.bNoise / c.toBatch),
    };
    const runs: [string[], string][] = [
      [[], 'noise'], // SGD's default
      [['--rule', 'linear'], 'linear'],
      [['--rule', 'sqrt'], 'sqrt'],
      [['--rule', 'adascale'], 'adascale'],
      [['--optimizer', 'adam', '--lr', '0.01'], 'sqrt'], // Adam's default
    ];
    const figures: string[] = [];
    const firstFactors: Record<string, number> = {};
    for (const [args, rule] of runs) {
      const r = await check<GrowResult>('grow', '--steps', '400', ...args);
      const name = `${args.join(' ') || 'sgd, default rule'}`;
      expect(r.rule, name).toBe(rule);
      expect(r.steps).toBe(400);
      // Memory: every micro-batch had the same 8 examples, whatever the batch.
      expect(r.microBatchSizes).toEqual([8]);
      expect(r.changes.length, name).toBeGreaterThanOrEqual(1);
      expect(r.batchSize).toBeGreaterThan(16);
      for (const c of r.changes) {
        const doublings = Math.log2(c.toBatch / c.fromBatch);
        expect(Number.isInteger(doublings) && doublings >= 1).toBe(true);
        expect(c.toBatch).toBeLessThanOrEqual(r.maxBatch);
        expect(c.targetBatch).toBeGreaterThanOrEqual(2 * c.fromBatch);
        expect(relative(c.toLr / c.fromLr, factor[rule]?.(c) ?? Number.NaN)).toBeLessThan(1e-12);
      }
      // The batch each step ran at: 16 until the first change, then each change's toBatch.
      let expectedBatch = 16;
      r.batchByStep.forEach((batch, i) => {
        expect(batch).toBe(expectedBatch);
        const change = r.changes.find((c) => c.step === i + 1);
        if (change !== undefined) expectedBatch = change.toBatch;
      });
      // B_noise grew as the loss fell (McCandlish et al. 2018, Sec. 2.2), up to the first change:
      // the first 100 steps run at batch 16 and the first change is decided on the prior line
      // (timing-free), so this part is the same in every run. What follows depends on the
      // measured step times (docs/adaptive-pytorch.md), and is only reported.
      const measured = r.bNoise.filter((b): b is number => b !== null);
      const early = mean(measured.slice(0, 50));
      const late = mean(measured.slice(-50));
      const first = r.changes[0];
      expect(first?.step).toBeGreaterThanOrEqual(100);
      expect(first?.bNoise).toBeGreaterThan(1.5 * early);
      const lossEarly = mean(r.lossByStep.slice(0, 50));
      const lossBefore = mean(r.lossByStep.slice(50, 100));
      expect(lossBefore).toBeLessThan(lossEarly / 2);
      const lossLate = mean(r.lossByStep.slice(-50));
      if (first !== undefined && args[0] !== '--optimizer')
        firstFactors[rule] = first.toLr / first.fromLr;
      figures.push(
        `${name}: B_noise ${early.toFixed(0)} (steps 1-50) -> ${first?.bNoise.toFixed(0)} (step ${first?.step}) -> ${late.toFixed(0)} (last 50), loss ${lossEarly.toFixed(2)} -> ${lossBefore.toFixed(2)} (steps 51-100) -> ${lossLate.toFixed(2)} (last 50), changes ${r.changes.map((c) => `step ${c.step} ${c.fromBatch}->${c.toBatch} lr x${(c.toLr / c.fromLr).toFixed(4)}`).join('; ')}`,
      );
    }
    console.log(`grow:\n  ${figures.join('\n  ')}`);
    // The first change is decided on the prior step-time line (timing-free): same for every rule.
    expect(relative(firstFactors.adascale ?? 0, firstFactors.noise ?? 1)).toBeLessThan(1e-12);
  }, 300_000);

  it('bad input: one line, AdaptiveError', async () => {
    const r =
      await check<Record<string, { type: string | null; message: string | null }>>('errors');
    const expected: Record<string, RegExp> = {
      'no micro-batch size': /give micro_batch_size/,
      'batch not a multiple': /batch \(12\) must be a multiple of micro_batch_size \(8\)/,
      'one micro-batch': /at least 2 of them/,
      'unknown rule': /lr_rule must be one of linear, sqrt, noise, adascale, got 'cubic'/,
      'above the cap': /initial_batch_size 32 is above the cap of 16 \(max_batch_size 16, 64/,
      'default cap': /max_batch_size 16 by default: a quarter of the data set/,
      'unknown option': /unknown option check_every/,
      'bad decay': /ema_decay must be in \[0, 1\), got 1.0/,
      'one norm': /k >= 2 micro-batch norms/,
      'custom sampler': /sampler of its own \(SubsetRandomSampler\): give adapt\(\) the Dataset/,
      'no backward': /no gradient since the last step\(\); call loss.backward\(\)/,
      closure: /closures are not supported/,
    };
    expect(Object.keys(r).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, pattern] of Object.entries(expected)) {
      expect(r[name]?.type, name).toBe('AdaptiveError');
      expect(r[name]?.message, name).toMatch(pattern);
      expect(r[name]?.message, name).not.toContain('\n');
    }
  }, 60_000);
});

/** The fenced blocks of one language in `text`. */
function blocks(text: string, language: string): string[] {
  return [...text.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(
    (m) => m[1] ?? '',
  );
}

/** The adaptive section of adapters/python/README.md (up to the next `## ` or the end). */
function readmeSection(readme: string): string {
  const start = readme.indexOf('## An adaptive batch size for PyTorch');
  if (start < 0) throw new Error('adapters/python/README.md: no adaptive section');
  const next = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, next < 0 ? undefined : next);
}

/** Runs `/bin/sh -c command` (or `python3 file`) from the repository root, python3 = torch's. */
async function runAsWritten(argv: string[]): Promise<CliResult> {
  const { python } = requireTorchPython();
  const shims = path.join(dir, 'bin');
  await mkdir(shims, { recursive: true });
  await writeFile(path.join(shims, 'python3'), `#!/bin/sh\nexec '${python}' "$@"\n`);
  await chmod(path.join(shims, 'python3'), 0o755);
  const env = {
    ...PYTHON_ENV,
    PATH: [shims, process.env.PATH ?? ''].join(path.delimiter),
    PYTHONPATH: ADAPTER,
  };
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('empty command');
  return runProcess(command, args, { cwd: ROOT, env });
}

describe.skipIf(skipTorch())('the docs run as written', () => {
  const sources = [
    { name: 'docs/adaptive-pytorch.md', section: (text: string) => text },
    { name: 'adapters/python/README.md', section: readmeSection },
  ];

  for (const { name, section } of sources) {
    it(`${name}: every python block`, async () => {
      const text = section(await readFile(path.join(ROOT, name), 'utf8'));
      const found = blocks(text, 'python');
      expect(found.length).toBeGreaterThanOrEqual(1);
      for (const [i, code] of found.entries()) {
        const file = path.join(dir, `${path.basename(name, '.md')}-${i}.py`);
        await writeFile(file, code);
        const r = await runAsWritten(['python3', file]);
        console.log(`${name} python block ${i + 1}: ${r.stdout.trim().split('\n').at(-1)}`);
        expect(r.stderr).not.toContain('Traceback');
        expect(r.code).toBe(0);
        // Each block trains until the batch grows: the change is logged to standard error.
        expect(r.stderr).toMatch(/^batchwise adaptive: at step \d+ B_noise .* batch 16 -> 32/m);
      }
    }, 180_000);

    it(`${name}: every sh block`, async () => {
      const text = section(await readFile(path.join(ROOT, name), 'utf8'));
      const commands = blocks(text, 'sh')
        .flatMap((block) => block.split('\n'))
        .map((line) => line.trim())
        .filter((line) => line !== '');
      expect(commands.length).toBeGreaterThanOrEqual(1);
      for (const command of commands) {
        const r = await runAsWritten(['/bin/sh', '-c', command]);
        console.log(`${name}: ${command}\n  ${r.stdout.trim().split('\n').slice(-4).join('\n  ')}`);
        expect(r.stderr).not.toContain('Traceback');
        expect(r.code).toBe(0);
        if (command.includes('examples/pytorch_adaptive.py')) {
          const epochs = r.stdout.split('\n').filter((l) => l.startsWith('epoch '));
          expect(epochs).toHaveLength(3);
          const changes = Number(/(\d+) batch changes/.exec(r.stdout)?.[1]);
          expect(changes).toBeGreaterThanOrEqual(1);
          expect(r.stderr.match(/^batchwise adaptive: /gm)).toHaveLength(changes);
          expect(epochs.at(-1)).not.toMatch(/batch 32 \(2 x 16\)/);
          const accuracy = Number(/test accuracy ([\d.]+)/.exec(epochs.at(-1) ?? '')?.[1]);
          expect(accuracy).toBeGreaterThan(0.75);
        }
        if (command.includes('adaptive_golden.py')) {
          const decisions = (JSON.parse(r.stdout) as { decisions: Decision[] }).decisions;
          const golden = JSON.parse(await readFile(GOLDEN, 'utf8')) as Golden;
          compareDecisions(command, decisions, golden.expected);
        }
      }
    }, 180_000);
  }
});
