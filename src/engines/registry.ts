// The engines `find` can open, by name: each loaded only when chosen (TF.js is not imported for a
// user's command). 'fake' has known answers and is for tests.

import type { Engine } from './engine.js';

export const ENGINE_NAMES = ['tfjs', 'command', 'fake'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** What choosing an engine takes (a subset of the find settings). */
export interface EngineChoice {
  readonly engine: EngineName;
  readonly cmd?: string | undefined;
  readonly shell: boolean;
  readonly timeoutSeconds: number;
  readonly fakeStepDelayMs: number;
}

const LOADERS: Readonly<Record<EngineName, (choice: EngineChoice) => Promise<Engine>>> = {
  async tfjs() {
    const { createTfjsEngine } = await import('./tfjs/tfjs-engine.js');
    return createTfjsEngine();
  },
  async command(choice) {
    const { createCommandEngine } = await import('./command/command-engine.js');
    return createCommandEngine({
      command: choice.cmd ?? '',
      shell: choice.shell,
      timeoutSeconds: choice.timeoutSeconds,
    });
  },
  async fake(choice) {
    const { createFakeEngine } = await import('./fake/fake-engine.js');
    return createFakeEngine(
      choice.fakeStepDelayMs > 0 ? { realDelayMs: choice.fakeStepDelayMs } : {},
    );
  },
};

export function loadEngine(choice: EngineChoice): Promise<Engine> {
  return LOADERS[choice.engine](choice);
}
