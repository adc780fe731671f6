// The default memory budget of a TF.js trial: half of the free RAM, and for wasm never above
// 3 GiB — past about 3.5 GiB the wasm heap fails silently, corrupts other tensors, then aborts
// the backend (measured for batchwise's engine issue), so the budget stays clear of it.

import { freemem } from 'node:os';

const GiB = 1024 ** 3;
export const WASM_BUDGET_CAP_BYTES = 3 * GiB;

export function defaultMemoryBudgetBytes(backend: string, freeBytes: number = freemem()): number {
  const half = Math.floor(freeBytes / 2);
  return backend === 'wasm' ? Math.min(half, WASM_BUDGET_CAP_BYTES) : half;
}
