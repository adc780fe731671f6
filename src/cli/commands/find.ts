// `batchwise find`: measure memory, throughput and gradient noise on the user's model and data,
// then recommend a batch size with its evidence. Ctrl-C stops the measurement and still writes
// the report of what finished. Every measurement goes to the run store as it happens
// (src/store), and `--resume` continues an interrupted run without repeating what it measured.

import { writeFileSync } from 'node:fs';
import { arch, cpus, freemem, platform, totalmem } from 'node:os';
import { type Command, Option } from 'commander';
import type { Engine, TrainingSession, WorkloadSpec } from '../../engines/engine.js';
import { BatchwiseError } from '../../errors.js';
import { recommendFromEvidence } from '../../planner/from-evidence.js';
import { type FindSettings, runFindProbes } from '../../probes/find-probes.js';
import { MEMORY_SEARCH_STRATEGIES } from '../../probes/memory-search.js';
import { buildFindReport, findReportToJson } from '../../report/find-report.js';
import type { FindReport } from '../../report/find-report-schema.js';
import { findReportToMarkdown } from '../../report/markdown-report.js';
import type { ResumeEvent } from '../../store/find-events.js';
import { DEFAULT_STORE_PATH, defaultStorePath, RunStore } from '../../store/run-store.js';
import { VERSION } from '../../version.js';
import { FIND_OPTIMIZERS, type FindFlags, planFromFlags } from '../find-options.js';
import { createProgress } from '../find-progress.js';
import {
  type FindRunOptions,
  planResume,
  type ResumePlan,
  refuseWorkloadFlags,
  resumeMessage,
} from '../find-store.js';
import { renderFindSummary } from '../find-summary.js';
import { parseNonNegativeInteger } from '../parse-options.js';
import { writeHtmlOutputs } from './report.js';

const OPTIMIZERS = FIND_OPTIMIZERS;

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerFindCommand(
  program: Command,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): void {
  program
    .command('find', { isDefault: true })
    .description(
      'measure memory, throughput and gradient noise, then recommend a batch size (the default command)',
    )
    .option(
      '--model <name|path>',
      'built-in model (mlp, cnn, text, lm) or a TF.js Layers model.json',
      'mlp',
    )
    .option(
      '--data <name|path>',
      "built-in data set (synthetic, tokens, fashion-mnist) or a file (.csv, .jsonl, .txt, IDX); default: the model's",
    )
    .option('--label <column>', 'label column of CSV or JSONL data')
    .option('--optimizer <name>', `optimizer: ${OPTIMIZERS.join(', ')}`, 'sgd')
    .option('--lr <rate>', 'learning rate known to work at --lr-batch', '0.05')
    .option('--lr-batch <n>', 'the batch size --lr belongs to', '32')
    .option(
      '--engine <name>',
      'training engine: tfjs, command (your training command, --cmd), or fake (a simulated engine with known answers)',
      'tfjs',
    )
    .option(
      '--cmd <template>',
      'with --engine command: the training command, with {batch} {steps} {micro_batch} {accumulation} {seed} {telemetry} (docs/protocol.md)',
    )
    .option('--shell', 'with --engine command: run --cmd through /bin/sh (default: no shell)')
    .option('--timeout <seconds>', 'with --engine command: seconds one run may take', '600')
    .option('--backend <name>', 'TF.js backend: auto, wasm, cpu, webgpu, tensorflow', 'auto')
    .option(
      '--memory-budget <size>',
      'peak memory allowed per trial, e.g. 2GiB (default: half the free RAM; 2.5 GiB at most on wasm)',
    )
    .option('--max-batch <n>', 'largest batch to consider (default: the data size)')
    .option(
      '--memory-search <strategy>',
      `memory ceiling search: ${MEMORY_SEARCH_STRATEGIES.join(', ')}`,
      'model',
    )
    .option('--target-loss <x>', 'training loss to reach: enables steps and epochs to the target')
    .option('--seed <n>', 'seed of data, weights and sampling', '1')
    .option(
      '--data-option <key=value>',
      'data option (repeatable), e.g. labelNoise=0.2',
      collect,
      [],
    )
    .option(
      '--model-option <key=value>',
      'model option (repeatable), e.g. hiddenUnits=512',
      collect,
      [],
    )
    .option('--noise-measurements <n>', 'gradient noise measurements along the run', '30')
    .option('--noise-every <n>', 'training steps between noise measurements', '10')
    .option('--noise-seconds <s>', 'time limit of the noise measurement run', '120')
    .option('--json <file>', 'write the full report as JSON')
    .option('--markdown <file>', 'write the report as Markdown')
    .option('--html <file>', 'write one self-contained HTML report with charts (opens offline)')
    .option('--plots <dir>', 'write each chart as SVG and PNG into this folder')
    .option('--quiet', 'no progress; print only the recommendation')
    .option('--store <path>', `the run store (default: ${DEFAULT_STORE_PATH})`)
    .option('--no-store', 'do not store the run')
    .option(
      '--resume [run]',
      'continue an interrupted run from the store without repeating its measurements (default: the newest unfinished run)',
    )
    .addOption(
      // Tests only: real milliseconds each fake-engine step waits, so a run can be killed mid-way.
      new Option('--fake-step-delay <ms>').hideHelp(),
    )
    .action(async (flags: FindFlags, command: Command) => {
      process.exitCode = await runFind(flags, command, io);
    });
}

function machineInfo() {
  const list = cpus();
  return {
    platform: platform(),
    arch: arch(),
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    totalMemoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    node: process.version,
  };
}

async function openEngine(options: FindRunOptions, fakeDelayMs: number): Promise<Engine> {
  if (options.engine === 'command') {
    if (options.command === undefined) {
      throw new BatchwiseError('invalid-option', '--engine command needs --cmd TEMPLATE');
    }
    const { createCommandEngine } = await import('../../engines/command/command-engine.js');
    return createCommandEngine({
      command: options.command.cmd,
      shell: options.command.shell,
      timeoutSeconds: options.command.timeoutSeconds,
    });
  }
  if (options.engine === 'fake') {
    const { createFakeEngine } = await import('../../engines/fake/fake-engine.js');
    return createFakeEngine(fakeDelayMs > 0 ? { realDelayMs: fakeDelayMs } : {});
  }
  const { createTfjsEngine } = await import('../../engines/tfjs/tfjs-engine.js');
  return createTfjsEngine();
}

async function runFind(
  flags: FindFlags,
  command: Command,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): Promise<number> {
  const storePath = flags.store === false ? undefined : (flags.store ?? defaultStorePath());
  const fakeDelayMs =
    flags.fakeStepDelay !== undefined
      ? parseNonNegativeInteger('--fake-step-delay', flags.fakeStepDelay)
      : 0;
  let store: RunStore | undefined;
  let resume: ResumePlan | undefined;
  let plan: { spec: WorkloadSpec; options: FindRunOptions };
  if (flags.resume !== undefined) {
    if (storePath === undefined)
      throw new BatchwiseError('invalid-option', '--resume reads the run store; drop --no-store');
    refuseWorkloadFlags(command);
    store = RunStore.open(storePath);
    try {
      resume = planResume(store, flags.resume === true ? undefined : flags.resume);
    } catch (error) {
      store.close();
      throw error;
    }
    plan = resume;
  } else {
    plan = await planFromFlags(flags);
    store = storePath !== undefined ? RunStore.open(storePath) : undefined;
  }
  if (fakeDelayMs > 0 && plan.options.engine !== 'fake') {
    store?.close();
    throw new BatchwiseError('invalid-option', '--fake-step-delay needs --engine fake');
  }
  try {
    return await measure(plan, { store, resume, fakeDelayMs, flags, io });
  } finally {
    store?.close();
  }
}

async function measure(
  plan: { spec: WorkloadSpec; options: FindRunOptions },
  context: {
    store: RunStore | undefined;
    resume: ResumePlan | undefined;
    fakeDelayMs: number;
    flags: FindFlags;
    io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };
  },
): Promise<number> {
  const { store, resume, flags, io } = context;
  const { spec, options } = plan;
  const { learningRateBatchSize, targetLoss, memorySearch, memoryBudgetBytes } = options;
  const seed = spec.seed;

  const progress = createProgress(io.stderr, !flags.quiet);
  const engine = await openEngine(options, context.fakeDelayMs);
  const session: TrainingSession = await engine.open(spec, {
    backend: options.backend,
    ...(memoryBudgetBytes !== undefined ? { memoryBudgetBytes } : {}),
  });
  const command = resume ? [...resume.run.command] : process.argv.slice(2);
  const runId = resume
    ? resume.run.id
    : store?.createRun({ command, options: plan.options, spec: plan.spec });
  if (store && runId !== undefined) {
    if (resume) {
      store.setStatus(runId, 'running');
      const mark: ResumeEvent = {
        kind: 'resume',
        memoryTrials: resume.prior.memoryTrials.length,
        throughputPoints: resume.prior.throughputPoints.length,
      };
      store.appendEvent(runId, mark.kind, mark);
    }
    if (!flags.quiet) {
      const reused = resume
        ? ` (reusing ${resume.prior.memoryTrials.length} memory trial(s) and ${resume.prior.throughputPoints.length} throughput point(s))`
        : '';
      io.stderr.write(
        `batchwise: ${resume ? 'resuming' : 'storing'} run ${runId} in ${store.path}${reused}\n`,
      );
    }
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.stderr.write(
      '\ninterrupted: finishing the current step, then writing what was measured (Ctrl-C again to quit now)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  let ended = false;
  try {
    const datasetSize = session.workload.datasetSize;
    const maxBatch = Math.min(datasetSize, options.maxBatch ?? datasetSize);
    const settings: FindSettings = {
      maxBatch,
      memorySearch,
      throughputBatchCount: 8,
      warmupSteps: 2,
      minSteps: 5,
      minSeconds: 0.3,
      maxSecondsPerBatch: 5,
      noiseTrainBatchSize: Math.min(learningRateBatchSize, maxBatch),
      noiseMicroBatchSize: 16,
      noiseMaxMicroBatchSize: 1024,
      noiseMicroBatches: 8,
      noiseMeasureEvery: options.noiseEvery,
      noiseMeasurements: options.noiseMeasurements,
      noiseMaxSeconds: options.noiseMaxSeconds,
      smoothing: { kind: 'ema', beta: 0.9 },
    };
    const evidence = await runFindProbes(session, settings, {
      signal: controller.signal,
      onEvent: (event) => {
        progress(event);
        // Each measurement is committed before the probe moves on: a kill loses none of them.
        if (store && runId !== undefined) store.appendEvent(runId, event.kind, event);
      },
      ...(resume ? { prior: resume.prior } : {}),
    });
    progress.done();
    const recommendation = recommendFromEvidence(evidence, session.workload, {
      learningRateBatchSize,
      ...(targetLoss !== undefined ? { targetLoss } : {}),
    });
    const report: FindReport = buildFindReport({
      evidence,
      recommendation,
      engine: session.engine,
      workload: session.workload,
      settings: {
        ...settings,
        memoryBudgetBytes: session.memoryBudgetBytes,
        ...(targetLoss !== undefined ? { targetLoss } : {}),
      },
      learningRateBatchSize,
      seed,
      machine: machineInfo(),
      command,
      createdAt: new Date().toISOString(),
      version: VERSION,
      ...(resume ? { messages: [resumeMessage(resume)] } : {}),
    });
    if (store && runId !== undefined) {
      // Stored as the JSON document --json writes (non-finite numbers as null).
      store.setStatus(runId, report.status, JSON.parse(findReportToJson(report)));
      ended = true;
    }
    if (flags.json) writeFileSync(flags.json, findReportToJson(report));
    if (flags.markdown) writeFileSync(flags.markdown, findReportToMarkdown(report));
    await writeHtmlOutputs(report, flags, io.stderr);
    if (flags.quiet) {
      if (recommendation)
        io.stdout.write(
          `batch ${recommendation.batchSize}, learning rate ${recommendation.learningRate.toPrecision(3)}\n`,
        );
    } else {
      io.stdout.write(renderFindSummary(report));
    }
    if (report.status === 'interrupted') return 130;
    if (!recommendation) {
      io.stderr.write(
        `batchwise: no recommendation: ${report.messages.join('; ') || 'nothing could be measured'}\n`,
      );
      return 1;
    }
    return 0;
  } catch (error) {
    if (store && runId !== undefined && !ended) store.setStatus(runId, 'failed');
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    await session.dispose();
  }
}
