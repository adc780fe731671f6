// The plan that goes with the recommended batch, as label/value rows: the Markdown and HTML
// reports show the same rows.

import type { FindReport } from './find-report-schema.js';
import { formatNumber } from './format.js';

type Recommendation = NonNullable<FindReport['recommendation']>;

export function planRows(r: Recommendation): [string, string][] {
  return [
    ['batch size', `${r.batchSize} (${r.regime}; exact optimum ${formatNumber(r.exactBatchSize)})`],
    [
      'learning rate',
      `${formatNumber(r.learningRate)} (${r.learningRateRule} rule: ${r.learningRateSource})`,
    ],
    ['warmup', r.warmup ? `${r.warmup.steps} steps — ${r.warmup.reason}` : 'none needed'],
    ['steps per epoch', String(r.stepsPerEpoch)],
    [
      'steps to target',
      r.stepsToTarget !== undefined && r.stepsToTarget !== null
        ? `${r.stepsToTarget} (${formatNumber(r.epochsToTarget)} epochs)`
        : (r.targetNote ?? '– (no --target-loss)'),
    ],
    [
      'split',
      `micro-batch ${r.microBatch} × ${r.accumulationSteps} accumulation × ${r.devices} device(s)`,
    ],
  ];
}
