// Turns an exception thrown by a TF.js backend into a trial outcome: out-of-memory, a backend
// limit that is not memory (WebGPU's dispatch size), or another error. Memory exhaustion in
// TF.js is not one exception type, so the messages seen from each backend are matched.

import type { TrialFailure } from '../engine.js';

const OUT_OF_MEMORY = [
  /out of memory/i,
  /\boom\b/i,
  /cannot allocate/i,
  /failed to allocate/i,
  /array buffer allocation failed/i,
  /allocation failed/i,
  /memory access out of bounds/i, // the wasm heap past its limit
  /Aborted\(/, // emscripten abort after a failed grow
  /RESOURCE_EXHAUSTED/,
  /Invalid typed array length/i,
];

const LIMITS = [
  /dispatch size exceeds/i,
  /exceeds.*limit/i,
  /maxBufferSize|maxStorageBufferBindingSize/i,
];

export function classifyBackendError(error: unknown): TrialFailure {
  const message =
    (error instanceof Error ? error.message : String(error)).split('\n')[0]?.trim() ?? '';
  if (OUT_OF_MEMORY.some((pattern) => pattern.test(message))) return { kind: 'oom', message };
  if (LIMITS.some((pattern) => pattern.test(message))) return { kind: 'limit', message };
  return { kind: 'error', message };
}
