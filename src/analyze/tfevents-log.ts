// TensorBoard event files (events.out.tfevents.*) as a training log: scalars grouped by step,
// tags matched to batchwise's fields like CSV columns (`train/loss` matches `loss`), and, when no
// tag holds the step seconds, the seconds taken from the events' wall_time between steps.

import { readFile } from 'node:fs/promises';
import { unreadableFileError } from '../data/dataset.js';
import { BatchwiseError } from '../errors.js';
import { type FieldMapping, resolveFields, type ScalarField } from './field-map.js';
import { stepFromFields } from './step-from-fields.js';
import { type DecodedEvent, decodeEvent } from './tfevents-proto.js';
import { splitTfRecords } from './tfevents-records.js';
import type { LogStep, TrainingLog } from './training-log.js';

interface StepScalars {
  readonly step: number;
  readonly record: number;
  wallTime: number;
  readonly values: Map<string, number>;
}

export async function readTfEventsLog(
  file: string,
  mapping: FieldMapping = {},
): Promise<TrainingLog> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw unreadableFileError(file, error);
  }
  if (bytes.length === 0) throw new BatchwiseError('invalid-data', `${file}: the file is empty`);
  const { records, truncatedRecord } = splitTfRecords(file, bytes);
  const warnings: string[] = [];
  if (truncatedRecord !== undefined)
    warnings.push(
      `${file}: record ${truncatedRecord}: cut short at the end of the file (a writer still running?): ignored`,
    );
  const byStep = new Map<number, StepScalars>();
  const tags = new Set<string>();
  const otherTags = new Set<string>();
  records.forEach((data, i) => {
    let event: DecodedEvent;
    try {
      event = decodeEvent(data);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new BatchwiseError(
        'invalid-data',
        `${file}: record ${i + 1}: not a tensorflow.Event message (${reason})`,
      );
    }
    for (const tag of event.otherTags) otherTags.add(tag);
    if (event.scalars.length === 0) return;
    let entry = byStep.get(event.step);
    if (!entry) {
      entry = { step: event.step, record: i + 1, wallTime: event.wallTime, values: new Map() };
      byStep.set(event.step, entry);
    }
    entry.wallTime = Math.max(entry.wallTime, event.wallTime);
    for (const { tag, value } of event.scalars) {
      tags.add(tag);
      entry.values.set(tag, value);
    }
  });
  if (byStep.size === 0) {
    throw new BatchwiseError(
      'invalid-data',
      `${file}: ${records.length} records but no scalar summaries (nothing to analyse)`,
    );
  }
  const resolved = resolveFields(file, [...tags].sort(), mapping, 'tag');
  if (otherTags.size > 0)
    warnings.push(`${file}: tags that are not scalars, not used: ${[...otherTags].join(', ')}`);
  const entries = [...byStep.values()].sort((a, b) => a.step - b.step);
  const fromWallTime = resolved.scalars.seconds === undefined;
  const steps: LogStep[] = [];
  entries.forEach((entry, i) => {
    const scalars: Partial<Record<ScalarField, number>> = {};
    for (const [field, tag] of Object.entries(resolved.scalars)) {
      const value = entry.values.get(tag);
      if (value !== undefined) scalars[field as ScalarField] = value;
    }
    scalars.step = entry.step;
    const previous = entries[i - 1];
    if (fromWallTime && previous && entry.step > previous.step && entry.wallTime > 0) {
      scalars.seconds = (entry.wallTime - previous.wallTime) / (entry.step - previous.step);
    }
    steps.push(
      stepFromFields(
        { scalars, micro: resolved.micro.map((tag) => entry.values.get(tag)) },
        { file, unit: 'record', index: entry.record },
        i,
        warnings,
      ),
    );
  });
  if (fromWallTime && steps.some((s) => s.seconds !== undefined))
    warnings.push(
      `${file}: no tag holds the step seconds: they come from wall_time between logged steps (including data loading and logging)`,
    );
  return { file, format: 'tfevents', steps, outOfMemoryBatchSizes: [], warnings };
}
