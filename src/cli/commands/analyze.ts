// `batchwise analyze FILE...`: the noise-scale trajectory, throughput and a recommendation from
// training logs that already exist (protocol JSON lines, CSV, TensorBoard event files).

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { OPTIMIZERS } from '../../analysis/learning-rate.js';
import { DEFAULT_NOISE_SMOOTHING } from '../../analysis/noise-scale.js';
import type { Smoothing } from '../../analysis/smoothing.js';
import { analyzeLogs } from '../../analyze/analyze-log.js';
import { analyzeReportToMarkdown } from '../../analyze/analyze-markdown.js';
import { analyzeReportToJson, buildAnalyzeReport } from '../../analyze/analyze-report.js';
import { renderAnalyzeSummary } from '../../analyze/analyze-summary.js';
import { LOG_FIELDS, parseFieldMapping } from '../../analyze/field-map.js';
import { LOG_FORMATS, readTrainingLogs } from '../../analyze/read-log.js';
import { BatchwiseError } from '../../errors.js';
import { VERSION } from '../../version.js';
import { examplesText, HELP_GROUPS } from '../help-text.js';
import {
  parseChoice,
  parseFiniteNumber,
  parseNonNegativeInteger,
  parsePositiveInteger,
  parsePositiveNumber,
  parseSize,
} from '../parse-options.js';

interface AnalyzeFlags {
  format?: string;
  map: string[];
  datasetSize?: string;
  optimizer: string;
  lr?: string;
  lrBatch?: string;
  memoryBudget?: string;
  targetLoss?: string;
  smoothing: string;
  warmupSteps: string;
  json?: string;
  markdown?: string;
  quiet?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** "stationary", "ema:0.9", "window:20", "all". */
export function parseSmoothing(text: string): Smoothing {
  const [kind, value] = text.split(':');
  if (kind === 'stationary' && value === undefined) return DEFAULT_NOISE_SMOOTHING;
  if (kind === 'all' && value === undefined) return { kind: 'all' };
  const number = Number(value);
  if (kind === 'ema' && value !== undefined && number >= 0 && number < 1)
    return { kind: 'ema', beta: number };
  if (kind === 'window' && value !== undefined && Number.isInteger(number) && number >= 1)
    return { kind: 'window', size: number };
  throw new BatchwiseError(
    'invalid-option',
    `--smoothing must be stationary, ema:BETA (0 <= BETA < 1), window:N or all, got "${text}"`,
  );
}

export function registerAnalyzeCommand(
  program: Command,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): void {
  program
    .command('analyze')
    .description(
      'noise scale, throughput and a recommendation from existing training logs (protocol JSON lines, CSV, TensorBoard event files)',
    )
    .argument('<file...>', 'log files, or TensorBoard log directories')
    .optionsGroup('Analysis:')
    .option(
      '--format <format>',
      `log format: ${LOG_FORMATS.join(', ')} (default: from the name or content)`,
    )
    .option(
      '--map <field=column>',
      `CSV column or TensorBoard tag of a field (repeatable); fields: ${LOG_FIELDS.join(', ')}`,
      collect,
      [],
    )
    .option('--dataset-size <n>', "examples in the training set (default: the log's, else unknown)")
    .option('--optimizer <name>', `optimizer of the run: ${OPTIMIZERS.join(', ')}`, 'sgd')
    .option(
      '--lr <rate>',
      'learning rate of the run at --lr-batch (default: unknown; factors are given)',
    )
    .option(
      '--lr-batch <n>',
      'the batch size --lr belongs to (default: the most logged batch size)',
    )
    .option(
      '--memory-budget <size>',
      'device memory, e.g. 80GiB: with logged peak memory, extrapolates the ceiling',
    )
    .option('--target-loss <x>', 'training loss to reach: steps to the target')
    .option(
      '--smoothing <how>',
      'noise-scale smoothing: stationary (the window that follows training), ema:BETA, window:N or all',
      'stationary',
    )
    .option(
      '--warmup-steps <n>',
      'timed steps dropped at the start of each log and batch size',
      '1',
    )
    .optionsGroup(HELP_GROUPS.output)
    .option('--json <file>', 'write the full report as JSON')
    .option('--markdown <file>', 'write the report as Markdown')
    .option('-q, --quiet', 'print only the recommendation')
    .optionsGroup('Options:')
    .addHelpText(
      'after',
      examplesText([
        'analyze run.jsonl              # the telemetry protocol (docs/protocol.md)',
        'analyze metrics.csv --map sqNorm=grad_norm_sq_global --dataset-size 60000',
        'analyze runs/ --target-loss 0.5 --json analysis.json   # TensorBoard event files',
      ]),
    )
    .action(async (files: string[], flags: AnalyzeFlags) => {
      process.exitCode = await runAnalyze(files, flags, io);
    });
}

async function runAnalyze(
  files: readonly string[],
  flags: AnalyzeFlags,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): Promise<number> {
  const format =
    flags.format !== undefined ? parseChoice('--format', flags.format, LOG_FORMATS) : undefined;
  const mapping = parseFieldMapping(flags.map);
  const optimizer = parseChoice('--optimizer', flags.optimizer, OPTIMIZERS);
  const learningRate = flags.lr !== undefined ? parsePositiveNumber('--lr', flags.lr) : undefined;
  const learningRateBatchSize =
    flags.lrBatch !== undefined ? parsePositiveInteger('--lr-batch', flags.lrBatch) : undefined;
  const datasetSize =
    flags.datasetSize !== undefined
      ? parsePositiveInteger('--dataset-size', flags.datasetSize)
      : undefined;
  const memoryBudgetBytes =
    flags.memoryBudget !== undefined ? parseSize('--memory-budget', flags.memoryBudget) : undefined;
  const targetLoss =
    flags.targetLoss !== undefined
      ? parseFiniteNumber('--target-loss', flags.targetLoss)
      : undefined;
  const smoothing = parseSmoothing(flags.smoothing);
  const warmupSteps = parseNonNegativeInteger('--warmup-steps', flags.warmupSteps);

  const logs = await readTrainingLogs(files, { format, mapping });
  const analysis = analyzeLogs(logs, {
    smoothing,
    optimizer,
    warmupSteps,
    datasetSize,
    learningRate,
    learningRateBatchSize,
    memoryBudgetBytes,
    targetLoss,
  });
  const report = buildAnalyzeReport({
    analysis,
    optimizer,
    warmupSteps,
    learningRate,
    memoryBudgetBytes,
    targetLoss,
    command: process.argv.slice(2),
    createdAt: new Date().toISOString(),
    version: VERSION,
  });
  if (flags.json) writeFileSync(flags.json, analyzeReportToJson(report));
  if (flags.markdown) writeFileSync(flags.markdown, analyzeReportToMarkdown(report));
  const r = report.recommendation;
  if (flags.quiet) {
    io.stdout.write(
      r
        ? `batch ${r.batchSize}, learning rate ${r.learningRate.toPrecision(3)}${learningRate === undefined ? ' x current' : ''}\n`
        : `no recommendation: ${report.messages.at(-1) ?? ''}\n`,
    );
  } else {
    io.stdout.write(renderAnalyzeSummary(report));
  }
  return 0;
}
