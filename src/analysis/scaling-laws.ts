// Published scaling-law priors for the batch size of language models, for planning before
// anything is measured. Batches are in tokens; losses in nats per token.

import { requirePositive } from '../errors.js';

/**
 * Kaplan et al. 2020, "Scaling Laws for Neural Language Models": Eq. 5.3 prints B_* ≈ 2e8 tokens;
 * the fit drawn in Fig. 10 is 2.1e8 tokens · L^-4.8, used here.
 */
export const KAPLAN_B_STAR_TOKENS = 2.1e8;
/** Kaplan et al. 2020, Eq. 5.3: alpha_B ≈ 0.21. */
export const KAPLAN_ALPHA_B = 0.21;

/**
 * Critical batch size in tokens at loss L (nats): B_crit(L) = B_* / L^(1/alpha_B)
 * (Kaplan et al. 2020, Eq. 5.3). It doubles for about every 13% drop of the loss (Fig. 10).
 */
export function kaplanCriticalBatchTokens(lossNats: number): number {
  requirePositive('lossNats', lossNats);
  return KAPLAN_B_STAR_TOKENS / lossNats ** (1 / KAPLAN_ALPHA_B);
}

/**
 * Optimal batch in tokens at compute budget C (FLOPs, C = M·D with M the non-embedding FLOPs
 * per token): B_opt = 0.2920 · C^0.3271 (DeepSeek LLM, Bi et al. 2024, §3.1, Eq. 1).
 */
export function deepseekOptimalBatchTokens(computeFlops: number): number {
  requirePositive('computeFlops', computeFlops);
  return 0.292 * computeFlops ** 0.3271;
}

/** Optimal peak learning rate: eta_opt = 0.3118 · C^−0.1250 (DeepSeek LLM, Bi et al. 2024, §3.1, Eq. 1). */
export function deepseekOptimalLearningRate(computeFlops: number): number {
  requirePositive('computeFlops', computeFlops);
  return 0.3118 * computeFlops ** -0.125;
}

/** Training compute C ≈ 6 N D FLOPs for N parameters and D tokens (Kaplan et al. 2020, §2.1). */
export function trainingFlops(parameters: number, tokens: number): number {
  requirePositive('parameters', parameters);
  requirePositive('tokens', tokens);
  return 6 * parameters * tokens;
}
