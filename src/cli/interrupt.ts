// Ctrl-C for a long job: the first SIGINT (or SIGTERM) aborts the job's signal so that it ends
// its current step and reports what it measured; a second one quits at once.

export interface InterruptIo {
  readonly stderr: NodeJS.WritableStream;
}

/**
 * Runs `work` with a signal that Ctrl-C (or SIGTERM) aborts: the job finishes the current step and
 * reports what it measured. A second Ctrl-C quits at once.
 */
export async function withInterrupt<T>(
  io: InterruptIo,
  message: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.stderr.write(`\ninterrupted: ${message} (Ctrl-C again to quit now)\n`);
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}
