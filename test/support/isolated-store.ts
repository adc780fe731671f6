// Runs before every test file (vitest setupFiles): the default run store of this test process and
// of every process it starts is a fresh temporary file, so no test writes into the repository's
// own .batchwise/ (a test that needs a particular store still passes --store or its own env).

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.BATCHWISE_STORE = join(
  mkdtempSync(join(tmpdir(), 'batchwise-test-store-')),
  'runs.sqlite',
);
