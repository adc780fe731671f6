// `batchwise plan` end to end: the real binary (built by `npm run build`) prints the memory terms
// and the plan, writes the JSON fields, reads a find report, and turns bad input into one line.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchwise } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-plan-'));

describe('batchwise plan', () => {
  it('prints every memory term and the plan for GPT-2 small on an H100, and writes the JSON', async () => {
    const json = join(dir, 'gpt2.json');
    const r = await batchwise(
      'plan',
      '--model',
      'gpt2-small',
      '--device',
      'h100-80gb',
      '--precision',
      'bf16',
      '--optimizer',
      'adamw',
      '--flash-attention',
      'on',
      '--json',
      json,
    );
    expect(r.code).toBe(0);
    for (const label of [
      'weights',
      'fp32 master weights',
      'gradients',
      'optimizer states',
      'activations',
      'logits and loss',
      'CUDA context',
      'fragmentation',
      'total',
    ]) {
      expect(r.stdout).toContain(label);
    }
    expect(r.stdout).toMatch(/Max micro-batch\s+\d+ sequences per device/);
    expect(r.stdout).toMatch(/Learning rate\s+0\.00\d+/);
    const plan = JSON.parse(readFileSync(json, 'utf8'));
    expect(plan.model.parameters).toBe(124_439_808);
    expect(plan.maxMicroBatch).toBeGreaterThanOrEqual(1);
    expect(plan.memory.microBatch).toBe(plan.maxMicroBatch);
    const terms = plan.memory.terms as Record<string, number>;
    expect(Object.keys(terms)).toEqual([
      'weights',
      'masterWeights',
      'gradients',
      'optimizerStates',
      'activations',
      'logits',
      'runtime',
      'fragmentation',
    ]);
    expect(terms.weights).toBe(2 * 124_439_808);
    expect(Object.values(terms).reduce((a, b) => a + b, 0)).toBeCloseTo(plan.memory.totalBytes, -1);
    expect(plan.globalBatch).toBe(plan.microBatch * plan.accumulationSteps * plan.dataParallel);
    expect(plan.accumulationSteps).toBeGreaterThanOrEqual(1);
    expect(plan.learningRate).toBeGreaterThan(0);
  });

  it('plans from the noise scale of a find report', async () => {
    const report = join(dir, 'find.json');
    const found = await batchwise('find', '--engine', 'fake', '--quiet', '--json', report);
    expect(found.code).toBe(0);
    const json = join(dir, 'from-report.json');
    const r = await batchwise(
      'plan',
      '--model',
      'resnet18',
      '--device',
      'rtx4090',
      '--optimizer',
      'sgd',
      '--from-report',
      report,
      '--json',
      json,
    );
    expect(r.code).toBe(0);
    const plan = JSON.parse(readFileSync(json, 'utf8'));
    expect(plan.target.basis).toBe('measured-noise');
    expect(plan.learningRateSource).toMatch(/McCandlish/);
  });

  it('reads a transformer config.json', async () => {
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        model_type: 'gpt2',
        n_layer: 12,
        n_embd: 768,
        n_head: 12,
        vocab_size: 50257,
        n_positions: 1024,
      }),
    );
    const json = join(dir, 'config-plan.json');
    const r = await batchwise('plan', '--model', config, '--device', 'a100-40gb', '--json', json);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).model.parameters).toBe(124_439_808);
  });

  const bad: [string, string[], RegExp][] = [
    ['unknown preset', ['--model', 'gpt5'], /unknown model "gpt5": use one of/],
    ['unknown device', ['--model', 'gpt2-small', '--device', 'h300'], /unknown device "h300"/],
    [
      'ZeRO on one device',
      ['--model', 'gpt2-small', '--zero', '3'],
      /ZeRO stage 3 shards over data-parallel ranks/,
    ],
    [
      'TP not dividing heads',
      ['--model', 'gpt2-small', '--devices', '5', '--tensor-parallel', '5'],
      /must divide the 12 attention heads/,
    ],
    [
      'does not fit at 1',
      ['--model', 'llama-70b', '--device', 'rtx4090'],
      /does not fit on rtx4090 even at micro-batch 1/,
    ],
    ['ZeRO stage 4', ['--model', 'gpt2-small', '--zero', '4'], /--zero must be 0, 1, 2 or 3/],
  ];
  for (const [name, args, message] of bad) {
    it(`bad input: ${name}`, async () => {
      const r = await batchwise('plan', ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }
});
