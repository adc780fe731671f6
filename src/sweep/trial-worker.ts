// The process one sweep trial runs in: reads a trial spec (JSON) on standard input, trains it
// with the in-process engine or the user's command, and writes each trial event as one JSON line
// on standard output. SIGINT or SIGTERM ends the trial as `aborted` (its events so far kept).
// Started by src/sweep/worker-pool.ts as `node trial-worker.js`; never by users.

import { errorMessage } from '../errors.js';
import type { TrialEvent } from './trial-events.js';
import { TRIAL_SPEC_VERSION, trialSpecSchema } from './trial-spec.js';

function write(event: TrialEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  const raw = JSON.parse(await readStdin()) as { version?: unknown };
  if (raw.version !== TRIAL_SPEC_VERSION) {
    throw new Error(
      `this worker runs trial specs of version ${TRIAL_SPEC_VERSION}, got ${String(raw.version)}: run the same batchwise version everywhere`,
    );
  }
  const spec = trialSpecSchema.parse(raw);
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => controller.abort());
  }
  // The process that started this one was killed (SIGKILL gives it no time to stop us): stop
  // training for nobody. Its pipe is gone, so the last events are lost with it.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) controller.abort();
  }, 1000).unref();
  process.stdout.on('error', () => process.exit(1));
  if (spec.engine.name === 'command') {
    const { runCommandTrial } = await import('./command-trial.js');
    await runCommandTrial(spec, write, controller.signal);
  } else {
    const { runSessionTrial } = await import('./run-trial.js');
    await runSessionTrial(spec, write, controller.signal);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`batchwise trial worker: ${errorMessage(error)}\n`);
    process.exit(2);
  },
);
