// Writes test/adaptive/controller-golden.json from the TS controller (run once; the test checks
// that the controller still reproduces it, and the Python port reads it).
// Run: npx tsx test/adaptive/make-controller-golden.ts

import { writeFileSync } from 'node:fs';
import { GOLDEN_FORMAT } from './controller-golden-format.js';
import { GOLDEN_OPTIONS, generateGolden } from './controller-golden-steps.js';

const { steps, controller } = generateGolden();
const golden = {
  format: GOLDEN_FORMAT,
  options: GOLDEN_OPTIONS,
  steps,
  expected: controller.changes.map((c) => ({
    afterStep: c.step,
    examples: c.examples,
    fromBatch: c.fromBatch,
    toBatch: c.toBatch,
    fromLr: c.fromLr,
    toLr: c.toLr,
    bNoise: c.bNoise,
    targetBatch: c.targetBatch,
  })),
};
const path = new URL('./controller-golden.json', import.meta.url);
writeFileSync(path, `${JSON.stringify(golden, null, 1)}\n`);
console.log(`wrote ${path.pathname}: ${steps.length} steps, ${golden.expected.length} changes`);
