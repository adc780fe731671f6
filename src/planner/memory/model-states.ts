// Bytes per parameter of the model states — weights, fp32 master weights, gradients and optimizer
// states — by precision and optimizer, and how ZeRO shards them over data-parallel ranks.
// Mixed precision follows the ZeRO paper's accounting (Rajbhandari et al. 2020, §3.1): 16-bit
// weights 2Ψ and gradients 2Ψ, plus K·Ψ of optimizer state with K = 12 for Adam (fp32 master
// weights 4Ψ, momentum 4Ψ, variance 4Ψ). PyTorch autocast keeps fp32 weights and gradients
// instead (4Ψ + 4Ψ + 8Ψ): the same 16 bytes per parameter for Adam, plus transient 16-bit copies.

import type { OptimizerKind } from '../../analysis/learning-rate.js';
import type { Precision } from '../devices.js';

export type OptimizerStateBits = 32 | 8;
export type ZeroStage = 0 | 1 | 2 | 3;

/** Optimizer state slots per parameter: SGD none, momentum one buffer, Adam/AdamW m and v. */
export function optimizerSlots(optimizer: OptimizerKind): number {
  return optimizer === 'sgd' ? 0 : optimizer === 'momentum' ? 1 : 2;
}

/**
 * Bytes per slot and parameter: 4 in fp32; 1 with 8-bit block-wise states plus one fp32 absmax
 * per block of 2,048 values (Dettmers et al. 2022, "8-bit Optimizers via Block-wise
 * Quantization", §2).
 */
export function bytesPerSlot(bits: OptimizerStateBits): number {
  return bits === 32 ? 4 : 1 + 4 / 2048;
}

export interface ModelStateBytesPerParameter {
  readonly weights: number;
  /** fp32 master copy kept by mixed precision (0 in fp32 training). */
  readonly masterWeights: number;
  readonly gradients: number;
  readonly optimizerStates: number;
}

export function modelStateBytesPerParameter(
  precision: Precision,
  optimizer: OptimizerKind,
  bits: OptimizerStateBits,
): ModelStateBytesPerParameter {
  const mixed = precision !== 'fp32';
  return {
    weights: mixed ? 2 : 4,
    masterWeights: mixed ? 4 : 0,
    gradients: mixed ? 2 : 4,
    optimizerStates: optimizerSlots(optimizer) * bytesPerSlot(bits),
  };
}

/**
 * Divisors of each model state under ZeRO (Rajbhandari et al. 2020, §5, Fig. 1): stage 1 shards
 * the optimizer states (with the master weights, which the optimizer owns) over the N_d
 * data-parallel ranks, stage 2 also the gradients, stage 3 also the 16-bit parameters.
 */
export function zeroDivisors(
  stage: ZeroStage,
  dataParallel: number,
): { weights: number; masterWeights: number; gradients: number; optimizerStates: number } {
  return {
    optimizerStates: stage >= 1 ? dataParallel : 1,
    masterWeights: stage >= 1 ? dataParallel : 1,
    gradients: stage >= 2 ? dataParallel : 1,
    weights: stage >= 3 ? dataParallel : 1,
  };
}
