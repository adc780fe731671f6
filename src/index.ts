// batchwise's library entry: named re-exports only.

export * from './analysis/adaptive-controller.js';
export * from './analysis/batch-choice.js';
export * from './analysis/distributions.js';
export * from './analysis/gradient-norms.js';
export * from './analysis/learning-rate.js';
export * from './analysis/linear-fit.js';
export * from './analysis/memory-model.js';
export * from './analysis/noise-scale.js';
export * from './analysis/noise-trend.js';
export * from './analysis/random.js';
export * from './analysis/sample-summary.js';
export * from './analysis/scaling-laws.js';
export * from './analysis/smoothing.js';
export * from './analysis/stationary-window.js';
export * from './analysis/statistics.js';
export * from './analysis/step-time.js';
export * from './analysis/step-time-bootstrap.js';
export * from './analysis/sweep-fit.js';
export * from './analysis/time-to-target.js';
export * from './analysis/trade-off.js';
export * from './analysis/training-plan.js';
export { analyzeLogs } from './analyze/analyze-log.js';
export { buildAnalyzeReport } from './analyze/analyze-report.js';
export { readTrainingLog, readTrainingLogs } from './analyze/read-log.js';
export type { TrainingLog } from './analyze/training-log.js';
export * from './data/dataset.js';
export { BUILTIN_DATASETS, loadDataset } from './data/load-dataset.js';
export {
  type CommandEngineOptions,
  createCommandEngine,
} from './engines/command/command-engine.js';
export type * from './engines/engine.js';
export { createFakeEngine, type FakeEngineOptions } from './engines/fake/fake-engine.js';
export { BatchwiseError, type ErrorCode } from './errors.js';
export * from './find/find-events.js';
export * from './find/find-settings.js';
export * from './find/resolve-config.js';
export { type FindJob, type FindOutcome, runFind } from './find/run-find.js';
export {
  type DatasetLike,
  type FindBatchSizeOptions,
  findBatchSize,
  type TensorLike,
} from './library/find-batch-size.js';
export { DEVICES } from './planner/devices.js';
export * from './planner/from-evidence.js';
export { type Plan, type PlanInput, planBatch, splitGlobalBatch } from './planner/plan.js';
export * from './planner/recommend.js';
export * from './probes/find-probes.js';
export * from './probes/memory-search.js';
export * from './probes/noise-probe.js';
export * from './probes/throughput-probe.js';
export * from './protocol/index.js';
export * from './report/find-report.js';
export * from './report/find-report-schema.js';
export * from './report/markdown-report.js';
export { VERSION } from './version.js';
