// batchwise's library entry: named re-exports only.

export * from './analysis/batch-choice.js';
export * from './analysis/distributions.js';
export * from './analysis/gradient-norms.js';
export * from './analysis/learning-rate.js';
export * from './analysis/linear-fit.js';
export * from './analysis/memory-model.js';
export * from './analysis/noise-scale.js';
export * from './analysis/random.js';
export * from './analysis/sample-summary.js';
export * from './analysis/scaling-laws.js';
export * from './analysis/smoothing.js';
export * from './analysis/statistics.js';
export * from './analysis/step-time.js';
export * from './analysis/time-to-target.js';
export * from './analysis/trade-off.js';
export * from './analysis/training-plan.js';
export { BatchwiseError, type ErrorCode } from './errors.js';
export { VERSION } from './version.js';
