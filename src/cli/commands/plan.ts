// `batchwise plan`: plan the batch of a large model from its configuration alone, offline —
// memory per device term by term, the largest micro-batch, the global batch and its split, the
// learning rate and the time at a stated utilisation. Reads the files; the planner is pure.

import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { OptimizerKind } from '../../analysis/learning-rate.js';
import { formatBytes } from '../../analysis/memory-model.js';
import { BatchwiseError } from '../../errors.js';
import {
  customDevice,
  type DeviceSpec,
  findDevice,
  type Precision,
} from '../../planner/devices.js';
import type { OptimizerStateBits, ZeroStage } from '../../planner/memory/model-states.js';
import { MEMORY_TERM_LABELS, MEMORY_TERMS } from '../../planner/memory/training-memory.js';
import type { Recompute } from '../../planner/memory/transformer-activations.js';
import {
  type ModelDescription,
  modelFromJson,
  presetModel,
} from '../../planner/models/model-description.js';
import { type Plan, type PlanInput, planBatch } from '../../planner/plan.js';
import { planToJson } from '../../planner/plan-json.js';
import { findReportSchema } from '../../report/find-report-schema.js';
import { formatNumber, formatSeconds, formatTable } from '../../report/format.js';
import { examplesText, HELP_GROUPS } from '../help-text.js';
import {
  parseChoice,
  parseNonNegativeInteger,
  parsePositiveInteger,
  parsePositiveNumber,
  parseSize,
} from '../parse-options.js';

interface PlanFlags {
  model: string;
  seqLen?: string;
  resolution?: string;
  device: string;
  deviceMemory?: string;
  deviceTflops?: string;
  devices: string;
  precision: string;
  optimizer: string;
  optimizerBits: string;
  zero: string;
  tensorParallel: string;
  pipelineParallel: string;
  recompute: string;
  flashAttention: string;
  margin: string;
  targetLoss?: string;
  computeBudget?: string;
  tokens?: string;
  examples?: string;
  fromReport?: string;
  lr?: string;
  lrBatch?: string;
  mfu: string;
  json?: string;
}

const PRECISIONS: readonly Precision[] = ['fp32', 'bf16', 'fp16'];
const OPTIMIZERS: readonly OptimizerKind[] = ['sgd', 'momentum', 'adam', 'adamw'];
const RECOMPUTE: readonly Recompute[] = ['none', 'selective', 'full'];

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new BatchwiseError('invalid-option', `cannot read ${what} ${path}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new BatchwiseError('invalid-data', `${path} is not valid JSON`);
  }
}

function resolveModel(flags: PlanFlags): ModelDescription {
  const overrides = {
    ...(flags.seqLen !== undefined
      ? { sequenceLength: parsePositiveInteger('--seq-len', flags.seqLen) }
      : {}),
    ...(flags.resolution !== undefined
      ? { resolution: parsePositiveInteger('--resolution', flags.resolution) }
      : {}),
  };
  if (flags.model.toLowerCase().endsWith('.json')) {
    return modelFromJson(readJson(flags.model, 'model file'), basename(flags.model), overrides);
  }
  return presetModel(flags.model, overrides);
}

function resolveDevice(flags: PlanFlags): DeviceSpec {
  if (flags.deviceMemory !== undefined || flags.deviceTflops !== undefined) {
    if (flags.deviceMemory === undefined || flags.deviceTflops === undefined) {
      throw new BatchwiseError(
        'invalid-option',
        'a custom device needs both --device-memory (e.g. 24GiB) and --device-tflops (e.g. 100)',
      );
    }
    return customDevice(
      parseSize('--device-memory', flags.deviceMemory),
      parsePositiveNumber('--device-tflops', flags.deviceTflops),
    );
  }
  return findDevice(flags.device);
}

function measuredNoise(path: string): NonNullable<PlanInput['measuredNoise']> {
  const parsed = findReportSchema.safeParse(readJson(path, 'report'));
  if (!parsed.success) {
    throw new BatchwiseError(
      'invalid-data',
      `${path} is not a batchwise find report (schema version 1): ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  const report = parsed.data;
  const bNoise = report.recommendation?.bNoise ?? report.noise.bSimple.value;
  if (bNoise === null || bNoise === undefined || !(bNoise > 0)) {
    throw new BatchwiseError(
      'invalid-data',
      `${path} holds no measured noise scale: rerun batchwise find with more --noise-measurements`,
    );
  }
  return {
    bNoise,
    source: basename(path),
    ...(typeof report.workload.tokensPerExample === 'number'
      ? { tokensPerExample: report.workload.tokensPerExample }
      : {}),
    reference: {
      learningRate: report.workload.learningRate,
      batchSize: report.workload.learningRateBatchSize,
    },
  };
}

export function planInputFromFlags(flags: PlanFlags): PlanInput {
  const zero = parseNonNegativeInteger('--zero', flags.zero);
  if (zero > 3)
    throw new BatchwiseError('invalid-option', `--zero must be 0, 1, 2 or 3, got ${zero}`);
  const bits = parseChoice('--optimizer-bits', flags.optimizerBits, ['32', '8'] as const);
  const flash = parseChoice('--flash-attention', flags.flashAttention, ['on', 'off'] as const);
  if ((flags.lr === undefined) !== (flags.lrBatch === undefined)) {
    throw new BatchwiseError(
      'invalid-option',
      '--lr and --lr-batch go together: give both or neither',
    );
  }
  return {
    model: resolveModel(flags),
    device: resolveDevice(flags),
    devices: parsePositiveInteger('--devices', flags.devices),
    precision: parseChoice('--precision', flags.precision, PRECISIONS),
    optimizer: parseChoice('--optimizer', flags.optimizer, OPTIMIZERS),
    optimizerStateBits: Number(bits) as OptimizerStateBits,
    zeroStage: zero as ZeroStage,
    tensorParallel: parsePositiveInteger('--tensor-parallel', flags.tensorParallel),
    pipelineParallel: parsePositiveInteger('--pipeline-parallel', flags.pipelineParallel),
    recompute: parseChoice('--recompute', flags.recompute, RECOMPUTE),
    flashAttention: flash === 'on',
    marginFraction: Number(flags.margin),
    mfu: parsePositiveNumber('--mfu', flags.mfu),
    ...(flags.targetLoss !== undefined
      ? { targetLoss: parsePositiveNumber('--target-loss', flags.targetLoss) }
      : {}),
    ...(flags.computeBudget !== undefined
      ? { computeBudgetFlops: parsePositiveNumber('--compute-budget', flags.computeBudget) }
      : {}),
    ...(flags.tokens !== undefined
      ? { tokens: parsePositiveNumber('--tokens', flags.tokens) }
      : {}),
    ...(flags.examples !== undefined
      ? { examples: parsePositiveInteger('--examples', flags.examples) }
      : {}),
    ...(flags.fromReport !== undefined ? { measuredNoise: measuredNoise(flags.fromReport) } : {}),
    ...(flags.lr !== undefined && flags.lrBatch !== undefined
      ? {
          reference: {
            learningRate: parsePositiveNumber('--lr', flags.lr),
            batchSize: parsePositiveInteger('--lr-batch', flags.lrBatch),
          },
        }
      : {}),
  };
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return formatSeconds(seconds);
  if (seconds < 7200) return `${(seconds / 60).toPrecision(3)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toPrecision(3)} h`;
  return `${(seconds / 86400).toPrecision(3)} days`;
}

/** The terminal rendering of a plan. */
export function renderPlan(plan: Plan): string {
  const s = plan.settings;
  const unit = plan.model.sequenceLength !== undefined ? 'sequences' : 'examples';
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(16)}${value}`);
  row(
    'Model',
    `${plan.model.name}: ${plan.model.parameters.toLocaleString('en-US')} parameters${plan.model.sequenceLength !== undefined ? `, sequences of ${plan.model.sequenceLength} tokens` : ''}`,
  );
  row(
    'Devices',
    `${plan.devices} × ${plan.device.name} (${formatBytes(plan.device.memoryBytes)}, ${plan.device.peakTflops} TFLOPS ${s.precision}); data ${plan.parallel.data} × tensor ${plan.parallel.tensor} × pipeline ${plan.parallel.pipeline}, ZeRO ${plan.parallel.zeroStage}`,
  );
  row(
    'Training',
    `${s.precision === 'fp32' ? 'fp32' : `${s.precision} mixed precision`}, ${s.optimizer} (${s.optimizerStateBits}-bit states), flash attention ${s.flashAttention ? 'on' : 'off'}, recompute ${s.recompute}`,
  );
  lines.push('');
  const atPlan = plan.memory.microBatch !== plan.maxMicroBatch;
  const header = ['memory per device', `micro-batch ${plan.maxMicroBatch} (max)`];
  if (atPlan) header.push(`micro-batch ${plan.memory.microBatch} (plan)`);
  const rows = MEMORY_TERMS.map((term) => {
    const cells = [MEMORY_TERM_LABELS[term], formatBytes(plan.memoryAtMax.terms[term])];
    if (atPlan) cells.push(formatBytes(plan.memory.terms[term]));
    return cells;
  });
  const total = ['total', formatBytes(plan.memoryAtMax.totalBytes)];
  if (atPlan) total.push(formatBytes(plan.memory.totalBytes));
  rows.push(total);
  lines.push(
    ...formatTable(header, rows)
      .split('\n')
      .map((l) => `  ${l}`),
  );
  lines.push(
    `  usable: ${formatBytes(plan.budgetBytes)} (${formatBytes(plan.device.memoryBytes)} less a ${Math.round(plan.marginFraction * 100)}% margin)${plan.memoryAtMax.stage !== 'only' ? `; the ${plan.memoryAtMax.stage} pipeline stage is the fuller one` : ''}`,
  );
  lines.push('');
  row('Max micro-batch', `${plan.maxMicroBatch} ${unit} per device`);
  row(
    'Global batch',
    `${plan.globalBatch.toLocaleString('en-US')} ${unit}${plan.globalBatchTokens !== undefined ? ` (${plan.globalBatchTokens.toLocaleString('en-US')} tokens)` : ''}; aimed at ${formatNumber(plan.target.examples)} from ${plan.target.source}`,
  );
  row(
    'Split',
    `micro-batch ${plan.microBatch} × ${plan.accumulationSteps} accumulation steps × ${plan.dataParallel} data-parallel ranks`,
  );
  row(
    'Learning rate',
    plan.learningRate === null
      ? plan.learningRateSource
      : `${plan.learningRate.toPrecision(3)} (${plan.learningRateSource})`,
  );
  const t = plan.training;
  if (t.steps !== undefined) {
    row(
      'Steps',
      `${t.steps.toLocaleString('en-US')}${t.tokens !== undefined ? ` (${t.tokens.toExponential(3)} tokens)` : t.examples !== undefined ? ` (${t.examples.toLocaleString('en-US')} examples)` : ''}`,
    );
  }
  row(
    'Time',
    `${formatSeconds(t.stepSeconds)} per step${t.seconds !== undefined ? `, ${formatDuration(t.seconds)} in all` : ''}; ${t.formula}`,
  );
  for (const note of plan.notes) row('Note', note);
  return `${lines.join('\n')}\n`;
}

export function registerPlanCommand(
  program: Command,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): void {
  program
    .command('plan')
    .description(
      'plan the batch of a large model from its configuration alone: memory per device, largest micro-batch, global batch, split, learning rate and time',
    )
    .optionsGroup('Model:')
    .requiredOption(
      '-m, --model <name|file>',
      'preset (gpt2-small, gpt2-medium, gpt2-large, gpt2-xl, llama-1b, llama-7b, llama-13b, llama-70b, bert-base, bert-large, resnet18, resnet50), a transformer config.json or a TF.js model.json',
    )
    .option('--seq-len <n>', 'tokens per sequence (default: the model’s)')
    .option('--resolution <n>', 'image side in pixels for convnets', '224')
    .optionsGroup('Device:')
    .option(
      '--device <name>',
      'device from the catalog (h100-80gb, a100-80gb, rtx4090, …)',
      'h100-80gb',
    )
    .option('--device-memory <size>', 'custom device memory, e.g. 24GiB (with --device-tflops)')
    .option('--device-tflops <n>', 'custom device peak TFLOPS (with --device-memory)')
    .option('--devices <n>', 'devices in all (data × tensor × pipeline parallel)', '1')
    .optionsGroup('Training:')
    .option('--precision <p>', 'fp32, bf16 or fp16 (mixed precision, fp32 master weights)', 'bf16')
    .option('--optimizer <name>', 'sgd, momentum, adam or adamw', 'adamw')
    .option('--optimizer-bits <n>', 'optimizer state bits: 32 or 8 (block-wise 8-bit)', '32')
    .option('--zero <stage>', 'ZeRO stage 0-3 over the data-parallel ranks', '0')
    .option('--tensor-parallel <n>', 'tensor-parallel degree', '1')
    .option('--pipeline-parallel <n>', 'pipeline-parallel degree', '1')
    .option('--recompute <mode>', 'activation recomputation: none, selective or full', 'none')
    .option('--flash-attention <on|off>', 'fused attention: no s×s scores stored', 'on')
    .option('--margin <fraction>', 'fraction of device memory kept free', '0.05')
    .optionsGroup('Batch:')
    .option('--target-loss <nats>', 'loss to reach: global batch = Kaplan B_crit(L)')
    .option('--compute-budget <flops>', 'training FLOPs: global batch = DeepSeek B_opt(C)')
    .option('--tokens <n>', 'training tokens (default: C/6N, else 20 per parameter)')
    .option('--examples <n>', 'training examples (models without tokens)')
    .option('--from-report <file>', 'a batchwise find report: global batch = its measured B_noise')
    .option('--lr <rate>', 'a learning rate known to work at --lr-batch')
    .option('--lr-batch <n>', 'the batch size --lr belongs to')
    .option('--mfu <fraction>', 'model FLOPs utilisation for the time estimate', '0.4')
    .optionsGroup(HELP_GROUPS.output)
    .option('--json <file>', 'write the plan as JSON')
    .optionsGroup('Options:')
    .addHelpText(
      'after',
      examplesText([
        'plan -m gpt2-small --device h100-80gb --precision bf16 --optimizer adamw --flash-attention on',
        'plan -m llama-7b --device a100-80gb --devices 64 --zero 3 --recompute selective --compute-budget 1e22',
        'plan -m resnet50 --device rtx4090 --examples 1281167 --json plan.json',
      ]),
    )
    .action((flags: PlanFlags) => {
      const input = planInputFromFlags(flags);
      const plan = planBatch(input);
      if (flags.json) writeFileSync(flags.json, `${JSON.stringify(planToJson(plan), null, 2)}\n`);
      io.stdout.write(renderPlan(plan));
      process.exitCode = 0;
    });
}
