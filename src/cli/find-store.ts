// The run store as `batchwise find` uses it: what a run stores to be resumed (the workload spec
// and the engine and settings, as JSON checked on the way back), the refusal of workload options
// beside --resume, and the choice of the run to resume.

import type { Command } from 'commander';
import { z } from 'zod';
import type { WorkloadSpec } from '../engines/engine.js';
import { BatchwiseError } from '../errors.js';
import type { PriorMeasurements } from '../probes/find-probes.js';
import { priorMeasurements } from '../store/find-events.js';
import type { RunStore, StoredRun } from '../store/run-store.js';

export const FIND_ENGINES = ['tfjs', 'fake', 'command'] as const;

const findRunOptionsSchema = z.object({
  engine: z.enum(FIND_ENGINES),
  backend: z.string(),
  memoryBudgetBytes: z.number().optional(),
  maxBatch: z.number().optional(),
  memorySearch: z.enum(['model', 'lightning', 'accelerate']),
  learningRateBatchSize: z.number(),
  targetLoss: z.number().optional(),
  noiseMeasurements: z.number(),
  noiseEvery: z.number(),
  noiseMaxSeconds: z.number(),
  command: z.object({ cmd: z.string(), shell: z.boolean(), timeoutSeconds: z.number() }).optional(),
});

/** The engine and settings of a find run, as parsed from its options and stored with the run. */
export type FindRunOptions = z.infer<typeof findRunOptionsSchema>;

const workloadSpecSchema = z.object({
  model: z.string(),
  data: z.string(),
  label: z.string().optional(),
  optimizer: z.enum(['sgd', 'momentum', 'adam', 'adamw']),
  learningRate: z.number(),
  seed: z.number(),
  modelOptions: z.record(z.string(), z.number()).optional(),
  dataOptions: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
});

/** The options that define what a run measures: a resumed run takes them from the store. */
const WORKLOAD_FLAGS: readonly [attribute: string, flag: string][] = [
  ['model', '--model'],
  ['data', '--data'],
  ['label', '--label'],
  ['optimizer', '--optimizer'],
  ['lr', '--lr'],
  ['lrBatch', '--lr-batch'],
  ['engine', '--engine'],
  ['cmd', '--cmd'],
  ['shell', '--shell'],
  ['timeout', '--timeout'],
  ['backend', '--backend'],
  ['memoryBudget', '--memory-budget'],
  ['maxBatch', '--max-batch'],
  ['memorySearch', '--memory-search'],
  ['targetLoss', '--target-loss'],
  ['seed', '--seed'],
  ['dataOption', '--data-option'],
  ['modelOption', '--model-option'],
  ['noiseMeasurements', '--noise-measurements'],
  ['noiseEvery', '--noise-every'],
  ['noiseSeconds', '--noise-seconds'],
];

/** --resume continues with the stored workload and settings: any given on the line is refused. */
export function refuseWorkloadFlags(command: Command): void {
  const given = WORKLOAD_FLAGS.filter(([attribute]) => {
    const source = command.getOptionValueSource(attribute);
    return source === 'cli' || source === 'env';
  }).map(([, flag]) => flag);
  if (given.length > 0) {
    throw new BatchwiseError(
      'invalid-option',
      `--resume continues a stored run with its own workload and settings; drop ${given.join(', ')}`,
    );
  }
}

export interface ResumePlan {
  readonly run: StoredRun;
  readonly spec: WorkloadSpec;
  readonly options: FindRunOptions;
  readonly prior: PriorMeasurements;
}

/** The run to resume (the given one, or the newest unfinished) with what it had measured. */
export function planResume(store: RunStore, runRef: string | undefined): ResumePlan {
  const run = runRef !== undefined ? store.getRun(runRef) : store.latestResumable();
  if (!run) {
    throw new BatchwiseError(
      'invalid-argument',
      `no interrupted run to resume in ${store.path} (batchwise runs lists the runs)`,
    );
  }
  if (run.status === 'complete') {
    throw new BatchwiseError(
      'invalid-argument',
      `run ${run.id} is complete; nothing to resume (batchwise show ${run.id} prints it)`,
    );
  }
  const options = findRunOptionsSchema.safeParse(run.options);
  const spec = workloadSpecSchema.safeParse(run.spec);
  if (!options.success || !spec.success) {
    throw new BatchwiseError(
      'invalid-data',
      `run ${run.id} in ${store.path} has no usable workload or settings; it cannot be resumed`,
    );
  }
  return {
    run,
    spec: spec.data as WorkloadSpec,
    options: options.data,
    prior: priorMeasurements(store.events(run.id)),
  };
}

/** The report message of a resumed run: what was reused and what ran again. */
export function resumeMessage(plan: ResumePlan): string {
  const { memoryTrials, throughputPoints } = plan.prior;
  return (
    `resumed run ${plan.run.id}: ${memoryTrials.length} memory trial(s) and ${throughputPoints.length} ` +
    'throughput point(s) reused from before the interruption; the noise probe ran again from the ' +
    'initial weights (it depends on the training state)'
  );
}
