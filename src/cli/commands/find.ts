// `batchwise find`: measure memory, throughput and gradient noise on the user's model and data,
// then recommend a batch size with its evidence. Ctrl-C stops the measurement and still writes
// the report of what finished.

import { writeFileSync } from 'node:fs';
import { arch, cpus, freemem, platform, totalmem } from 'node:os';
import type { Command } from 'commander';
import type { Engine, OptimizerName, TrainingSession, WorkloadSpec } from '../../engines/engine.js';
import { BatchwiseError } from '../../errors.js';
import { recommendFromEvidence } from '../../planner/from-evidence.js';
import { type FindSettings, runFindProbes } from '../../probes/find-probes.js';
import { MEMORY_SEARCH_STRATEGIES, type MemorySearchStrategy } from '../../probes/memory-search.js';
import { buildFindReport, findReportToJson } from '../../report/find-report.js';
import type { FindReport } from '../../report/find-report-schema.js';
import { findReportToMarkdown } from '../../report/markdown-report.js';
import { VERSION } from '../../version.js';
import { createProgress } from '../find-progress.js';
import { renderFindSummary } from '../find-summary.js';
import {
  parseChoice,
  parseFiniteNumber,
  parseKeyValues,
  parsePositiveInteger,
  parsePositiveNumber,
  parseSize,
} from '../parse-options.js';
import { writeHtmlOutputs } from './report.js';

const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam', 'adamw'];
const ENGINES = ['tfjs', 'fake', 'command'] as const;

interface FindFlags {
  model: string;
  data?: string;
  label?: string;
  optimizer: string;
  lr: string;
  lrBatch: string;
  engine: string;
  backend: string;
  memoryBudget?: string;
  maxBatch?: string;
  memorySearch: string;
  targetLoss?: string;
  seed: string;
  json?: string;
  markdown?: string;
  html?: string;
  plots?: string;
  quiet?: boolean;
  dataOption: string[];
  modelOption: string[];
  noiseMeasurements: string;
  noiseEvery: string;
  noiseSeconds: string;
  cmd?: string;
  shell?: boolean;
  timeout?: string;
}

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
    .action(async (flags: FindFlags) => {
      process.exitCode = await runFind(flags, io);
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

async function openEngine(name: (typeof ENGINES)[number], flags: FindFlags): Promise<Engine> {
  if (name === 'command') {
    if (flags.cmd === undefined) {
      throw new BatchwiseError('invalid-option', '--engine command needs --cmd TEMPLATE');
    }
    const { createCommandEngine } = await import('../../engines/command/command-engine.js');
    return createCommandEngine({
      command: flags.cmd,
      shell: flags.shell === true,
      timeoutSeconds: parsePositiveNumber('--timeout', flags.timeout ?? '600'),
    });
  }
  if (flags.cmd !== undefined) {
    throw new BatchwiseError('invalid-option', '--cmd needs --engine command');
  }
  if (name === 'fake') {
    const { createFakeEngine } = await import('../../engines/fake/fake-engine.js');
    return createFakeEngine();
  }
  const { createTfjsEngine } = await import('../../engines/tfjs/tfjs-engine.js');
  return createTfjsEngine();
}

async function defaultDataFor(
  model: string,
): Promise<{ data: string; options: Record<string, number | string> }> {
  const { BUILTIN_MODELS } = await import('../../engines/tfjs/models/build-model.js');
  const builtin = BUILTIN_MODELS.find((m) => m.name === model);
  if (!builtin) {
    throw new BatchwiseError('invalid-option', `--data is required with a model file (${model})`);
  }
  return {
    data: builtin.defaultData,
    options: { ...('defaultDataOptions' in builtin ? builtin.defaultDataOptions : {}) },
  };
}

async function runFind(
  flags: FindFlags,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): Promise<number> {
  const engineName = parseChoice('--engine', flags.engine, ENGINES);
  const optimizer = parseChoice('--optimizer', flags.optimizer, OPTIMIZERS);
  const learningRate = parsePositiveNumber('--lr', flags.lr);
  const learningRateBatchSize = parsePositiveInteger('--lr-batch', flags.lrBatch);
  const memorySearch: MemorySearchStrategy = parseChoice(
    '--memory-search',
    flags.memorySearch,
    MEMORY_SEARCH_STRATEGIES,
  );
  const seed = parsePositiveInteger('--seed', flags.seed);
  const maxBatchFlag =
    flags.maxBatch !== undefined ? parsePositiveInteger('--max-batch', flags.maxBatch) : undefined;
  const memoryBudgetBytes =
    flags.memoryBudget !== undefined ? parseSize('--memory-budget', flags.memoryBudget) : undefined;
  const targetLoss =
    flags.targetLoss !== undefined
      ? parseFiniteNumber('--target-loss', flags.targetLoss)
      : undefined;
  const noiseMeasurements = parsePositiveInteger('--noise-measurements', flags.noiseMeasurements);
  const noiseEvery = parsePositiveInteger('--noise-every', flags.noiseEvery);
  const noiseMaxSeconds = parsePositiveNumber('--noise-seconds', flags.noiseSeconds);
  const userDataOptions = parseKeyValues('--data-option', flags.dataOption);
  const modelOptions = parseKeyValues('--model-option', flags.modelOption);
  for (const [key, value] of Object.entries(modelOptions)) {
    if (typeof value !== 'number')
      throw new BatchwiseError(
        'invalid-option',
        `--model-option ${key} must be a number, got "${value}"`,
      );
  }
  const defaults =
    flags.data === undefined && engineName === 'tfjs'
      ? await defaultDataFor(flags.model)
      : undefined;
  const spec: WorkloadSpec = {
    model: flags.model,
    data: flags.data ?? defaults?.data ?? 'synthetic',
    ...(flags.label !== undefined ? { label: flags.label } : {}),
    optimizer,
    learningRate,
    seed,
    modelOptions: modelOptions as Record<string, number>,
    dataOptions: { ...(defaults?.options ?? {}), ...userDataOptions },
  };

  const progress = createProgress(io.stderr, !flags.quiet);
  const engine = await openEngine(engineName, flags);
  const session: TrainingSession = await engine.open(spec, {
    backend: flags.backend,
    ...(memoryBudgetBytes !== undefined ? { memoryBudgetBytes } : {}),
  });
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
  try {
    const datasetSize = session.workload.datasetSize;
    const maxBatch = Math.min(datasetSize, maxBatchFlag ?? datasetSize);
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
      noiseMeasureEvery: noiseEvery,
      noiseMeasurements,
      noiseMaxSeconds,
      smoothing: { kind: 'ema', beta: 0.9 },
    };
    const evidence = await runFindProbes(session, settings, {
      signal: controller.signal,
      onEvent: progress,
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
      command: process.argv.slice(2),
      createdAt: new Date().toISOString(),
      version: VERSION,
    });
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
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    await session.dispose();
  }
}
