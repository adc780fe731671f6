/// <reference lib="dom" />
// The calculator page's script: reads the form, runs the planner (the same modules as the CLI),
// and draws the memory terms, the plan and the chart. Bundled inline by build-plan-page.ts.

import { formatBytes } from '../../src/analysis/memory-model.js';
import { customDevice, DEVICES, findDevice, type Precision } from '../../src/planner/devices.js';
import type { OptimizerStateBits, ZeroStage } from '../../src/planner/memory/model-states.js';
import { MEMORY_TERM_LABELS, MEMORY_TERMS } from '../../src/planner/memory/training-memory.js';
import type { Recompute } from '../../src/planner/memory/transformer-activations.js';
import {
  MODEL_PRESET_NAMES,
  modelFromJson,
  presetModel,
} from '../../src/planner/models/model-description.js';
import { type PlanInput, planBatch } from '../../src/planner/plan.js';
import { memoryChartSvg, TERM_COLOURS } from './memory-chart.js';

const form = document.getElementById('form') as HTMLFormElement;
const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
const optional = (name: string): number | undefined => {
  const text = field(name).value.trim();
  return text === '' ? undefined : Number(text);
};

function fillSelect(name: string, values: readonly string[], selected: string): void {
  const select = form.elements.namedItem(name) as HTMLSelectElement;
  select.innerHTML = values
    .map((v) => `<option${v === selected ? ' selected' : ''}>${v}</option>`)
    .join('');
}

function readInput(): PlanInput {
  const seqLen = optional('seqLen');
  const resolution = optional('resolution');
  const overrides = {
    ...(seqLen !== undefined ? { sequenceLength: seqLen } : {}),
    ...(resolution !== undefined ? { resolution } : {}),
  };
  const json = (form.elements.namedItem('json') as HTMLTextAreaElement).value.trim();
  const model =
    json === ''
      ? presetModel(field('model').value, overrides)
      : modelFromJson(JSON.parse(json), 'pasted JSON', overrides);
  const memoryGiB = optional('deviceMemory');
  const tflops = optional('deviceTflops');
  const device =
    memoryGiB !== undefined && tflops !== undefined
      ? customDevice(memoryGiB * 1024 ** 3, tflops)
      : findDevice(field('device').value);
  const targetLoss = optional('targetLoss');
  const computeBudgetFlops = optional('computeBudget');
  const tokens = optional('tokens');
  return {
    model,
    device,
    devices: Number(field('devices').value),
    precision: field('precision').value as Precision,
    optimizer: field('optimizer').value as PlanInput['optimizer'],
    optimizerStateBits: Number(field('optimizerBits').value) as OptimizerStateBits,
    zeroStage: Number(field('zero').value) as ZeroStage,
    tensorParallel: Number(field('tensorParallel').value),
    pipelineParallel: Number(field('pipelineParallel').value),
    recompute: field('recompute').value as Recompute,
    flashAttention: field('flash').value === 'on',
    marginFraction: Number(field('margin').value),
    mfu: Number(field('mfu').value),
    ...(targetLoss !== undefined ? { targetLoss } : {}),
    ...(computeBudgetFlops !== undefined ? { computeBudgetFlops } : {}),
    ...(tokens !== undefined ? { tokens } : {}),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render(): void {
  const error = document.getElementById('error')!;
  try {
    const input = readInput();
    const plan = planBatch(input);
    error.textContent = '';
    document.getElementById('chart')!.innerHTML = memoryChartSvg({
      model: input.model,
      settings: plan.settings,
      budgetBytes: plan.budgetBytes,
      maxMicroBatch: plan.maxMicroBatch,
    });
    const rows = MEMORY_TERMS.map(
      (t) =>
        `<tr><td><span class="swatch" style="background:${TERM_COLOURS[t]}"></span>${MEMORY_TERM_LABELS[t]}</td><td class="bytes">${formatBytes(plan.memoryAtMax.terms[t])}</td></tr>`,
    ).join('');
    document.getElementById('terms')!.innerHTML =
      `<tr><th>memory per device</th><th>micro-batch ${plan.maxMicroBatch}</th></tr>${rows}<tr><th>total</th><td class="bytes">${formatBytes(plan.memoryAtMax.totalBytes)}</td></tr>`;
    const unit = plan.model.sequenceLength !== undefined ? 'sequences' : 'examples';
    const summary: [string, string][] = [
      ['parameters', plan.model.parameters.toLocaleString('en-US')],
      ['max micro-batch', `${plan.maxMicroBatch} ${unit} per device`],
      [
        'global batch',
        `${plan.globalBatch.toLocaleString('en-US')} ${unit}${plan.globalBatchTokens !== undefined ? ` (${plan.globalBatchTokens.toLocaleString('en-US')} tokens)` : ''}`,
      ],
      ['aimed at', plan.target.source],
      [
        'split',
        `${plan.microBatch} × ${plan.accumulationSteps} accumulation × ${plan.dataParallel} data-parallel`,
      ],
      [
        'learning rate',
        plan.learningRate === null
          ? plan.learningRateSource
          : `${plan.learningRate.toPrecision(3)} — ${plan.learningRateSource}`,
      ],
      [
        'steps',
        plan.training.steps !== undefined ? plan.training.steps.toLocaleString('en-US') : '–',
      ],
      [
        'time',
        `${plan.training.stepSeconds.toPrecision(3)} s per step${plan.training.seconds !== undefined ? `, ${(plan.training.seconds / 3600).toPrecision(3)} h in all` : ''} (${plan.training.formula})`,
      ],
      ...plan.notes.map((n): [string, string] => ['note', n]),
    ];
    document.getElementById('summary')!.innerHTML = summary
      .map(([k, v]) => `<tr><th>${k}</th><td>${escapeHtml(v)}</td></tr>`)
      .join('');
  } catch (e) {
    error.textContent = e instanceof Error ? e.message : String(e);
  }
}

fillSelect('model', MODEL_PRESET_NAMES, 'gpt2-small');
fillSelect(
  'device',
  DEVICES.map((d) => d.name),
  'h100-80gb',
);
// Served by `batchwise serve`: a link back to its run list (opened from disk there is none).
const nav = document.getElementById('nav');
if (nav && typeof location !== 'undefined' && location.protocol.startsWith('http'))
  nav.hidden = false;
form.addEventListener('input', render);
form.addEventListener('submit', (e) => e.preventDefault());
render();
