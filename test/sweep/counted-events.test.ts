// One result per trial however often it ran: the events that count are those of the attempt of
// its first result (or its latest attempt), each once — a worker killed and its trial retried,
// a sweep resumed, events replayed from the queue.

import { describe, expect, it } from 'vitest';
import { countedEvents, finishedTrials } from '../../src/sweep/sweep-config.js';
import type { TrialEvent } from '../../src/sweep/trial-events.js';

const start = (attempt?: string): TrialEvent => ({
  type: 'trial-start',
  id: 't',
  ...(attempt ? { attempt } : {}),
  batchSize: 8,
  learningRate: 0.1,
  seed: 1,
  datasetSize: 100,
});
const evalAt = (step: number, attempt?: string): TrialEvent => ({
  type: 'eval',
  id: 't',
  ...(attempt ? { attempt } : {}),
  step,
  examples: step * 8,
  seconds: step / 100,
  trainLoss: 1 / step,
});
const end = (outcome: 'reached' | 'aborted', steps: number, attempt?: string): TrialEvent => ({
  type: 'trial-end',
  id: 't',
  ...(attempt ? { attempt } : {}),
  outcome,
  steps,
  examples: steps * 8,
  seconds: steps / 100,
});

describe('counted events', () => {
  it('keep the attempt that reached a result and drop a killed attempt interleaved with it', () => {
    const events = [start('1@a'), evalAt(10, '1@a'), start('2@b'), evalAt(20, '1@a')];
    events.push(evalAt(10, '2@b'), end('reached', 30, '2@b'), evalAt(30, '1@a'));
    const counted = countedEvents(events);
    expect(counted.map((e) => e.attempt)).toEqual(['2@b', '2@b', '2@b']);
    expect(finishedTrials(counted).get('t')?.steps).toBe(30);
  });

  it('take the first result when two attempts both end (a stale worker), and skip replays', () => {
    const events = [start('1@a'), end('reached', 5, '1@a'), start('1@a'), end('reached', 5, '1@a')];
    events.push(start('2@b'), end('reached', 9, '2@b'));
    const counted = countedEvents(events);
    expect(counted).toHaveLength(2);
    expect(counted.at(-1)).toMatchObject({ type: 'trial-end', steps: 5, attempt: '1@a' });
  });

  it('tell untagged attempts (older runs) apart by their trial-starts', () => {
    const events = [start(), evalAt(10), end('aborted', 12), start(), evalAt(10), evalAt(20)];
    events.push(end('reached', 25));
    const counted = countedEvents(events);
    expect(counted.map((e) => e.type)).toEqual(['trial-start', 'eval', 'eval', 'trial-end']);
    expect(
      counted.filter((e) => e.type === 'eval').map((e) => (e as { step: number }).step),
    ).toEqual([10, 20]);
  });

  it('without a result, the latest attempt counts', () => {
    const counted = countedEvents([
      start('a'),
      evalAt(10, 'a'),
      end('aborted', 12, 'a'),
      start('b'),
    ]);
    expect(counted).toEqual([start('b')]);
    expect(finishedTrials(counted).size).toBe(0);
  });
});
