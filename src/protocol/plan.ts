// Plans, an optional extension of the telemetry protocol (docs/protocol.md, "Plans", version 1):
// instead of one run of the command per trial, batchwise appends work items, one JSON line each,
// to a plan file ({plan}, $BATCHWISE_PLAN) and the script runs them one after another in one
// process: its steps carry the item's id, and an `item-end` (or an `oom` with the item) ends each.
// A stop line ends the plan. A script announces support with `"protocol": {"plan": 1}` in its
// start event, or the template names {plan}.

export const PLAN_PROTOCOL_VERSION = 1;

/** Which part of `find` an item belongs to (for the script's logs; it runs them all alike). */
export type PlanPhase = 'open' | 'memory' | 'throughput' | 'noise' | 'norms';

/** One work item: run `steps` optimizer steps of `batchSize` examples. */
export interface PlanItem {
  readonly v: 1;
  /** Unique within the plan file, increasing; steps, item-end and oom events give it back. */
  readonly id: number;
  readonly phase: PlanPhase;
  /** Examples per optimizer step (global): microBatchSize × accumulation. */
  readonly batchSize: number;
  readonly steps: number;
  readonly microBatchSize: number;
  readonly accumulation: number;
}

/** The last line of a plan: write `end` and exit 0. */
export interface PlanStop {
  readonly v: 1;
  readonly stop: true;
}

export type PlanLine = PlanItem | PlanStop;

/** The line to append to the plan file for an item (or the stop line), newline included. */
export function planLine(line: PlanLine): string {
  return `${JSON.stringify(line)}\n`;
}

/** Reads one plan line (what a script does); undefined for a blank one; throws on a bad one. */
export function parsePlanLine(text: string): PlanLine | undefined {
  if (text.trim() === '') return undefined;
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (raw.v !== PLAN_PROTOCOL_VERSION) throw new Error(`plan version ${String(raw.v)} is not 1`);
  if (raw.stop === true) return { v: 1, stop: true };
  for (const key of ['id', 'batchSize', 'steps', 'microBatchSize', 'accumulation']) {
    if (!Number.isInteger(raw[key])) throw new Error(`plan item without an integer "${key}"`);
  }
  return raw as unknown as PlanItem;
}
