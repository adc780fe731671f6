// The static calculator page: its chart is drawn from the planner's memory model, and the built
// page is one self-contained file whose inline script runs the planner (checked here against a
// minimal stand-in for the DOM: no browser is installed on this project's machines).

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlanPage } from '../../../scripts/build-plan-page.js';
import { findDevice } from '../../../src/planner/devices.js';
import { trainingMemory } from '../../../src/planner/memory/training-memory.js';
import { presetModel } from '../../../src/planner/models/model-description.js';
import { planBatch } from '../../../src/planner/plan.js';
import { chartMicroBatches, memoryChartSvg } from '../../../web/plan/memory-chart.js';

describe('memory chart', () => {
  it('draws one stacked bar per micro-batch, each term in proportion, and the budget', () => {
    const model = presetModel('gpt2-small');
    const plan = planBatch({
      model,
      device: findDevice('h100-80gb'),
      precision: 'bf16',
      optimizer: 'adamw',
      flashAttention: true,
    });
    const svg = memoryChartSvg({
      model,
      settings: plan.settings,
      budgetBytes: plan.budgetBytes,
      maxMicroBatch: plan.maxMicroBatch,
    });
    const batches = chartMicroBatches(plan.maxMicroBatch);
    expect(batches).toContain(plan.maxMicroBatch);
    expect(batches.length).toBeLessThanOrEqual(26);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/class="term-logits"/g)?.length).toBe(batches.length);
    expect(svg).toContain('class="budget"');
    // The activations bar at the largest micro-batch is as tall as its share of memory.
    const at = trainingMemory(model, plan.settings, plan.maxMicroBatch);
    expect(svg).toContain(
      `micro-batch ${plan.maxMicroBatch}: activations ${(at.terms.activations / 1024 ** 3).toFixed(0)} GiB`,
    );
  });
});

describe('built page', () => {
  it('is one file with the planner inline, and its script renders a plan', async () => {
    const out = await buildPlanPage(mkdtempSync(join(tmpdir(), 'batchwise-page-')));
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(
      /<script[^>]+src=|<link[^>]+href="(?!data:)|https?:\/\/(?!www\.w3\.org)/,
    );
    const script = /<script type="module">([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    expect(script.length).toBeGreaterThan(1000);

    // A minimal DOM: form fields with values, and output elements that keep innerHTML.
    const values: Record<string, string> = {
      model: 'gpt2-small',
      seqLen: '',
      resolution: '224',
      device: 'h100-80gb',
      deviceMemory: '',
      deviceTflops: '',
      devices: '1',
      precision: 'bf16',
      optimizer: 'adamw',
      optimizerBits: '32',
      zero: '0',
      tensorParallel: '1',
      pipelineParallel: '1',
      recompute: 'none',
      flash: 'on',
      margin: '0.05',
      targetLoss: '',
      computeBudget: '',
      tokens: '',
      mfu: '0.4',
      json: '',
    };
    const fields = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, { value: v, innerHTML: '' }]),
    );
    const outputs: Record<string, { innerHTML: string; textContent: string }> = {};
    const form = { elements: { namedItem: (n: string) => fields[n] }, addEventListener: () => {} };
    const stub = {
      getElementById: (id: string) => {
        if (id === 'form') return form;
        const element = outputs[id] ?? { innerHTML: '', textContent: '' };
        outputs[id] = element;
        return element;
      },
    };
    (globalThis as { document?: unknown }).document = stub;
    try {
      await import(`data:text/javascript;base64,${Buffer.from(script).toString('base64')}`);
    } finally {
      delete (globalThis as { document?: unknown }).document;
    }
    expect(outputs.error?.textContent).toBe('');
    expect(outputs.chart?.innerHTML).toMatch(/^<svg/);
    expect(outputs.summary?.innerHTML).toContain('124,439,808');
    expect(fields.model?.innerHTML).toContain('<option selected>gpt2-small</option>');
  });
});
