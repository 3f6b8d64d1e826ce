/**
 * Models derived from an exported kws classifier: the end-to-end graph (waveform in, front-end
 * inside) and the int8 weight-quantized variant, each checked before it is kept. The end-to-end
 * graph must equal Meyda.extract-based features + the classifier within PARITY_TOLERANCE on
 * probabilities and within 1e-4 relative on features; the int8 model's difference from its float
 * model is measured and printed (its accuracy is what `kws evaluate` measures).
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { writeFileAtomic } from '../util/atomic.js';
import { SeededRandom } from '../util/random.js';
import { composeEndToEnd, isEndToEnd, WAVEFORM_INPUT_NAME } from './onnx/end-to-end.js';
import { INPUT_NAME, ONNX_OPSET_VERSION, PROBABILITIES_NAME } from './onnx/export.js';
import type { SpectrumOp } from './onnx/frontend-graph.js';
import { readOnnxManifest } from './onnx/metadata.js';
import { quantizeWeightsInt8 } from './onnx/quantize.js';
import { checkOnnxWithPython } from './onnx/verify.js';
import { parityWaveforms, verifyEndToEnd } from './onnx/verify-end-to-end.js';

/** Largest probability difference, and relative feature error, that count as "the same model". */
export const END_TO_END_TOLERANCE = 1e-4;

export interface DeriveOptions {
  endToEnd: boolean;
  quantize?: 'int8';
  spectrum?: SpectrumOp;
  /** Generated waveforms the end-to-end parity runs on (Meyda is slow: ~8 ms per clip). */
  parityClips: number;
  /** Real clips (each the model window) checked as well. */
  extraClips?: Float32Array[];
}

export interface DeriveResult {
  ok: boolean;
  bytes: Uint8Array;
  lines: string[];
}

async function probabilities(bytes: Uint8Array, inputName: string, data: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [inputName]: new ort.Tensor('float32', data, dims) }, [PROBABILITIES_NAME]);
    return out[PROBABILITIES_NAME]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Inputs for comparing a quantized model with its float model: waveforms, or N(0,1) features. */
function comparisonInputs(bytes: Uint8Array, waveforms: readonly Float32Array[]): { name: string; data: Float32Array; dims: number[] } {
  const manifest = readOnnxManifest(bytes, 'model');
  if (isEndToEnd(manifest)) {
    const S = manifest.features.clipLengthSamples;
    const data = new Float32Array(waveforms.length * S);
    waveforms.forEach((w, i) => data.set(w, i * S));
    return { name: WAVEFORM_INPUT_NAME, data, dims: [waveforms.length, S] };
  }
  const { inputFrames: T, inputDim: F } = manifest.architecture;
  const rng = new SeededRandom(11);
  const data = Float32Array.from({ length: waveforms.length * T * F }, () => rng.normal());
  return { name: INPUT_NAME, data, dims: [waveforms.length, T, F] };
}

function topLabels(p: Float32Array, classes: number): number[] {
  return Array.from({ length: p.length / classes }, (_, i) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p[i * classes + c]! > p[i * classes + best]!) best = c;
    return best;
  });
}

/** Builds the requested variant of `classifierBytes` (a plain kws model) and checks it. */
export async function deriveModel(classifierBytes: Uint8Array, options: DeriveOptions): Promise<DeriveResult> {
  const manifest = readOnnxManifest(classifierBytes, 'model');
  const lines: string[] = [];
  const waveforms = [...(options.extraClips ?? []), ...parityWaveforms(Math.max(1, options.parityClips), manifest.features.clipLengthSamples, 5)];
  let bytes = classifierBytes;
  if (options.endToEnd) {
    bytes = composeEndToEnd(classifierBytes, { spectrum: options.spectrum });
    const v = await verifyEndToEnd(bytes, classifierBytes, waveforms, 'meyda');
    lines.push(
      `end-to-end parity over ${v.clips} clips (Meyda.extract features + the classifier vs the end-to-end graph, both in onnxruntime): ` +
        `max |probability difference| ${v.maxAbsDiffProbabilities.toExponential(2)}, features relative error ${v.featuresRelativeError.toExponential(2)} ` +
        `(tolerance ${END_TO_END_TOLERANCE}), ${v.labelDisagreements} label disagreements`,
    );
    if (!(v.maxAbsDiffProbabilities <= END_TO_END_TOLERANCE && v.featuresRelativeError <= END_TO_END_TOLERANCE)) {
      lines.push('the end-to-end graph failed the parity check');
      return { ok: false, bytes, lines };
    }
  }
  if (options.quantize === 'int8') {
    const float = bytes;
    bytes = quantizeWeightsInt8(float);
    const input = comparisonInputs(float, waveforms);
    const [a, b] = [await probabilities(float, input.name, input.data, input.dims), await probabilities(bytes, input.name, input.data, input.dims)];
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
    const C = manifest.labels.length;
    const [la, lb] = [topLabels(a, C), topLabels(b, C)];
    const same = la.filter((l, i) => l === lb[i]).length;
    lines.push(`int8 weights: ${(float.length / 1024).toFixed(0)} KiB -> ${(bytes.length / 1024).toFixed(0)} KiB; against the float model on ${la.length} inputs: max |probability difference| ${max.toExponential(2)}, same top label on ${same}`);
  }
  return { ok: true, bytes, lines };
}

/** Writes `bytes` atomically and runs the onnx checker on the file. */
export async function writeCheckedModel(bytes: Uint8Array, outPath: string, lines: string[]): Promise<boolean> {
  await writeFileAtomic(outPath, bytes);
  const manifest = readOnnxManifest(bytes, outPath);
  const input = manifest.graphInput ? `input ${manifest.graphInput.name} [batch,${manifest.graphInput.samples}] at ${manifest.graphInput.sampleRateHz} Hz` : 'input features';
  lines.push(`wrote ${outPath} (${(bytes.length / 1024).toFixed(0)} KiB, opset ${ONNX_OPSET_VERSION}, ${input}${manifest.quantization ? ', int8 weights' : ''}, labels ${manifest.labels.join(' ')})`);
  const checked = checkOnnxWithPython(outPath);
  lines.push(checked.ok ? 'onnx.checker.check_model(full_check=True): passed' : checked.skipped ? `onnx.checker: skipped (${checked.skipped})` : `onnx.checker: FAILED: ${checked.error}`);
  return checked.ok || checked.skipped !== undefined;
}

/** `kws export --from model.onnx`: the variant of an existing kws ONNX file, checked and written. */
export async function exportFromOnnx(fromPath: string, outPath: string, options: DeriveOptions): Promise<{ ok: boolean; lines: string[] }> {
  const derived = await deriveModel(new Uint8Array(await readFile(fromPath)), options);
  if (!derived.ok) return { ok: false, lines: [...derived.lines, `${outPath} was not written`] };
  const ok = await writeCheckedModel(derived.bytes, outPath, derived.lines);
  return { ok, lines: derived.lines };
}
