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
import {
  chartMicroBatches,
  memoryChartSvg,
  memoryTicksGiB,
} from '../../../web/plan/memory-chart.js';

/** GPT-2 small in bf16 with AdamW on an H100 80GB: its plan and its chart. */
function gpt2SmallChart() {
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
  return { model, plan, svg };
}

describe('memory chart', () => {
  it('draws one stacked bar per micro-batch, each term in proportion, and the budget', () => {
    const { model, plan, svg } = gpt2SmallChart();
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

describe('memory axis', () => {
  it('ticks at round values in GiB: 0 up to a multiple of a 1, 2, 2.5 or 5 × 10^k step', () => {
    const gib = 1024 ** 3;
    expect(memoryTicksGiB(107 * gib)).toEqual([0, 20, 40, 60, 80, 100, 120]);
    expect(memoryTicksGiB(80 * gib)).toEqual([0, 20, 40, 60, 80]);
    expect(memoryTicksGiB(24.5 * gib)).toEqual([0, 5, 10, 15, 20, 25]);
    expect(memoryTicksGiB(1.05 * gib)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1, 1.2]);
    expect(memoryTicksGiB(0.3 * gib)).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
  });

  it('labels the ticks and the usable budget at the left end, above the line', () => {
    const { svg } = gpt2SmallChart();
    const ticks = [...svg.matchAll(/<text class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(ticks).toEqual(['0 GiB', '20 GiB', '40 GiB', '60 GiB', '80 GiB', '100 GiB', '120 GiB']);
    expect(svg).toMatch(/<text class="budget-label" x="68"[^>]*text-anchor="start"[^>]*>usable /);
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
    // The link back to the run list is there, hidden until the page is served (not from disk).
    expect(html).toMatch(/<nav id="nav"[^>]* hidden><a href="\/">/);
    expect((outputs.nav as { hidden?: boolean } | undefined)?.hidden).toBeUndefined();
  });
});
