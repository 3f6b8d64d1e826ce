/**
 * Reads a classifier's weights back out of an ONNX file kws exported (float weights, features or
 * end-to-end input): the inverse of buildOnnxModel's layout, so a shipped model can be fine-tuned
 * (custom keywords) without its training checkpoint. ONNX gate order i,o,f,c goes back to tfjs's
 * i,f,c,o; the ONNX input and recurrent biases are summed into tfjs's single bias.
 */
import type { onnx } from 'onnx-proto';
import { lstmInputDim } from '../frame-stacking.js';
import type { DenseWeights, LstmDirectionWeights, ModelManifest, ModelWeights } from '../types.js';
import { ONNX_GATE_SOURCE_BLOCKS } from './export.js';
import { floatValues } from './graph-builder.js';
import { readOnnxManifest } from './metadata.js';
import { onnxClasses } from './proto.js';

export class OnnxImportError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'OnnxImportError';
  }
}

/** One direction of ONNX W [4U, F], R [4U, U], B [8U] (gate order i,o,f,c) in tfjs layout. */
export function onnxToTfjsLstmWeights(W: Float32Array, R: Float32Array, B: Float32Array, inputDim: number, units: number): LstmDirectionWeights {
  const width = 4 * units;
  const kernel = new Float32Array(inputDim * width);
  const recurrentKernel = new Float32Array(units * width);
  const bias = new Float32Array(width);
  ONNX_GATE_SOURCE_BLOCKS.forEach((block, slot) => {
    for (let u = 0; u < units; u++) {
      const row = slot * units + u;
      const column = block * units + u;
      for (let k = 0; k < inputDim; k++) kernel[k * width + column] = W[row * inputDim + k]!;
      for (let j = 0; j < units; j++) recurrentKernel[j * width + column] = R[row * units + j]!;
      bias[column] = B[row]! + B[width + row]!;
    }
  });
  return { kernel, recurrentKernel, bias };
}

/** The manifest and float weights of a kws ONNX file; `file` names it in errors. */
export function weightsFromOnnx(bytes: Uint8Array, file: string): { manifest: ModelManifest; weights: ModelWeights } {
  const manifest = readOnnxManifest(bytes, file);
  if (manifest.quantization) throw new OnnxImportError(file, `its weights are stored ${manifest.quantization.kind}; start from the float model (model.onnx) instead`);
  const model = onnxClasses.ModelProto.decode(bytes);
  const byName = new Map<string, onnx.ITensorProto>((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const get = (name: string, size: number): Float32Array => {
    const tensor = byName.get(name);
    if (!tensor) throw new OnnxImportError(file, `initializer '${name}' is missing (not a kws classifier export?)`);
    const values = floatValues(tensor);
    if (values.length !== size) throw new OnnxImportError(file, `initializer '${name}' has ${values.length} values, the manifest's architecture needs ${size}`);
    return values;
  };
  const arch = manifest.architecture;
  let inputDim = lstmInputDim(arch);
  const lstm = arch.lstmUnits.map((units, l) => {
    const W = get(`lstm${l}_W`, 2 * 4 * units * inputDim);
    const R = get(`lstm${l}_R`, 2 * 4 * units * units);
    const B = get(`lstm${l}_B`, 2 * 8 * units);
    const direction = (d: 0 | 1): LstmDirectionWeights => onnxToTfjsLstmWeights(
      W.subarray(d * 4 * units * inputDim, (d + 1) * 4 * units * inputDim),
      R.subarray(d * 4 * units * units, (d + 1) * 4 * units * units),
      B.subarray(d * 8 * units, (d + 1) * 8 * units),
      inputDim,
      units,
    );
    const layer = { inputDim, units, forward: direction(0), backward: direction(1) };
    inputDim = 2 * units;
    return layer;
  });
  const dense = (prefix: string, inDim: number, outDim: number): DenseWeights => ({
    inDim, outDim, kernel: get(`${prefix}_kernel`, inDim * outDim), bias: get(`${prefix}_bias`, outDim),
  });
  const attention = arch.pooling === 'attention'
    ? { projection: dense('attention_projection', inputDim, arch.attentionUnits ?? 0), score: dense('attention_score', arch.attentionUnits ?? 0, 1) }
    : null;
  const hidden = arch.hiddenUnits > 0 ? dense('hidden', inputDim, arch.hiddenUnits) : null;
  const output = dense('output', arch.hiddenUnits > 0 ? arch.hiddenUnits : inputDim, arch.numClasses);
  return { manifest, weights: { architecture: { ...arch, lstmUnits: [...arch.lstmUnits] }, lstm, hidden, output, ...(attention ? { attention } : {}) } };
}
