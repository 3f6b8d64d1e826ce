/**
 * Proves an end-to-end model computes what the reference path computes: on the same waveforms,
 * `Meyda.extract`-based features (features/extractor.ts, implementation 'meyda') fed to the plain
 * classifier in onnxruntime, against the end-to-end graph in onnxruntime. Reports the largest
 * probability / logit difference and the features' relative error (max |e2e - meyda| over a clip
 * divided by max(1, max |meyda|), the measure of the front-end parity tests).
 */
import * as ort from 'onnxruntime-node';
import { extractFeatures } from '../../features/extractor.js';
import { mfccMeyda } from '../../features/mfcc-meyda.js';
import type { FeatureConfig } from '../../features/types.js';
import { SeededRandom } from '../../util/random.js';
import { INPUT_NAME, LOGITS_NAME, PROBABILITIES_NAME } from './export.js';
import { FEATURES_OUTPUT_NAME, MFCC_OUTPUT_NAME, WAVEFORM_INPUT_NAME } from './end-to-end.js';
import { readOnnxManifest } from './metadata.js';

export interface EndToEndVerification {
  clips: number;
  maxAbsDiffProbabilities: number;
  maxAbsDiffLogits: number;
  /** Largest per-clip relative error of the `features` output against the Meyda-based features. */
  featuresRelativeError: number;
  /** Same for the raw MFCCs, when the graph has the debug `mfcc` output; else null. */
  mfccRelativeError: number | null;
  /** Clips whose top label differs between the two paths. */
  labelDisagreements: number;
}

function pack(clips: readonly Float32Array[], size: number): Float32Array {
  const out = new Float32Array(clips.length * size);
  clips.forEach((c, i) => {
    if (c.length !== size) throw new RangeError(`verify: clip ${i} has ${c.length} values, expected ${size}`);
    out.set(c, i * size);
  });
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`verify: lengths differ (${a.length} vs ${b.length})`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Number.isNaN(d) ? Infinity : Math.max(max, d);
  }
  return max;
}

/** max over clips of max|a - b| / max(1, max|b|), clips of `size` values. */
export function relativeError(a: Float32Array, b: Float32Array, size: number): number {
  let worst = 0;
  for (let start = 0; start < b.length; start += size) {
    const d = maxDiff(a.subarray(start, start + size), b.subarray(start, start + size));
    let scale = 1;
    for (let i = start; i < start + size; i++) scale = Math.max(scale, Math.abs(b[i]!));
    worst = Math.max(worst, d / scale);
  }
  return worst;
}

function argmaxRows(p: Float32Array, classes: number): number[] {
  const out: number[] = [];
  for (let start = 0; start < p.length; start += classes) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p[start + c]! > p[start + best]!) best = c;
    out.push(best);
  }
  return out;
}

/** Waveforms to check on without data: voiced tones with harmonics, noise, a chirp, silence. */
export function parityWaveforms(count: number, samples: number, seed: number): Float32Array[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, (_, c) => {
    const out = new Float32Array(samples);
    if (c % 5 === 4) return out;
    const f0 = 90 + 200 * rng.next();
    const gain = 0.02 + 0.5 * rng.next();
    const noise = 0.002 + 0.05 * rng.next() * (c % 2);
    for (let i = 0; i < samples; i++) {
      const t = i / 16000;
      const envelope = Math.sin((Math.PI * i) / samples) ** 2;
      let v = 0;
      if (c % 5 === 3) v = Math.sin(2 * Math.PI * (200 + 3000 * t) * t);
      else for (let h = 1; h * f0 < 5000; h++) v += Math.sin(2 * Math.PI * f0 * h * t * (1 + 0.1 * t) + h) / h;
      out[i] = gain * envelope * v + noise * (2 * rng.next() - 1);
    }
    return out;
  });
}

/**
 * Runs both paths on `clips` (each exactly the model window). `reference` 'meyda' is the
 * definition (slow: Meyda frame by frame); 'fast' uses FastMfcc, equal to it within tests.
 */
export async function verifyEndToEnd(
  e2eBytes: Uint8Array,
  classifierBytes: Uint8Array,
  clips: readonly Float32Array[],
  reference: 'meyda' | 'fast' = 'meyda',
): Promise<EndToEndVerification> {
  if (clips.length === 0) throw new RangeError('verify: no clips given');
  const manifest = readOnnxManifest(classifierBytes, 'classifier model');
  const config: FeatureConfig = manifest.features;
  const { inputFrames: T, inputDim: F, numClasses: C } = manifest.architecture;
  const S = config.clipLengthSamples;
  const features = clips.map((clip) => extractFeatures(clip, config, { implementation: reference }).data);
  const plain = await ort.InferenceSession.create(classifierBytes);
  const e2e = await ort.InferenceSession.create(e2eBytes);
  try {
    const ref = await plain.run({ [INPUT_NAME]: new ort.Tensor('float32', pack(features, T * F), [clips.length, T, F]) });
    const outputs = [LOGITS_NAME, PROBABILITIES_NAME, FEATURES_OUTPUT_NAME];
    const hasMfcc = e2e.outputNames.includes(MFCC_OUTPUT_NAME);
    if (hasMfcc) outputs.push(MFCC_OUTPUT_NAME);
    const got = await e2e.run({ [WAVEFORM_INPUT_NAME]: new ort.Tensor('float32', pack(clips, S), [clips.length, S]) }, outputs);
    const data = (name: string, from: ort.InferenceSession.OnnxValueMapType): Float32Array => from[name]!.data as Float32Array;
    let mfccRelativeError: number | null = null;
    if (hasMfcc) {
      const K = config.mfccCoefficients;
      const meyda = pack(clips.map((clip) => mfccMeyda(clip, config).data), T * K);
      mfccRelativeError = relativeError(data(MFCC_OUTPUT_NAME, got), meyda, T * K);
    }
    const refLabels = argmaxRows(data(PROBABILITIES_NAME, ref), C);
    const gotLabels = argmaxRows(data(PROBABILITIES_NAME, got), C);
    return {
      clips: clips.length,
      maxAbsDiffProbabilities: maxDiff(data(PROBABILITIES_NAME, got), data(PROBABILITIES_NAME, ref)),
      maxAbsDiffLogits: maxDiff(data(LOGITS_NAME, got), data(LOGITS_NAME, ref)),
      featuresRelativeError: relativeError(data(FEATURES_OUTPUT_NAME, got), pack(features, T * F), T * F),
      mfccRelativeError,
      labelDisagreements: refLabels.filter((l, i) => l !== gotLabels[i]).length,
    };
  } finally {
    await plain.release();
    await e2e.release();
  }
}
