// Choosing the TF.js backend: tfjs-node (or tfjs-node-gpu) when the user has installed it,
// WebGPU (the `webgpu` package's Dawn, through Vulkan) when an adapter exists, else wasm with
// batchwise's gradient kernels, else cpu. `--backend` overrides. The optional packages are not
// dependencies of batchwise: they are imported only when present.

import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { BatchwiseError } from '../../errors.js';
import { installChainedOps } from './chained-ops.js';

export const BACKEND_NAMES = ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  /** The TF.js backend name in use: 'wasm', 'cpu', 'webgpu' or 'tensorflow'. */
  readonly name: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

const require = createRequire(import.meta.url);

function isInstalled(moduleName: string): boolean {
  try {
    require.resolve(moduleName);
    return true;
  } catch {
    return false;
  }
}

async function importOptional(moduleName: string): Promise<unknown> {
  return import(moduleName);
}

async function activate(name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function tryTensorflow(): Promise<BackendInfo | undefined> {
  for (const moduleName of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if (!isInstalled(moduleName)) continue;
    await importOptional(moduleName);
    if (await activate('tensorflow'))
      return { name: 'tensorflow', details: { package: moduleName } };
  }
  return undefined;
}

async function tryWebgpu(): Promise<BackendInfo | undefined> {
  if (!isInstalled('webgpu') || !isInstalled('@tensorflow/tfjs-backend-webgpu')) return undefined;
  const globals = globalThis as { navigator?: { gpu?: unknown } };
  if (!globals.navigator?.gpu) {
    // The navigator must exist before the WebGPU backend is evaluated, or it does not register.
    const dawn = (await importOptional('webgpu')) as {
      create(flags: string[]): unknown;
      globals?: object;
    };
    if (dawn.globals) Object.assign(globalThis, dawn.globals);
    Object.defineProperty(globalThis, 'navigator', {
      value: { ...(globals.navigator ?? {}), gpu: dawn.create([]) },
      configurable: true,
      writable: true,
    });
  }
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } })
    .navigator?.gpu;
  const adapter = await gpu?.requestAdapter().catch(() => undefined);
  if (!adapter) return undefined;
  await importOptional('@tensorflow/tfjs-backend-webgpu');
  if (!(await activate('webgpu'))) return undefined;
  return { name: 'webgpu', details: {} };
}

async function tryWasm(): Promise<BackendInfo | undefined> {
  await import('@tensorflow/tfjs-backend-wasm');
  const { registerWasmGradientKernels } = await import('./wasm-kernels/index.js');
  const registered = registerWasmGradientKernels();
  if (!(await activate('wasm'))) return undefined;
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { name: 'wasm', details: { simd, gradientKernelsAdded: registered.length } };
}

async function tryCpu(): Promise<BackendInfo | undefined> {
  await import('@tensorflow/tfjs-backend-cpu');
  return (await activate('cpu')) ? { name: 'cpu', details: {} } : undefined;
}

const ATTEMPTS: Readonly<
  Record<Exclude<BackendName, 'auto'>, () => Promise<BackendInfo | undefined>>
> = {
  tensorflow: tryTensorflow,
  webgpu: tryWebgpu,
  wasm: tryWasm,
  cpu: tryCpu,
};

const WHY_NOT: Readonly<Record<Exclude<BackendName, 'auto'>, string>> = {
  tensorflow: 'install @tensorflow/tfjs-node (or -gpu) 4.22 to use it',
  webgpu:
    'it needs the `webgpu` and `@tensorflow/tfjs-backend-webgpu` packages and a GPU adapter (Vulkan)',
  wasm: 'the wasm backend failed to start',
  cpu: 'the cpu backend failed to start',
};

/** Activate the requested backend (or the best available for 'auto') and describe it. */
/**
 * tfjs-backend-cpu prints a banner advising tfjs-node on its first use under Node, into the
 * middle of batchwise's output; batchwise chooses backends itself and says which in its reports.
 */
async function silenceCpuBanner(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

export async function selectBackend(requested: string = 'auto'): Promise<BackendInfo> {
  installChainedOps();
  await silenceCpuBanner();
  if (!(BACKEND_NAMES as readonly string[]).includes(requested)) {
    throw new BatchwiseError(
      'invalid-option',
      `unknown backend "${requested}": use one of ${BACKEND_NAMES.join(', ')}`,
    );
  }
  if (requested !== 'auto') {
    const name = requested as Exclude<BackendName, 'auto'>;
    const info = await ATTEMPTS[name]();
    if (!info)
      throw new BatchwiseError(
        'invalid-option',
        `backend "${name}" is not available: ${WHY_NOT[name]}`,
      );
    return info;
  }
  for (const name of ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const) {
    const info = await ATTEMPTS[name]().catch(() => undefined);
    if (info) return info;
  }
  throw new BatchwiseError('invalid-option', 'no TF.js backend could be started');
}
