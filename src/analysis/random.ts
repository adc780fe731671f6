// A small seeded pseudo-random generator, so that every resampling and every synthetic data set
// is reproducible from its seed. mulberry32 (Tommy Ettinger's 32-bit generator): fast, passes
// the usual statistical batteries at the sample sizes batchwise uses; not for cryptography.

export interface Random {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (Box-Muller transform). */
  normal(): number;
  /** Integer uniform in [0, n). */
  integer(n: number): number;
  /** Exponential with rate 1. */
  exponential(): number;
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  let spareNormal: number | undefined;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal() {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      let u = uniform();
      while (u === 0) u = uniform();
      const v = uniform();
      const radius = Math.sqrt(-2 * Math.log(u));
      spareNormal = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    integer(n: number) {
      return Math.floor(uniform() * n);
    },
    exponential() {
      let u = uniform();
      while (u === 0) u = uniform();
      return -Math.log(u);
    },
  };
}
