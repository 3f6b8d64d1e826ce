/**
 * Proves an exported model computes what the weights say: runs the ONNX bytes in onnxruntime-node,
 * the plain-TypeScript reference, and (when available) the tfjs BiLstmClassifier on the same clips,
 * and measures the largest disagreement. Also runs the official onnx checker through Python.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { referenceForward } from '../reference-lstm.js';
import type { ModelWeights } from '../types.js';
import { INPUT_NAME, LOGITS_NAME, PROBABILITIES_NAME } from './export.js';
import { readOnnxManifest } from './metadata.js';

export interface ClassifierOutputs {
  /** [clips * classes] row-major. */
  logits: Float32Array;
  probabilities: Float32Array;
}

export interface OnnxVerification {
  /** Largest |difference| over logits and probabilities of all clips. */
  maxAbsDiffOrtVsReference: number;
  /** Same against tfjs; null when model/network.ts or a tfjs backend is not available. */
  maxAbsDiffOrtVsTfjs: number | null;
  clips: number;
}

function packClips(clips: Float32Array[], clipLength: number): Float32Array {
  const batch = new Float32Array(clips.length * clipLength);
  clips.forEach((clip, b) => {
    if (clip.length !== clipLength) {
      throw new RangeError(`verify: clip ${b} has ${clip.length} values, expected ${clipLength} (frames * inputDim)`);
    }
    batch.set(clip, b * clipLength);
  });
  return batch;
}

/** Runs the ONNX model on all clips as one batch. */
export async function runOnnx(onnxBytes: Uint8Array, w: ModelWeights, clips: Float32Array[]): Promise<ClassifierOutputs> {
  const { inputFrames, inputDim } = w.architecture;
  const session = await ort.InferenceSession.create(onnxBytes);
  try {
    const input = new ort.Tensor('float32', packClips(clips, inputFrames * inputDim), [clips.length, inputFrames, inputDim]);
    const out = await session.run({ [INPUT_NAME]: input });
    return {
      logits: out[LOGITS_NAME]!.data as Float32Array,
      probabilities: out[PROBABILITIES_NAME]!.data as Float32Array,
    };
  } finally {
    await session.release();
  }
}

/** The plain-TypeScript reference on each clip, concatenated like a batch. */
export function runReference(w: ModelWeights, clips: Float32Array[], temperature = 1): ClassifierOutputs {
  const C = w.architecture.numClasses;
  const logits = new Float32Array(clips.length * C);
  const probabilities = new Float32Array(clips.length * C);
  clips.forEach((clip, b) => {
    const r = referenceForward(w, clip, temperature);
    logits.set(r.logits, b * C);
    probabilities.set(r.probabilities, b * C);
  });
  return { logits, probabilities };
}

interface NetworkModule {
  BiLstmClassifier: {
    fromWeights(w: ModelWeights): { logits(x: unknown, training: boolean): unknown; dispose?(): void };
  };
}

/**
 * The tfjs BiLstmClassifier (model/network.ts) on all clips, or null when that module or a tfjs
 * backend is not available.
 */
export async function runTfjsClassifier(w: ModelWeights, clips: Float32Array[], temperature = 1): Promise<ClassifierOutputs | null> {
  let network: NetworkModule;
  try {
    const networkPath = '../network.js'; // a variable, so the build does not depend on that module
    network = (await import(networkPath)) as NetworkModule;
  } catch (err) {
    // Only a missing module means "no tfjs network"; a broken one must not pass silently.
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('network.js')) return null;
    throw err;
  }
  const tf = await import('@tensorflow/tfjs');
  try {
    const { initBackend } = await import('../backend.js');
    await initBackend();
  } catch {
    return null;
  }
  const { inputFrames, inputDim } = w.architecture;
  const classifier = network.BiLstmClassifier.fromWeights(w);
  try {
    return tf.tidy(() => {
      const x = tf.tensor3d(packClips(clips, inputFrames * inputDim), [clips.length, inputFrames, inputDim]);
      const logits = classifier.logits(x, false) as import('@tensorflow/tfjs').Tensor2D;
      const probabilities = tf.softmax(tf.div(logits, temperature));
      return { logits: logits.dataSync() as Float32Array, probabilities: probabilities.dataSync() as Float32Array };
    });
  } finally {
    classifier.dispose?.();
  }
}

/** Largest |a - b| over logits and probabilities. */
export function maxAbsDiff(a: ClassifierOutputs, b: ClassifierOutputs): number {
  let max = 0;
  for (const key of ['logits', 'probabilities'] as const) {
    const x = a[key];
    const y = b[key];
    if (x.length !== y.length) throw new RangeError(`verify: ${key} lengths differ (${x.length} vs ${y.length})`);
    for (let k = 0; k < x.length; k++) {
      const d = Math.abs(x[k]! - y[k]!);
      // NaN must never pass as agreement.
      max = Number.isNaN(d) ? Infinity : Math.max(max, d);
    }
  }
  return max;
}

/**
 * Runs the exported model, the reference and tfjs on `clips` (each [T*F]) and reports the largest
 * differences. The softmax temperature is read from the model's own manifest.
 */
export async function verifyOnnxExport(onnxBytes: Uint8Array, w: ModelWeights, clips: Float32Array[]): Promise<OnnxVerification> {
  if (clips.length === 0) throw new RangeError('verify: no clips given');
  const { temperature } = readOnnxManifest(onnxBytes, 'exported model');
  const ortOut = await runOnnx(onnxBytes, w, clips);
  const reference = runReference(w, clips, temperature);
  const tfjs = await runTfjsClassifier(w, clips, temperature);
  return {
    maxAbsDiffOrtVsReference: maxAbsDiff(ortOut, reference),
    maxAbsDiffOrtVsTfjs: tfjs === null ? null : maxAbsDiff(ortOut, tfjs),
    clips: clips.length,
  };
}

export const PYTHON_FOR_ONNX_CHECKER = '/usr/bin/python3';
const CHECKER_SCRIPT = 'import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)';

/**
 * Runs `onnx.checker.check_model(full_check=True)` with Debian's python3-onnx. `skipped` says why
 * when that Python or its onnx module is not installed.
 */
export function checkOnnxWithPython(path: string): { ok: boolean; skipped?: string; error?: string } {
  if (!existsSync(PYTHON_FOR_ONNX_CHECKER)) return { ok: false, skipped: `${PYTHON_FOR_ONNX_CHECKER} not found` };
  const probe = spawnSync(PYTHON_FOR_ONNX_CHECKER, ['-c', 'import onnx'], { encoding: 'utf8' });
  if (probe.status !== 0) return { ok: false, skipped: `python module onnx not importable by ${PYTHON_FOR_ONNX_CHECKER}` };
  const run = spawnSync(PYTHON_FOR_ONNX_CHECKER, ['-c', CHECKER_SCRIPT, path], { encoding: 'utf8' });
  if (run.status === 0) return { ok: true };
  const lines = `${run.stderr ?? ''}${run.error ? run.error.message : ''}`.trim().split('\n');
  return { ok: false, error: `${path}: ${lines.slice(-3).join(' | ')}` };
}
