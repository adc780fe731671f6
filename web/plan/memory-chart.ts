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
  const yMax = Math.max(input.budgetBytes * 1.05, ...stacks.map((s) => s.totalBytes));
  const y = (bytes: number) => top + plotH - (bytes / yMax) * plotH;
  const barW = plotW / batches.length;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="memory per device against micro-batch, by term">`,
  );
  for (let i = 0; i <= 4; i++) {
    const bytes = (yMax * i) / 4;
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y(bytes).toFixed(1)}" y2="${y(bytes).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${(y(bytes) + 4).toFixed(1)}" text-anchor="end" font-size="11">${gib(bytes)}</text>`,
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
    `<text x="${left + plotW - 4}" y="${(Number(budgetY) - 4).toFixed(1)}" text-anchor="end" font-size="11">usable ${gib(input.budgetBytes)}</text>`,
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
