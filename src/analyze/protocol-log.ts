// Telemetry protocol logs (JSON lines, docs/protocol.md) as a training log, parsed line by line
// by src/protocol. Steps that several ranks wrote as separate lines are merged as the command
// engine does: rank 0's step, with the other ranks' microSqNorms appended (each a part of the
// global batch, McCandlish et al. 2018, App. A.1).

import { readTextLines } from '../data/text.js';
import { BatchwiseError, defined } from '../errors.js';
import { parseTelemetryLine } from '../protocol/parse-telemetry-line.js';
import type { TelemetryStart, TelemetryStep } from '../protocol/telemetry-events.js';
import type { LogStep, StepGradientNorms, TrainingLog } from './training-log.js';

/** Facts the `start` event gives that the recommendation can use. */
export interface ProtocolRunInfo {
  readonly datasetSize?: number | undefined;
  readonly tokensPerExample?: number | undefined;
  readonly framework?: string | undefined;
  readonly microBatchSize?: number | undefined;
}

export interface ProtocolLog extends TrainingLog {
  readonly run: ProtocolRunInfo;
}

interface Pending {
  base: TelemetryStep;
  line: number;
  /** Each rank's parts, by rank. */
  readonly parts: Map<number, { sizes: number; norms: readonly number[] }>;
}

function partSize(step: TelemetryStep, start: TelemetryStart | undefined): number | undefined {
  return step.microBatchSize ?? start?.microBatchSize;
}

function gradientOf(pending: Pending): StepGradientNorms | undefined {
  const { base } = pending;
  if (base.sqNorm === undefined) return undefined;
  const ranks = [...pending.parts.entries()].sort((a, b) => a[0] - b[0]);
  const norms = ranks.flatMap(([, r]) => r.norms);
  if (norms.length === 0) return undefined;
  const sizes = ranks.flatMap(([, r]) => r.norms.map(() => r.sizes));
  const parts = norms.map((sqNorm, i) => ({
    batchSize: Number.isFinite(defined(sizes[i], 'sizes[i]'))
      ? defined(sizes[i], 'sizes[i]')
      : base.batchSize / norms.length,
    sqNorm,
  }));
  if (parts.length >= 2) return { kind: 'parts', parts, wholeSqNorm: base.sqNorm };
  const small = defined(parts[0], 'parts[0]');
  if (!(small.batchSize < base.batchSize)) return undefined;
  // One micro-batch norm against the whole step: a small/big pair.
  return {
    kind: 'pair',
    smallBatchSize: small.batchSize,
    smallSqNorm: small.sqNorm,
    bigBatchSize: base.batchSize,
    bigSqNorm: base.sqNorm,
  };
}

export async function readProtocolLog(file: string): Promise<ProtocolLog> {
  let start: TelemetryStart | undefined;
  const pendingSteps: Pending[] = [];
  const byStep = new Map<number, Pending>();
  const outOfMemoryBatchSizes: number[] = [];
  const warnings: string[] = [];
  let lineCount = 0;
  for await (const { text, lineNumber } of readTextLines(file)) {
    lineCount++;
    let event: ReturnType<typeof parseTelemetryLine>;
    try {
      event = parseTelemetryLine(text, lineNumber);
    } catch (error) {
      if (error instanceof BatchwiseError) {
        throw new BatchwiseError(
          'invalid-data',
          `${file}: ${error.message.replace(/^telemetry line/, 'line')}`,
        );
      }
      throw error;
    }
    if (!event) continue;
    if (event.event === 'start') {
      if (start && (event.rank ?? 0) === (start.rank ?? 0))
        warnings.push(
          `${file}: line ${lineNumber}: a second start event: its fields replace the first's`,
        );
      if (!start || event.rank === 0) start = event;
    } else if (event.event === 'oom') {
      if (event.batchSize !== undefined) outOfMemoryBatchSizes.push(event.batchSize);
      warnings.push(
        `${file}: line ${lineNumber}: out of memory${event.batchSize !== undefined ? ` at batch ${event.batchSize}` : ''}: ${event.message}`,
      );
    } else if (event.event === 'step') {
      const rank = event.rank ?? 0;
      const size = partSize(event, start) ?? Number.NaN;
      const existing = byStep.get(event.step);
      if (existing?.parts.has(rank)) {
        warnings.push(
          `${file}: line ${lineNumber}: step ${event.step} of rank ${rank} again (a restart?): the later line replaces line ${existing.line}`,
        );
      }
      if (existing && !existing.parts.has(rank)) {
        if (rank === 0) {
          existing.base = event;
          existing.line = lineNumber;
        }
        existing.parts.set(rank, { sizes: size, norms: event.microSqNorms ?? [] });
        continue;
      }
      const pending: Pending = {
        base: event,
        line: lineNumber,
        parts: new Map([[rank, { sizes: size, norms: event.microSqNorms ?? [] }]]),
      };
      if (existing) pendingSteps.splice(pendingSteps.indexOf(existing), 1, pending);
      else pendingSteps.push(pending);
      byStep.set(event.step, pending);
    }
  }
  if (lineCount === 0 || (pendingSteps.length === 0 && !start))
    throw new BatchwiseError('invalid-data', `${file}: the file is empty (no protocol events)`);
  if (pendingSteps.length === 0)
    throw new BatchwiseError(
      'invalid-data',
      `${file}: no step events (the run logged no training step)`,
    );
  const steps: LogStep[] = pendingSteps
    .sort((a, b) => a.base.step - b.base.step)
    .map((pending) => {
      const { base } = pending;
      const location = { file, unit: 'line' as const, index: pending.line };
      const gradient = gradientOf(pending);
      const norms = [...pending.parts.values()].flatMap((p) => p.norms);
      if ([...norms, base.sqNorm ?? 0].some((v) => !Number.isFinite(v))) {
        warnings.push(
          `${file}: line ${pending.line}: a gradient squared norm is NaN or infinite (step ${base.step}): skipped for the noise scale`,
        );
      }
      if (norms.length > 0 && base.sqNorm === undefined) {
        warnings.push(
          `${file}: line ${pending.line}: microSqNorms without sqNorm (the accumulated gradient's): step ${base.step} not used for the noise scale`,
        );
      }
      return {
        step: base.step,
        batchSize: base.batchSize,
        seconds: base.seconds,
        loss: base.loss,
        ...(base.peakBytes !== undefined ? { peakBytes: base.peakBytes } : {}),
        ...(gradient ? { gradient } : {}),
        location,
      };
    });
  const run: ProtocolRunInfo = {
    datasetSize: start?.datasetSize,
    tokensPerExample: start?.tokensPerExample,
    framework: start?.framework,
    microBatchSize: start?.microBatchSize,
  };
  return {
    file,
    format: 'jsonl',
    steps,
    ...(start ? { worldSize: start.worldSize } : {}),
    outOfMemoryBatchSizes,
    warnings,
    run,
  };
}
