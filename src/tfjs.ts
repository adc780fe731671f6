// batchwise's TensorFlow.js engine, as its own entry (`batchwise/tfjs`) so that the main entry
// does not load TF.js.

export { createTelemetryCallback, measureGradientSqNorms } from './adapters/tfjs-callback.js';
export type { AdaptiveHistory, AdaptiveStepRecord } from './adaptive/adaptive-history.js';
export { FIT_ADAPTIVE_DEFAULTS, type FitAdaptiveOptions } from './adaptive/adaptive-options.js';
export { fitAdaptive, fitAdaptiveTrainable } from './adaptive/fit-adaptive.js';
export { BACKEND_NAMES, type BackendInfo, selectBackend } from './engines/tfjs/backend.js';
export type { ModelContext, TfjsModel } from './engines/tfjs/model.js';
export { BUILTIN_MODELS, buildModel } from './engines/tfjs/models/build-model.js';
export { saveLayersModelFile } from './engines/tfjs/models/save-layers-model.js';
export { createOptimizer } from './engines/tfjs/optimizers.js';
export { createTfjsEngine } from './engines/tfjs/tfjs-engine.js';
export { TfjsSession } from './engines/tfjs/tfjs-session.js';
