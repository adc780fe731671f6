// The default memory budget of a TF.js trial: half of the free RAM, and for wasm never above
// 2.5 GiB — past about 3.5 GiB the wasm heap fails silently, corrupts other tensors, then aborts
// the backend (measured for batchwise's engine issue); the budget counts tensor bytes, and the
// heap also holds fragmentation and scratch space, so it stays well clear.

import { freemem } from 'node:os';

const GiB = 1024 ** 3;
export const WASM_BUDGET_CAP_BYTES = 2.5 * GiB;

export function defaultMemoryBudgetBytes(backend: string, freeBytes: number = freemem()): number {
  const half = Math.floor(freeBytes / 2);
  return backend === 'wasm' ? Math.min(half, WASM_BUDGET_CAP_BYTES) : half;
}
