// The memory budget of a TF.js trial: by default half of the free RAM, and on wasm never above
// 2.5 GiB, given or not — past about 3.5 GiB the wasm heap fails silently, corrupts other tensors,
// then aborts the backend (measured for batchwise's engine issue); the budget counts tensor bytes,
// and the heap also holds fragmentation and scratch space, so it stays well clear.

import { freemem } from 'node:os';
import { formatBytes } from '../../report/format.js';

const GiB = 1024 ** 3;
export const WASM_BUDGET_CAP_BYTES = 2.5 * GiB;

export function defaultMemoryBudgetBytes(backend: string, freeBytes: number = freemem()): number {
  const half = Math.floor(freeBytes / 2);
  return backend === 'wasm' ? Math.min(half, WASM_BUDGET_CAP_BYTES) : half;
}

/** The budget in force: the requested one, capped to what the backend can hold (with why). */
export function resolveMemoryBudget(
  backend: string,
  requestedBytes: number | undefined,
  freeBytes: number = freemem(),
): { readonly bytes: number; readonly note?: string } {
  if (requestedBytes === undefined) return { bytes: defaultMemoryBudgetBytes(backend, freeBytes) };
  if (backend === 'wasm' && requestedBytes > WASM_BUDGET_CAP_BYTES) {
    return {
      bytes: WASM_BUDGET_CAP_BYTES,
      note: `the memory budget of ${formatBytes(requestedBytes)} is more than the wasm backend can hold; using ${formatBytes(WASM_BUDGET_CAP_BYTES)} (its heap corrupts the process past about 3.5 GiB; --backend cpu has no such cap)`,
    };
  }
  return { bytes: requestedBytes };
}
