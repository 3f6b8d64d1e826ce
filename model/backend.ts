/**
 * Picks the fastest TensorFlow.js backend that loads here: native `tensorflow` (tfjs-node, an
 * optional dependency that cannot install offline), then `wasm`, then plain `cpu`.
 * Every entry point that uses tfjs calls `initBackend()` once and reports what it returned.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let chosen: BackendName | null = null;
/** Why the native backend is not in use, when it was tried and failed. */
let nativeProblem: string | null = null;

async function tryTfjsNode(): Promise<boolean> {
  try {
    // tfjs-node registers the 'tensorflow' backend on the @tensorflow/tfjs-core it depends on; it
    // only helps when that is the same instance as ours, which npm dedupes in a normal install.
    const require = createRequire(import.meta.url);
    require('@tensorflow/tfjs-node');
    if (tf.findBackend('tensorflow') !== null && (await tf.setBackend('tensorflow'))) return true;
    nativeProblem = '@tensorflow/tfjs-node loaded but registered no backend on this TensorFlow.js (two copies of @tensorflow/tfjs-core)';
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = err instanceof Error ? err.message : String(err);
    nativeProblem =
      code === 'MODULE_NOT_FOUND' && message.includes("'@tensorflow/tfjs-node'")
        ? 'the optional @tensorflow/tfjs-node is not installed'
        : `@tensorflow/tfjs-node is installed but its native library is not (its install script downloads libtensorflow; run \`npm rebuild @tensorflow/tfjs-node\` with network access)`;
    return false;
  }
}

/**
 * One line for logs: the backend in use and, when it is not the native one because tfjs-node is
 * missing, what installing it would bring.
 */
export function describeBackend(name: BackendName): string {
  if (name === 'tensorflow' || nativeProblem === null) return `TensorFlow.js backend: ${name}`;
  return `TensorFlow.js backend: ${name} (${nativeProblem}; with it, training runs on native, multi-threaded TensorFlow instead)`;
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
