// The find settings' defaults (src/find/find-settings.ts), shaped as the probes take them, so
// tests call the probes with the defaults the tool itself uses.

import { findSettingsSchema } from '../../src/find/find-settings.js';
import type { MemorySearchOptions } from '../../src/probes/memory-search.js';

export const FIND_DEFAULTS = findSettingsSchema.parse({});

export const MEMORY_SEARCH_DEFAULTS: Pick<
  MemorySearchOptions,
  'strategy' | 'isolateAboveFraction' | 'verifyMarginFraction' | 'maxTrials' | 'tolerance'
> = {
  strategy: FIND_DEFAULTS.memorySearch,
  isolateAboveFraction: FIND_DEFAULTS.isolateAboveFraction,
  verifyMarginFraction: FIND_DEFAULTS.verifyMarginFraction,
  maxTrials: FIND_DEFAULTS.memoryMaxTrials,
  tolerance: FIND_DEFAULTS.memoryTolerance,
};
