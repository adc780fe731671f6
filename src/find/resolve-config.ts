// The configuration a `find` run measures with, resolved against the opened session: the settings
// as given (defaults filled), the memory budget the engine put in force, and the batch cap clamped
// to the data. This object is what the run store keeps, the report states and the dashboard draws.

import { z } from 'zod';
import type { TrainingSession } from '../engines/engine.js';
import { type FindSettings, findSettingsSchema } from './find-settings.js';

export const resolvedFindConfigSchema = z.object({
  settings: findSettingsSchema,
  /** The budget in force per trial (the engine's default, or the one given, capped). */
  memoryBudgetBytes: z.number().positive(),
  /** Largest batch considered: min(data size, --max-batch). */
  maxBatchSize: z.number().int().positive(),
  datasetSize: z.number().int().nonnegative(),
  /** Where the configuration differs from what was asked, and why. */
  notes: z.array(z.string()),
});

export type ResolvedFindConfig = z.output<typeof resolvedFindConfigSchema>;

export function resolveFindConfig(
  settings: FindSettings,
  session: Pick<TrainingSession, 'memoryBudgetBytes' | 'memoryBudgetNote'> & {
    readonly workload: Pick<TrainingSession['workload'], 'datasetSize'>;
  },
): ResolvedFindConfig {
  const datasetSize = session.workload.datasetSize;
  const notes: string[] = [];
  if (session.memoryBudgetNote !== undefined) notes.push(session.memoryBudgetNote);
  const requestedCap = settings.maxBatchSize ?? datasetSize;
  if (requestedCap > datasetSize) {
    notes.push(
      `--max-batch ${requestedCap} is larger than the data (${datasetSize} examples); using ${datasetSize}`,
    );
  }
  return {
    settings,
    memoryBudgetBytes: session.memoryBudgetBytes,
    maxBatchSize: Math.max(1, Math.min(datasetSize, requestedCap)),
    datasetSize,
    notes,
  };
}
