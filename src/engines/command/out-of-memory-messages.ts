// Recognising out-of-memory in a command that did not say so in the protocol: the messages that
// accelerator runtimes and allocators print, and the kernel's OOM killer (SIGKILL, exit 137).
// The line quoted is made safe for a terminal (escapes shown, elided), as all command output.

import { defined } from '../../errors.js';
import { terminalLine } from '../../terminal-text.js';

/**
 * Substrings (matched case-sensitively, as the runtimes print them) that mean out of memory; the
 * first that matches names the source, so a longer text comes before any text inside it.
 */
export const OUT_OF_MEMORY_MESSAGES: readonly { readonly text: string; readonly source: string }[] =
  [
    { text: 'CUDA out of memory', source: 'CUDA' },
    { text: 'CUDA error: out of memory', source: 'CUDA' },
    { text: 'CUBLAS_STATUS_ALLOC_FAILED', source: 'cuBLAS' },
    { text: 'CUDNN_STATUS_ALLOC_FAILED', source: 'cuDNN' },
    { text: 'CUDNN_STATUS_NOT_ENOUGH_WORKSPACE', source: 'cuDNN' },
    { text: 'NOT_ENOUGH_WORKSPACE', source: 'cuDNN' },
    { text: 'hipErrorOutOfMemory', source: 'ROCm/HIP' },
    { text: 'HIP out of memory', source: 'ROCm/HIP' },
    { text: 'MPS backend out of memory', source: 'Apple MPS' },
    { text: 'RESOURCE_EXHAUSTED', source: 'XLA' },
    { text: 'std::bad_alloc', source: 'C++ allocator' },
    { text: 'Cannot allocate memory', source: 'CPU allocator' },
    { text: 'OutOfMemoryError', source: 'framework' },
    { text: 'MemoryError', source: 'Python' },
  ];

/** Characters of one line of a command's output that a message quotes at most. */
export const OUTPUT_LINE_MAX_CHARS = 200;

export interface ExitFacts {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last lines the command printed (standard error, then other output). */
  readonly outputLines: readonly string[];
}

/** The out-of-memory evidence in a failed run, as a one-line message, or undefined. */
export function outOfMemoryEvidence(facts: ExitFacts): string | undefined {
  for (let i = facts.outputLines.length - 1; i >= 0; i--) {
    const line = defined(facts.outputLines[i], 'facts.outputLines[i]');
    const known = OUT_OF_MEMORY_MESSAGES.find((m) => line.includes(m.text));
    if (known) {
      return `${known.source} out of memory: ${terminalLine(line.trim(), OUTPUT_LINE_MAX_CHARS)}`;
    }
  }
  if (facts.signal === 'SIGKILL' || facts.exitCode === 137) {
    return 'the command was killed (SIGKILL, exit 137), as the kernel does when memory runs out';
  }
  return undefined;
}
