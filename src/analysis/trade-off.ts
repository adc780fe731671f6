// Plain-language comparison of two batch plans: how much sooner one reaches the target, and what
// that costs in compute (examples processed, McCandlish et al. 2018 §2.3) and device time.

import { defined } from '../errors.js';
import type { BatchPlan } from './batch-choice.js';

export interface TradeOff {
  /** Wall-clock seconds of the other plan over this plan's (> 1: this one is faster). */
  readonly speedup: number;
  /** Examples processed by this plan over the other's. */
  readonly computeRatio: number;
  readonly deviceSecondsRatio: number;
  readonly sentence: string;
}

function times(ratio: number): string {
  return `${ratio >= 9.95 ? ratio.toFixed(0) : ratio.toFixed(1)}x`;
}

function describePlan(plan: BatchPlan): string {
  const parts = [`batch ${plan.globalBatch}`];
  if (plan.accumulationSteps > 1)
    parts.push(`(${plan.microBatch} x ${plan.accumulationSteps} accumulated)`);
  if (plan.devices > 1) parts.push(`on ${plan.devices} devices`);
  return parts.join(' ');
}

/** "Batch 2048 reaches the target 2.0x faster than batch 256 and costs 1.6x the compute." */
export function describeTradeOff(plan: BatchPlan, other: BatchPlan): TradeOff {
  const speedup = other.seconds / plan.seconds;
  const computeRatio = plan.examples / other.examples;
  const deviceSecondsRatio = plan.deviceSeconds / other.deviceSeconds;
  const near = (r: number) => Math.abs(r - 1) < 0.05;
  const a = describePlan(plan);
  const b = describePlan(other);
  let speed: string;
  if (near(speedup)) speed = `${a} reaches the target in about the same time as ${b}`;
  else if (speedup > 1) speed = `${a} reaches the target ${times(speedup)} faster than ${b}`;
  else speed = `${a} reaches the target ${times(1 / speedup)} slower than ${b}`;
  let cost: string;
  if (near(computeRatio)) cost = 'for about the same compute';
  else if (computeRatio > 1)
    cost = `and costs ${times(computeRatio)} the compute (examples processed)`;
  else cost = `and needs ${times(1 / computeRatio)} less compute (examples processed)`;
  const deviceTime =
    plan.devices !== other.devices && !near(deviceSecondsRatio)
      ? `, ${times(deviceSecondsRatio)} the device time`
      : '';
  const sentence = `${defined(speed[0], 'speed[0]').toUpperCase()}${speed.slice(1)} ${cost}${deviceTime}.`;
  return { speedup, computeRatio, deviceSecondsRatio, sentence };
}
