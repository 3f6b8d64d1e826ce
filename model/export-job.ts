/**
 * `kws export`: checkpoint -> ONNX file, with the parity proof run every time: the exported graph
 * in onnxruntime, the tfjs network and the plain-TypeScript reference must agree on real and random
 * inputs before the file is kept.
 */
import { SeededRandom } from '../util/random.js';
import type { Checkpoint } from './checkpoint.js';
import { deriveModel, writeCheckedModel, type DeriveOptions } from './export-derived.js';
import { buildOnnxModel } from './onnx/export.js';
import { verifyOnnxExport } from './onnx/verify.js';

/** The largest difference in output probabilities that counts as "the same model". */
export const PARITY_TOLERANCE = 1e-4;

export interface ExportReport {
  ok: boolean;
  lines: string[];
  maxAbsDiffOrtVsTfjs: number | null;
  maxAbsDiffOrtVsReference: number;
}

/** Normal-ish inputs (features are normalised per utterance, so N(0,1) is their range). */
function randomClips(count: number, size: number, seed: number): Float32Array[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () => {
    const clip = new Float32Array(size);
    for (let i = 0; i < size; i++) clip[i] = rng.normal();
    return clip;
  });
}

export async function exportCheckpointToOnnx(
  checkpoint: Checkpoint,
  outPath: string,
  options: { parityClips: number; extraClips?: Float32Array[]; derive?: Omit<DeriveOptions, 'parityClips'> },
): Promise<ExportReport> {
  const { manifest, weights } = checkpoint;
  let bytes = buildOnnxModel(weights, manifest);
  const size = manifest.architecture.inputFrames * manifest.architecture.inputDim;
  const clips = [...(options.extraClips ?? []), ...randomClips(options.parityClips, size, 7)];
  const lines: string[] = [];
  const parity = await verifyOnnxExport(bytes, weights, clips);
  const tfjsDiff = parity.maxAbsDiffOrtVsTfjs;
  lines.push(
    `parity over ${parity.clips} clips: max |onnxruntime - tfjs| = ${tfjsDiff === null ? 'n/a' : tfjsDiff.toExponential(2)}, ` +
      `max |onnxruntime - reference| = ${parity.maxAbsDiffOrtVsReference.toExponential(2)} (tolerance ${PARITY_TOLERANCE})`,
  );
  const ok = parity.maxAbsDiffOrtVsReference <= PARITY_TOLERANCE && (tfjsDiff === null || tfjsDiff <= PARITY_TOLERANCE);
  if (!ok) {
    lines.push(`export failed the parity check; ${outPath} was not written`);
    return { ok, lines, maxAbsDiffOrtVsTfjs: tfjsDiff, maxAbsDiffOrtVsReference: parity.maxAbsDiffOrtVsReference };
  }
  if (options.derive && (options.derive.endToEnd || options.derive.quantize)) {
    const derived = await deriveModel(bytes, { ...options.derive, parityClips: options.parityClips });
    lines.push(...derived.lines);
    if (!derived.ok) {
      lines.push(`${outPath} was not written`);
      return { ok: false, lines, maxAbsDiffOrtVsTfjs: tfjsDiff, maxAbsDiffOrtVsReference: parity.maxAbsDiffOrtVsReference };
    }
    bytes = derived.bytes;
  }
  const checked = await writeCheckedModel(bytes, outPath, lines);
  return { ok: ok && checked, lines, maxAbsDiffOrtVsTfjs: tfjsDiff, maxAbsDiffOrtVsReference: parity.maxAbsDiffOrtVsReference };
}
