// The `batchwise plan` JSON document: the plan with its memory terms in bytes, versioned.

import { MEMORY_TERMS, type MemoryBreakdown } from './memory/training-memory.js';
import type { Plan } from './plan.js';

export const PLAN_SCHEMA_VERSION = 1;

function memoryJson(memory: MemoryBreakdown) {
  return {
    microBatch: memory.microBatch,
    stage: memory.stage,
    terms: Object.fromEntries(MEMORY_TERMS.map((t) => [t, Math.round(memory.terms[t])])),
    totalBytes: Math.round(memory.totalBytes),
  };
}

/** The plan as a JSON-ready object: `memory` at maxMicroBatch, `planMemory` at the plan's micro-batch. */
export function planToJson(plan: Plan) {
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    model: plan.model,
    device: plan.device,
    devices: plan.devices,
    parallel: plan.parallel,
    settings: plan.settings,
    budgetBytes: Math.floor(plan.budgetBytes),
    marginFraction: plan.marginFraction,
    maxMicroBatch: plan.maxMicroBatch,
    memory: memoryJson(plan.memoryAtMax),
    planMemory: memoryJson(plan.memory),
    target: plan.target,
    globalBatch: plan.globalBatch,
    globalBatchTokens: plan.globalBatchTokens ?? null,
    microBatch: plan.microBatch,
    accumulationSteps: plan.accumulationSteps,
    dataParallel: plan.dataParallel,
    learningRate: plan.learningRate,
    learningRateSource: plan.learningRateSource,
    training: plan.training,
    notes: plan.notes,
  };
}
