// What travels through Redis for one trial: the trial spec (src/sweep/trial-spec.ts, versioned),
// the batchwise version that queued it, and the content hash of every input file it names. The
// files themselves stay where they are: a worker trains only on files at the same absolute path
// with the same SHA-256 (shared storage, or a copy), never on silently different data.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import { TRIAL_SPEC_VERSION, type TrialSpec } from '../sweep/trial-spec.js';
import { VERSION } from '../version.js';

export const inputFileSchema = z.object({
  /** Absolute path on the coordinator's machine (and on every worker's). */
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export type InputFile = z.output<typeof inputFileSchema>;

export const trialJobSchema = z.object({
  /** The batchwise version of the coordinator: a worker of another version refuses the job. */
  batchwise: z.string(),
  specVersion: z.number().int(),
  /** The sweep's key in the queue (src/queue/queue-keys.ts). */
  sweep: z.string(),
  /** Parsed by the worker with its own trial spec schema, after the version checks. */
  spec: z.record(z.string(), z.unknown()),
  files: z.array(inputFileSchema),
});
export type TrialJob = z.output<typeof trialJobSchema>;

/** Hashes by path, size and modification time: a sweep's trials share their files. */
const hashes = new Map<string, string>();

function sha256Of(path: string): string {
  const stat = statSync(path);
  const key = `${path}\0${stat.size}\0${stat.mtimeMs}`;
  let hash = hashes.get(key);
  if (hash === undefined) {
    hash = createHash('sha256').update(readFileSync(path)).digest('hex');
    hashes.set(key, hash);
  }
  return hash;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A TF.js Layers model.json names its weight files; they travel with it. */
function weightFilesOf(modelJson: string): string[] {
  try {
    const manifest = (JSON.parse(readFileSync(modelJson, 'utf8')) as { weightsManifest?: unknown })
      .weightsManifest;
    if (!Array.isArray(manifest)) return [];
    return manifest.flatMap((group: { paths?: unknown }) =>
      Array.isArray(group.paths)
        ? group.paths.filter((p): p is string => typeof p === 'string')
        : [],
    );
  } catch {
    return [];
  }
}

/**
 * The job of one trial: file paths made absolute (a worker's working folder is not the
 * coordinator's) and hashed. Built-in models and data sets (mlp, fashion-mnist) are names, not
 * files; a command's own files are the command's business (docs/distributed.md).
 */
export function trialJobOf(spec: TrialSpec, sweep: string): TrialJob {
  const files: InputFile[] = [];
  const add = (path: string): string => {
    if (!isFile(path)) return path;
    const absolute = resolve(path);
    files.push({ path: absolute, sha256: sha256Of(absolute), bytes: statSync(absolute).size });
    return absolute;
  };
  const { workload } = spec;
  const model = add(workload.model);
  if (model.toLowerCase().endsWith('.json') && isFile(model)) {
    for (const weights of weightFilesOf(model)) add(resolve(dirname(model), weights));
  }
  const data = add(workload.data);
  const validationData =
    workload.validation?.data !== undefined ? add(workload.validation.data) : undefined;
  const absolute: TrialSpec = {
    ...spec,
    workload: {
      ...workload,
      model,
      data,
      ...(workload.validation
        ? {
            validation: {
              ...workload.validation,
              ...(validationData !== undefined ? { data: validationData } : {}),
            },
          }
        : {}),
    },
  };
  return {
    batchwise: VERSION,
    specVersion: TRIAL_SPEC_VERSION,
    sweep,
    spec: JSON.parse(JSON.stringify(absolute)) as Record<string, unknown>,
    files,
  };
}

/**
 * Why this worker cannot run the job as queued (undefined: it can). Every reason is one line
 * that says what to do; the job then goes to another worker, and fails for good only when its
 * attempts run out (src/queue/queue-coordinator.ts records it).
 */
export function refusalOf(job: TrialJob, options: { allowCommand: boolean }): string | undefined {
  if (job.batchwise !== VERSION || job.specVersion !== TRIAL_SPEC_VERSION) {
    return `the sweep was queued by batchwise ${job.batchwise} (trial spec ${job.specVersion}) and this worker runs ${VERSION} (trial spec ${TRIAL_SPEC_VERSION}): run the same batchwise version on every machine`;
  }
  const engine = (job.spec.engine as { name?: unknown } | undefined)?.name;
  if (engine === 'command' && !options.allowCommand) {
    return 'the trial runs a shell command (--engine command) and this worker was started without --allow-command: a worker runs commands from the queue only when told to';
  }
  for (const file of job.files) {
    if (!isFile(file.path)) {
      return `input file ${file.path} is not on this machine: copy it to the same path (or mount the same shared folder) on every worker`;
    }
    let sha256: string;
    try {
      sha256 = sha256Of(file.path);
    } catch (error) {
      return `cannot read input file ${file.path}: ${errorMessage(error)}`;
    }
    if (sha256 !== file.sha256) {
      return `input file ${file.path} differs from the coordinator's (SHA-256 ${sha256.slice(0, 12)}… here, ${file.sha256.slice(0, 12)}… there): the trial would train on other data`;
    }
  }
  return undefined;
}
