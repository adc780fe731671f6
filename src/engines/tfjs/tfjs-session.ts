// The TF.js engine's training session: one workload (model, data, optimizer) on one backend.
// Each step reads its loss before applying the update, so a NaN step is recorded and the
// weights stay usable; memory trials are guarded by a memory model fitted on the session's own
// measurements, so a batch predicted over the budget is an `oom` outcome without running.
// With a validation spec the held-out examples are set apart before anything is fitted on the
// data (normalisation included), and `evaluate` runs the model on them in inference mode.

import * as tf from '@tensorflow/tfjs-core';
import { predictedOverBudget } from '../../analysis/memory-policy.js';
import { createRandom, type Random } from '../../analysis/random.js';
import { type Batch, type Dataset, gatherBatch, targetsPerExample } from '../../data/dataset.js';
import { loadDataset } from '../../data/load-dataset.js';
import { type DataSummary, prepareInputs, splitNormalizeOption } from '../../data/normalize.js';
import { createEpochSampler, sampleWithoutReplacement } from '../../data/sampling.js';
import { holdOutValidation } from '../../data/validation-data.js';
import { BatchwiseError, defined, requireInteger } from '../../errors.js';
import { VERSION } from '../../version.js';
import type {
  EngineInfo,
  EngineOptions,
  EvaluateOutcome,
  GradientNormsOptions,
  GradientNormsOutcome,
  MemoryOptions,
  MemoryOutcome,
  StepRecord,
  TrainingSession,
  TrainOptions,
  TrainOutcome,
  TrialFailure,
  WorkloadInfo,
  WorkloadSpec,
} from '../engine.js';
import { type BackendInfo, selectBackend } from './backend.js';
import { classifyBackendError } from './classify-error.js';
import { resolveMemoryBudget } from './memory-budget.js';
import { measureMemoryIsolated } from './memory-isolation.js';
import type { ModelContext, TfjsModel } from './model.js';
import { buildModel } from './models/build-model.js';
import { createOptimizer, type TrainingOptimizer } from './optimizers.js';

type Sampler = ReturnType<typeof createEpochSampler>;

/** Validation examples per forward pass of `evaluate` (bounds its memory, not its result). */
const EVALUATION_CHUNK_EXAMPLES = 512;

function vocabularySizeOf(dataset: Dataset): number | undefined {
  if (dataset.target.kind === 'next-token') return dataset.target.vocabularySize;
  if (dataset.inputDtype !== 'int32') return undefined;
  if (dataset.vocabulary) return dataset.vocabulary.length;
  let max = 0;
  for (const id of dataset.inputs) if (id > max) max = id;
  return max + 1;
}

function tokensPerExampleOf(dataset: Dataset): number | undefined {
  if (dataset.target.kind !== 'next-token') return undefined;
  if (dataset.paddingId === undefined) return targetsPerExample(dataset);
  let real = 0;
  for (const id of dataset.targets) if (id !== dataset.paddingId) real++;
  return real / dataset.size;
}

export class TfjsSession implements TrainingSession {
  readonly engine: EngineInfo;
  readonly workload: WorkloadInfo;
  readonly memoryBudgetBytes: number;
  readonly memoryBudgetNote?: string;
  private readonly spec: WorkloadSpec;
  private readonly backend: BackendInfo;
  private readonly dataset: Dataset;
  /** The held-out examples of spec.validation, normalised as the training data. */
  private readonly validation: Dataset | undefined;
  private readonly modelContext: ModelContext;
  private model: TfjsModel;
  private optimizer: TrainingOptimizer;
  private sampler: Sampler;
  private noiseRandom: Random;
  private readonly memoryPoints: { batchSize: number; peakBytes: number }[] = [];
  private stepCount = 0;
  private disposed = false;
  /** Set when the backend threw in-process: its heap and tensors can no longer be trusted. */
  private brokenReason: string | undefined;

  private constructor(parts: {
    spec: WorkloadSpec;
    backend: BackendInfo;
    dataset: Dataset;
    validation: Dataset | undefined;
    dataSummary: DataSummary | undefined;
    modelContext: ModelContext;
    model: TfjsModel;
    optimizer: TrainingOptimizer;
    memoryBudget: { readonly bytes: number; readonly note?: string };
  }) {
    this.modelContext = parts.modelContext;
    this.spec = parts.spec;
    this.backend = parts.backend;
    this.dataset = parts.dataset;
    this.validation = parts.validation;
    this.model = parts.model;
    this.optimizer = parts.optimizer;
    this.memoryBudgetBytes = parts.memoryBudget.bytes;
    if (parts.memoryBudget.note !== undefined) this.memoryBudgetNote = parts.memoryBudget.note;
    this.sampler = createEpochSampler(parts.dataset.size, parts.spec.seed);
    this.noiseRandom = createRandom(parts.spec.seed + 7919);
    this.engine = {
      name: 'tfjs',
      backend: parts.backend.name,
      version: `${VERSION} (TF.js ${tf.version_core})`,
      details: parts.backend.details,
    };
    const tokensPerExample = tokensPerExampleOf(parts.dataset);
    this.workload = {
      model: parts.model.name,
      data: parts.dataset.name,
      datasetSize: parts.dataset.size,
      inputShape: parts.dataset.inputShape,
      parameterCount: parts.model.parameterCount,
      optimizer: parts.spec.optimizer,
      learningRate: parts.spec.learningRate,
      ...(tokensPerExample !== undefined ? { tokensPerExample } : {}),
      ...(parts.dataSummary !== undefined ? { dataSummary: parts.dataSummary } : {}),
    };
  }

  static async open(spec: WorkloadSpec, options: EngineOptions = {}): Promise<TfjsSession> {
    const backend = await selectBackend(options.backend ?? 'auto');
    const { normalize, options: dataOptions } = splitNormalizeOption(spec.dataOptions ?? {});
    // With a validation split, generated data (synthetic, tokens) are drawn with the split's
    // seed too, so that every trial of a sweep holds the same examples whatever its own seed.
    const load = (data: string) =>
      loadDataset({
        data,
        label: spec.label,
        options: dataOptions,
        seed: spec.validation?.seed ?? spec.seed,
      });
    const held = await holdOutValidation(await load(spec.data), spec.validation, load);
    // Built-in models standardise numeric inputs unless --data-option normalize says otherwise;
    // the statistics are the training examples' only.
    const {
      dataset,
      summary: dataSummary,
      heldOut: validation,
    } = prepareInputs(held.train, spec.model, normalize, held.validation);
    const vocabularySize = Math.max(
      vocabularySizeOf(dataset) ?? 0,
      (validation && vocabularySizeOf(validation)) ?? 0,
    );
    const modelContext: ModelContext = {
      inputShape: dataset.inputShape,
      inputDtype: dataset.inputDtype,
      target: dataset.target,
      paddingId: dataset.paddingId,
      seed: spec.seed,
      options: {
        ...(vocabularySize > 0 ? { vocabularySize } : {}),
        ...(spec.modelOptions ?? {}),
      },
    };
    const model = await buildModel(spec.model, modelContext);
    const optimizer = createOptimizer(spec.optimizer, spec.learningRate);
    return new TfjsSession({
      spec,
      backend,
      dataset,
      validation,
      dataSummary,
      modelContext,
      model,
      optimizer,
      memoryBudget: resolveMemoryBudget(backend.name, options.memoryBudgetBytes),
    });
  }

  private assertUsable(batchSize: number): void {
    if (this.disposed)
      throw new BatchwiseError('invalid-argument', 'the training session was disposed');
    requireInteger('batchSize', batchSize);
    if (batchSize > this.dataset.size) {
      throw new BatchwiseError(
        'invalid-argument',
        `batch size ${batchSize} is larger than the data (${this.dataset.size} examples in ${this.dataset.name})`,
      );
    }
  }

  /**
   * The outcome of an exception from the backend. Any but a backend limit (WebGPU's dispatch
   * size, checked before anything runs) leaves the session broken: a wasm heap that failed to
   * grow or was written out of bounds corrupts tensors that later steps would use, so every
   * later call reports this failure instead of measuring garbage.
   */
  private backendFailure(error: unknown): TrialFailure {
    const failure = classifyBackendError(error);
    if (failure.kind !== 'limit') {
      this.brokenReason = `the ${this.backend.name} backend failed in-process (${failure.message}); nothing it measures after that can be trusted`;
    }
    return failure;
  }

  broken(): string | undefined {
    return this.brokenReason;
  }

  private brokenFailure(): TrialFailure | undefined {
    return this.brokenReason !== undefined
      ? { kind: 'error', message: this.brokenReason }
      : undefined;
  }

  private tensors(batch: Batch): { inputs: tf.Tensor; targets: tf.Tensor } {
    const inputs = tf.tensor(
      batch.inputs,
      [batch.size, ...this.dataset.inputShape],
      this.dataset.inputDtype,
    );
    const targetShape =
      this.dataset.target.kind === 'classes'
        ? [batch.size]
        : [batch.size, targetsPerExample(this.dataset)];
    return { inputs, targets: tf.tensor(batch.targets, targetShape, 'int32') };
  }

  /** Loss and gradients of one batch, kept outside any tidy; the caller disposes them. */
  private lossAndGradients(batch: Batch): { loss: tf.Scalar; grads: tf.NamedTensorMap } {
    return tf.tidy(() => {
      const { inputs, targets } = this.tensors(batch);
      const { value, grads } = tf.variableGrads(
        () => this.model.loss(inputs, targets),
        [...this.model.variables],
      );
      return { loss: value, grads };
    });
  }

  /** One optimizer step: the update is applied only when the loss is finite. */
  private step(batch: Batch): number {
    const { loss, grads } = this.lossAndGradients(batch);
    try {
      const value = defined(loss.dataSync()[0], 'loss.dataSync()[0]');
      if (Number.isFinite(value)) this.optimizer.apply(grads, this.model.variables);
      return value;
    } finally {
      loss.dispose();
      tf.dispose(grads);
    }
  }

  /**
   * An oom outcome when the session's memory model predicts the batch over the budget. Memory
   * trials first profile batches 1 and 2 (real steps) when the model lacks points; training and
   * gradient norms only use the points already there, so they never take hidden steps (the
   * probes always measure memory first).
   */
  private async guard(
    batchSize: number,
    profileIfNeeded = true,
  ): Promise<TrialFailure | undefined> {
    const refused = this.memoryPoints.find(
      (p) => p.batchSize <= batchSize && p.peakBytes > this.memoryBudgetBytes,
    );
    if (refused) {
      return {
        kind: 'oom',
        message: `batch ${refused.batchSize} already exceeded the memory budget`,
        peakBytes: refused.peakBytes,
      };
    }
    if (batchSize <= 2) return undefined;
    for (const small of profileIfNeeded ? [1, 2] : []) {
      if (this.memoryPoints.some((p) => p.batchSize === small)) continue;
      try {
        await this.profile(small);
      } catch (error) {
        return this.backendFailure(error);
      }
    }
    const predicted = predictedOverBudget(this.memoryPoints, this.memoryBudgetBytes, batchSize);
    if (predicted === undefined) return undefined;
    return {
      kind: 'oom',
      message: `batch ${batchSize} is predicted to need ${Math.round(predicted)} bytes, over the budget of ${this.memoryBudgetBytes}`,
      predictedPeakBytes: predicted,
    };
  }

  /** Peak bytes of one real training step (it counts as a step), recorded for the guard. */
  private async profile(batchSize: number): Promise<{ peakBytes: number; seconds: number }> {
    const batch = gatherBatch(this.dataset, this.sampler.next(batchSize));
    const started = performance.now();
    const info = await tf.profile(() => {
      this.step(batch);
    });
    this.stepCount++;
    const result = { peakBytes: info.peakBytes, seconds: (performance.now() - started) / 1000 };
    this.memoryPoints.push({ batchSize, peakBytes: result.peakBytes });
    return result;
  }

  async train(options: TrainOptions): Promise<TrainOutcome> {
    this.assertUsable(options.batchSize);
    requireInteger('steps', options.steps);
    const refused = this.brokenFailure() ?? (await this.guard(options.batchSize, false));
    if (refused) return { ...refused, steps: [] };
    const steps: StepRecord[] = [];
    for (let i = 0; i < options.steps; i++) {
      if (options.signal?.aborted) return { kind: 'aborted', message: 'aborted', steps };
      const batch = gatherBatch(this.dataset, this.sampler.next(options.batchSize));
      let loss: number;
      const started = performance.now();
      try {
        loss = this.step(batch);
      } catch (error) {
        return { ...this.backendFailure(error), steps };
      }
      const record: StepRecord = {
        step: this.stepCount++,
        batchSize: options.batchSize,
        seconds: (performance.now() - started) / 1000,
        loss,
        tokens: batch.tokens,
      };
      steps.push(record);
      options.onStep?.(record);
      if (!Number.isFinite(loss)) {
        return {
          kind: 'diverged',
          message: `the loss became ${loss} at step ${record.step} (batch ${options.batchSize}, learning rate ${this.spec.learningRate}); the update was skipped`,
          steps,
        };
      }
      // Yield to the event loop so that an abort (Ctrl-C) can arrive between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { kind: 'ok', steps };
  }

  async gradientNorms(options: GradientNormsOptions): Promise<GradientNormsOutcome> {
    this.assertUsable(options.microBatchSize);
    requireInteger('microBatches', options.microBatches, 2);
    const { microBatchSize: size, microBatches: count } = options;
    if (size * count > this.dataset.size) {
      throw new BatchwiseError(
        'invalid-argument',
        `${count} micro-batches of ${size} need ${size * count} distinct examples, the data has ${this.dataset.size}`,
      );
    }
    const refused = this.brokenFailure() ?? (await this.guard(size, false));
    if (refused) return refused;
    const indices = sampleWithoutReplacement(this.dataset.size, size * count, this.noiseRandom);
    const started = performance.now();
    let sums: tf.Tensor[] = [];
    const microSqNorms: number[] = [];
    let lossSum = 0;
    try {
      for (let i = 0; i < count; i++) {
        if (options.signal?.aborted) return { kind: 'aborted', message: 'aborted' };
        const batch = gatherBatch(this.dataset, indices.slice(i * size, (i + 1) * size));
        const { loss, grads } = this.lossAndGradients(batch);
        const gradients = this.model.variables.map((v) => defined(grads[v.name], 'grads[v.name]'));
        // Squared norms are summed one tensor at a time: tf.addN over many inputs is wrong on
        // WebGPU (storage-buffer limit).
        const [sqNorm, ...nextSums] = tf.tidy(() => {
          let total = tf.scalar(0);
          for (const g of gradients) total = tf.add(total, tf.sum(tf.square(g)));
          const accumulated = gradients.map((g, j) =>
            sums.length > 0 ? tf.add(defined(sums[j], 'sums[j]'), g) : g.clone(),
          );
          return [total, ...accumulated];
        });
        tf.dispose(sums);
        sums = nextSums;
        if (!sqNorm) throw new Error('internal error: no squared norm of the micro-batch');
        microSqNorms.push(defined(sqNorm.dataSync()[0], 'the squared norm'));
        lossSum += defined(loss.dataSync()[0], 'the loss');
        tf.dispose([sqNorm, loss]);
        tf.dispose(grads);
      }
      const accumulated = tf.tidy(() => {
        let total = tf.scalar(0);
        for (const s of sums) total = tf.add(total, tf.sum(tf.square(tf.div(s, count))));
        return total;
      });
      const accumulatedSqNorm = defined(accumulated.dataSync()[0], 'accumulated.dataSync()[0]');
      accumulated.dispose();
      const loss = lossSum / count;
      if (!Number.isFinite(loss) || !microSqNorms.every(Number.isFinite)) {
        return {
          kind: 'diverged',
          message: `non-finite loss or gradient at step ${this.stepCount}`,
        };
      }
      return {
        kind: 'ok',
        microBatchSize: size,
        microSqNorms,
        accumulatedSqNorm,
        loss,
        populationSize: this.dataset.size,
        step: this.stepCount,
        seconds: (performance.now() - started) / 1000,
      };
    } catch (error) {
      return this.backendFailure(error);
    } finally {
      tf.dispose(sums);
    }
  }

  async measureMemory(options: MemoryOptions): Promise<MemoryOutcome> {
    this.assertUsable(options.batchSize);
    const { batchSize } = options;
    const refused = this.brokenFailure() ?? (await this.guard(batchSize));
    if (refused) return { ...refused, batchSize };
    if (options.signal?.aborted) return { kind: 'aborted', message: 'aborted', batchSize };
    if (options.isolated) {
      const outcome = await measureMemoryIsolated(this.spec, {
        backend: this.backend.name,
        memoryBudgetBytes: this.memoryBudgetBytes,
        batchSize,
        signal: options.signal,
      });
      if (outcome.kind === 'ok' && outcome.peakBytes !== undefined)
        this.memoryPoints.push({ batchSize, peakBytes: outcome.peakBytes });
      return outcome;
    }
    try {
      const { peakBytes, seconds } = await this.profile(batchSize);
      if (peakBytes > this.memoryBudgetBytes) {
        return {
          kind: 'oom',
          message: `batch ${batchSize} peaked at ${peakBytes} bytes, over the budget`,
          peakBytes,
          batchSize,
        };
      }
      return { kind: 'ok', batchSize, peakBytes, seconds };
    } catch (error) {
      return { ...this.backendFailure(error), batchSize };
    }
  }

  /**
   * Mean loss and accuracy of the current weights over every validation example, in chunks of
   * EVALUATION_CHUNK_EXAMPLES. Each chunk's mean is weighted by the targets it counts (examples,
   * or non-padding tokens), so the result is the mean over the whole set, as one batch's loss
   * would be. The weights and the training state do not move.
   */
  async evaluate(
    options: { readonly signal?: AbortSignal | undefined } = {},
  ): Promise<EvaluateOutcome> {
    if (this.disposed)
      throw new BatchwiseError('invalid-argument', 'the training session was disposed');
    const refused = this.brokenFailure();
    if (refused) return refused;
    const validation = this.validation;
    if (validation === undefined) {
      return {
        kind: 'error',
        message: 'no validation data: open the session with a validation split',
      };
    }
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    let counted = 0;
    try {
      for (let start = 0; start < validation.size; start += EVALUATION_CHUNK_EXAMPLES) {
        if (options.signal?.aborted) return { kind: 'aborted', message: 'aborted' };
        const end = Math.min(start + EVALUATION_CHUNK_EXAMPLES, validation.size);
        const batch = gatherBatch(
          validation,
          Array.from({ length: end - start }, (_, i) => start + i),
        );
        const sums = tf.tidy(() => {
          const { inputs, targets } = this.tensors(batch);
          const chunk = this.model.evaluate(inputs, targets);
          return tf.stack([tf.mul(chunk.loss, chunk.counted), chunk.correct, chunk.counted]);
        });
        const [chunkLoss, chunkCorrect, chunkCounted] = sums.dataSync();
        sums.dispose();
        lossSum += defined(chunkLoss, 'the chunk loss');
        correct += defined(chunkCorrect, 'the chunk correct count');
        counted += defined(chunkCounted, 'the chunk target count');
        // Yield to the event loop so that an abort can arrive between chunks.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      return this.backendFailure(error);
    }
    const loss = lossSum / counted;
    if (!Number.isFinite(loss)) {
      return {
        kind: 'diverged',
        message: `the validation loss is ${loss} at step ${this.stepCount}`,
      };
    }
    return {
      kind: 'ok',
      loss,
      accuracy: correct / counted,
      examples: validation.size,
      seconds: (performance.now() - started) / 1000,
    };
  }

  async reset(): Promise<void> {
    if (this.disposed)
      throw new BatchwiseError('invalid-argument', 'the training session was disposed');
    this.optimizer.dispose();
    this.model.dispose();
    this.model = await buildModel(this.spec.model, this.modelContext);
    this.optimizer = createOptimizer(this.spec.optimizer, this.spec.learningRate);
    this.sampler = createEpochSampler(this.dataset.size, this.spec.seed);
    this.noiseRandom = createRandom(this.spec.seed + 7919);
    this.stepCount = 0;
  }

  resources() {
    const memory = tf.memory();
    return { handles: memory.numTensors, bytes: memory.numBytes };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer.dispose();
    this.model.dispose();
  }
}
