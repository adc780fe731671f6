// The calculator page's chart: memory per device against the micro-batch, stacked by term, with
// the usable budget and the largest micro-batch marked. Pure: returns an inline SVG string drawn
// from the planner's own memory model (no chart library, no network).

import {
  MEMORY_TERM_LABELS,
  MEMORY_TERMS,
  type MemorySettings,
  type MemoryTerm,
  trainingMemory,
} from '../../src/planner/memory/training-memory.js';
import type { ModelDescription } from '../../src/planner/models/model-description.js';

export const TERM_COLOURS: Readonly<Record<MemoryTerm, string>> = {
  weights: '#4e79a7',
  masterWeights: '#76b7b2',
  gradients: '#59a14f',
  optimizerStates: '#edc948',
  activations: '#f28e2b',
  logits: '#e15759',
  runtime: '#9c755f',
  fragmentation: '#bab0ac',
};

export interface ChartInput {
  readonly model: ModelDescription;
  readonly settings: MemorySettings;
  readonly budgetBytes: number;
  readonly maxMicroBatch: number;
  readonly width?: number;
  readonly height?: number;
}

/** Micro-batches to draw: up to 24 bars from 1 to about 1.5 × the largest that fits. */
export function chartMicroBatches(maxMicroBatch: number): number[] {
  const last = Math.max(2, Math.ceil(maxMicroBatch * 1.5));
  const step = Math.max(1, Math.ceil(last / 24));
  const out: number[] = [];
  for (let b = 1; b <= last; b += step) out.push(b);
  if (!out.includes(maxMicroBatch)) out.push(maxMicroBatch);
  return out.sort((a, b) => a - b);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(bytes < 10 * 1024 ** 3 ? 1 : 0)} GiB`;
}

const GIB = 1024 ** 3;

/**
 * Round ticks of the memory axis, in GiB: 0 up to the first multiple of a 1, 2, 2.5 or 5 × 10^k
 * step at or above `maxBytes`, 4 to 6 intervals (e.g. 0, 20, 40, …, 120 GiB).
 */
export function memoryTicksGiB(maxBytes: number): number[] {
  const max = Math.max(maxBytes / GIB, 1e-3);
  const magnitude = 10 ** Math.floor(Math.log10(max / 5));
  const step =
    [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => max / candidate <= 6) ??
    10 * magnitude;
  const count = Math.ceil(max / step - 1e-9);
  // toPrecision drops the float noise of i × step (0.30000000000000004 → 0.3).
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/** A tick's label: as many decimals as the step needs (2.5 → 1, 0.25 → 2, 20 → 0). */
function tickLabel(valueGiB: number, stepGiB: number): string {
  let decimals = 0;
  const scaled = () => stepGiB * 10 ** decimals;
  while (decimals < 6 && Math.abs(Math.round(scaled()) - scaled()) > 1e-9) decimals++;
  return `${valueGiB.toFixed(decimals)} GiB`;
}

export function memoryChartSvg(input: ChartInput): string {
  const width = input.width ?? 820;
  const height = input.height ?? 360;
  const left = 64;
  const right = 230;
  const top = 16;
  const bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const batches = chartMicroBatches(input.maxMicroBatch);
  const stacks = batches.map((b) => trainingMemory(input.model, input.settings, b));
  const ticks = memoryTicksGiB(
    Math.max(input.budgetBytes * 1.05, ...stacks.map((s) => s.totalBytes)),
  );
  const stepGiB = ticks[1] ?? 1;
  // The axis ends at the top tick, so every grid line is at a round value.
  const yMax = (ticks.at(-1) ?? 1) * GIB;
  const y = (bytes: number) => top + plotH - (bytes / yMax) * plotH;
  const barW = plotW / batches.length;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="memory per device against micro-batch, by term">`,
  );
  for (const tick of ticks) {
    const at = y(tick * GIB).toFixed(1);
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${at}" y2="${at}" stroke="#ddd"/>`,
      `<text class="tick" x="${left - 6}" y="${(Number(at) + 4).toFixed(1)}" text-anchor="end" font-size="11">${tickLabel(tick, stepGiB)}</text>`,
    );
  }
  stacks.forEach((stack, i) => {
    const x = left + i * barW;
    let base = 0;
    for (const term of MEMORY_TERMS) {
      const value = stack.terms[term];
      if (value <= 0) continue;
      const y0 = y(base);
      const y1 = y(base + value);
      parts.push(
        `<rect class="term-${term}" x="${(x + 1).toFixed(1)}" y="${y1.toFixed(1)}" width="${Math.max(1, barW - 2).toFixed(1)}" height="${(y0 - y1).toFixed(2)}" fill="${TERM_COLOURS[term]}"><title>${escapeXml(`micro-batch ${stack.microBatch}: ${MEMORY_TERM_LABELS[term]} ${gib(value)}`)}</title></rect>`,
      );
      base += value;
    }
    const b = batches[i] ?? 0;
    if (
      batches.length <= 12 ||
      i % Math.ceil(batches.length / 12) === 0 ||
      b === input.maxMicroBatch
    ) {
      parts.push(
        `<text x="${(x + barW / 2).toFixed(1)}" y="${top + plotH + 14}" text-anchor="middle" font-size="11"${b === input.maxMicroBatch ? ' font-weight="bold"' : ''}>${b}</text>`,
      );
    }
  });
  const budgetY = y(input.budgetBytes).toFixed(1);
  parts.push(
    `<line class="budget" x1="${left}" x2="${left + plotW}" y1="${budgetY}" y2="${budgetY}" stroke="#000" stroke-dasharray="6 4"/>`,
    // The label at the left end, above the line: the bars there (small micro-batches) are the
    // shortest, and a white halo keeps it legible where a bar still reaches it.
    `<text class="budget-label" x="${left + 4}" y="${(Number(budgetY) - 5).toFixed(1)}" text-anchor="start" font-size="11" stroke="#fff" stroke-width="3" paint-order="stroke">usable ${gib(input.budgetBytes)}</text>`,
    `<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle" font-size="12">micro-batch per device (bold: the largest that fits)</text>`,
  );
  MEMORY_TERMS.forEach((term, i) => {
    const ly = top + i * 18;
    parts.push(
      `<rect x="${left + plotW + 12}" y="${ly}" width="12" height="12" fill="${TERM_COLOURS[term]}"/>`,
      `<text x="${left + plotW + 30}" y="${ly + 10}" font-size="11">${escapeXml(MEMORY_TERM_LABELS[term])}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
