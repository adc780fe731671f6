// The built-in TensorFlow.js engine: opens a workload (a built-in or Layers model, a built-in or
// file data set) on the best available backend.

import type { Engine, EngineOptions, WorkloadSpec } from '../engine.js';
import { TfjsSession } from './tfjs-session.js';

export function createTfjsEngine(): Engine {
  return {
    name: 'tfjs',
    open: (spec: WorkloadSpec, options?: EngineOptions) => TfjsSession.open(spec, options),
  };
}
