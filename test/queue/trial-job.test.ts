// What a queued trial carries and when a worker refuses it: paths made absolute and hashed (a
// model.json's weight files with it), and each refusal one line that says what to do.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { refusalOf, trialJobOf } from '../../src/queue/trial-job.js';
import { VERSION } from '../../src/version.js';
import { trialSpecFor } from '../support/trial-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'batchwise-trial-job-'));

describe('a queued trial', () => {
  it('names its files by absolute path and SHA-256; built-in names stay names', () => {
    const data = join(dir, 'data.csv');
    writeFileSync(data, 'x,label\n1,0\n2,1\n');
    const job = trialJobOf(trialSpecFor('mlp', relative(process.cwd(), data)), 'sweep-1');
    expect(job.batchwise).toBe(VERSION);
    expect(job.files).toEqual([
      {
        path: data,
        // sha256 of the three lines above.
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        bytes: 16,
      },
    ]);
    expect((job.spec.workload as { data: string; model: string }).data).toBe(data);
    expect((job.spec.workload as { model: string }).model).toBe('mlp');
    expect(refusalOf(job, { allowCommand: false })).toBeUndefined();
  });

  it("carries a model.json's weight files", () => {
    const model = join(dir, 'model.json');
    writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(8));
    writeFileSync(model, JSON.stringify({ weightsManifest: [{ paths: ['weights.bin'] }] }));
    const job = trialJobOf(trialSpecFor(model, 'fashion-mnist'), 's');
    expect(job.files.map((f) => f.path)).toEqual([model, join(dir, 'weights.bin')]);
  });

  it('is refused when a file differs or is missing on the worker, in one line', () => {
    const data = join(dir, 'changing.csv');
    writeFileSync(data, 'x,label\n1,0\n');
    const job = trialJobOf(trialSpecFor('mlp', data), 's');
    writeFileSync(data, 'x,label\n1,1\n');
    expect(refusalOf(job, { allowCommand: false })).toMatch(
      /^input file .*changing\.csv differs from the coordinator's \(SHA-256 [0-9a-f]{12}… here, [0-9a-f]{12}… there\): the trial would train on other data$/,
    );
    const gone = { ...job, files: [{ ...job.files[0], path: join(dir, 'nowhere.csv') }] };
    expect(refusalOf(gone as typeof job, { allowCommand: false })).toMatch(
      /^input file .*nowhere\.csv is not on this machine: copy it to the same path/,
    );
  });

  it('is refused by another version, and as a command unless commands are allowed', () => {
    const job = trialJobOf(trialSpecFor('mlp', 'synthetic'), 's');
    expect(refusalOf({ ...job, batchwise: '9.9.9' }, { allowCommand: true })).toMatch(
      /queued by batchwise 9\.9\.9 .* run the same batchwise version on every machine/,
    );
    const command = trialJobOf(
      trialSpecFor('mlp', 'synthetic', { name: 'command', cmd: 'python train.py --batch {batch}' }),
      's',
    );
    expect(refusalOf(command, { allowCommand: false })).toMatch(/without --allow-command/);
    expect(refusalOf(command, { allowCommand: true })).toBeUndefined();
  });
});
