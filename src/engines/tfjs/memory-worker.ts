// The child side of an isolated memory trial: reads {spec, backend, memoryBudgetBytes, batchSize}
// as JSON on stdin, runs one profiled training step, prints the outcome as one JSON line.

import { TfjsSession } from './tfjs-session.js';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

const request = JSON.parse(await readStdin());
const session = await TfjsSession.open(request.spec, {
  backend: request.backend,
  memoryBudgetBytes: request.memoryBudgetBytes,
});
const outcome = await session.measureMemory({ batchSize: request.batchSize });
process.stdout.write(`${JSON.stringify(outcome)}\n`);
await session.dispose();
