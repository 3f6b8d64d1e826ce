/**
 * Picks the fastest TensorFlow.js backend that loads here: native `tensorflow` (tfjs-node, an
 * optional dependency that cannot install offline), then `wasm`, then plain `cpu`.
 * Every entry point that uses tfjs calls `initBackend()` once and reports what it returned.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let chosen: BackendName | null = null;

async function tryTfjsNode(): Promise<boolean> {
  try {
    // tfjs-node registers the 'tensorflow' backend on the @tensorflow/tfjs-core it depends on; it
    // only helps when that is the same instance as ours, which npm dedupes in a normal install.
    const require = createRequire(import.meta.url);
    require('@tensorflow/tfjs-node');
    return tf.findBackend('tensorflow') !== null && (await tf.setBackend('tensorflow'));
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/**
 * Initialises tfjs once and returns the backend in use. `preferred` forces one backend (tests and
 * benchmarks compare them); otherwise the order is tensorflow, wasm, cpu. Also honours the
 * KWS_TF_BACKEND environment variable.
 */
export async function initBackend(preferred?: BackendName): Promise<BackendName> {
  const wanted = preferred ?? (process.env.KWS_TF_BACKEND as BackendName | undefined);
  if (chosen !== null && (wanted === undefined || wanted === chosen)) return chosen;
  const order: BackendName[] = wanted ? [wanted] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    const ok = name === 'tensorflow' ? await tryTfjsNode() : name === 'wasm' ? await tryWasm() : await tf.setBackend('cpu');
    if (ok) {
      await tf.ready();
      chosen = name;
      return name;
    }
  }
  throw new Error(`TensorFlow.js backend '${wanted}' could not be initialised`);
}
