// The Python reference for plans (adapters/python/batchwise_plan.py) against the command engine:
// a small standard-library script reads its work items with work_items(), ends them with PlanRun
// (an out-of-memory exception becomes the item's oom, and the script goes on), and the engine
// runs the opening, the memory trials and the throughput steps in one process of it — with
// {plan} in the template, or with support announced only in the start event. Skipped without
// python3.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommandEngine } from '../../../src/engines/command/command-engine.js';
import { SPEC } from './fake-trainer-command.js';

const ADAPTER = new URL('../../../adapters/python', import.meta.url).pathname;
const python = spawnSync('python3', ['-c', 'pass'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'batchwise-python-plan-'));
const SCRIPT = join(dir, 'train.py');
writeFileSync(
  SCRIPT,
  `import argparse, sys
sys.path.insert(0, ${JSON.stringify(ADAPTER)})
from batchwise_plan import PLAN_SUPPORT, PlanRun, plan_path, work_items
from batchwise_telemetry import TelemetryWriter

parser = argparse.ArgumentParser()
for flag in ("--plan", "--launch-log"):
    parser.add_argument(flag)
for flag in ("--batch-size", "--steps"):
    parser.add_argument(flag, type=int)
args = parser.parse_args()
with open(args.launch_log, "a") as log:
    log.write("launch\\n")

class OutOfMemoryError(RuntimeError):
    pass

writer = TelemetryWriter()
writer.start(framework="python-test", dataset_size=1000, parameter_count=10, protocol=PLAN_SUPPORT)

def train(batch, steps, write):
    for step in range(steps):
        if batch > 100:
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 1.00 GiB")
        write(step=step, batch_size=batch, seconds=0.01, loss=1.0, peak_bytes=1000 + 10 * batch)

path = plan_path(args.plan)
if path is None:
    train(args.batch_size, args.steps, writer.step)
else:
    for item in work_items(path):
        run = PlanRun(writer, item)
        with run:
            train(item.batch_size, item.steps, run.step)
writer.end()
`,
);

describe.skipIf(!python)('the Python plan reference (batchwise_plan.py)', () => {
  it.each([
    ['{plan} in the template', ['--plan', '{plan}'], 1],
    ['support announced in the start event', [], 2],
  ])('runs the measurements in one process: %s', async (_, flags, launches) => {
    const log = join(dir, `launches-${launches}.txt`);
    const session = await createCommandEngine({
      command: [
        'python3',
        SCRIPT,
        '--batch-size',
        '{batch}',
        '--steps',
        '{steps}',
        '--launch-log',
        log,
        ...flags,
      ],
      env: { PYTHONDONTWRITEBYTECODE: '1' },
      killGraceSeconds: 0.2,
    }).open(SPEC);
    try {
      const memory = [];
      for (const batchSize of [1, 64, 128, 100])
        memory.push(await session.measureMemory({ batchSize }));
      expect(memory.map((m) => m.kind)).toEqual(['ok', 'ok', 'oom', 'ok']);
      expect(memory[2]?.kind === 'oom' && memory[2].message).toMatch(/CUDA out of memory/);
      expect(memory[3]?.kind === 'ok' && memory[3].peakBytes).toBe(2000);
      const train = await session.train({ batchSize: 32, steps: 3 });
      expect(train.kind).toBe('ok');
      expect(train.steps.map((s) => s.batchSize)).toEqual([32, 32, 32]);
      expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(launches);
    } finally {
      await session.dispose();
    }
  });
});
