// The names a distributed sweep uses in Redis: one BullMQ queue of trials shared by every sweep,
// and per sweep an event stream (what its trials report, read back by the coordinator) and a
// cancel flag (set when the coordinator is interrupted).

/** The BullMQ queue every batchwise worker takes trials from. */
export const QUEUE_NAME = 'batchwise-trials';

/** A sweep's events and flags outlive it by this long (then Redis drops them). */
export const SWEEP_KEYS_TTL_SECONDS = 7 * 24 * 3600;

/** The stream a sweep's trial events are appended to (XADD), in the order they happened. */
export function eventStreamKey(sweep: string): string {
  return `batchwise:sweep:${sweep}:events`;
}

/** Set while the sweep's coordinator stops its trials (Ctrl-C). */
export function cancelKey(sweep: string): string {
  return `batchwise:sweep:${sweep}:cancel`;
}

/** The job of one trial: stable, so a resumed coordinator finds the jobs it queued. */
export function trialJobId(sweep: string, trialId: string): string {
  return `${sweep}.${trialId}`;
}
