/**
 * Exports a classifier (`ModelWeights` + `ModelManifest`) to an ONNX model, built with the
 * onnx-proto package's generated classes.
 *
 * Versions: opset 17 and IR version 8 ({@link ONNX_OPSET_VERSION}, {@link ONNX_IR_VERSION}), the
 * newest pair that Debian's python3-onnx 1.12 checker accepts; onnxruntime-node runs them. Opset 17
 * still takes ReduceMean's axes as an attribute (opset 18 moved them to an input).
 *
 * Graph (B = dynamic batch `batch`, T frames, F features, U units of a layer, C classes):
 *   features [B,T,F] -> Transpose -> [T,B,F]
 *   per layer: LSTM(direction=bidirectional) -> Y [T,2,B,U] -> Transpose [T,B,2,U] -> Reshape [T,B,2U]
 *   pooling 'mean': ReduceMean over T -> [B,2U]
 *   pooling 'last': last layer's Y_h [2,B,U] (forward final state = frame T-1, backward final
 *                   state = frame 0) -> Transpose [B,2,U] -> Reshape [B,2U]
 *   pooling 'attention': MatMul + Add + Tanh -> [T,B,A], MatMul + Add -> scores [T,B,1],
 *                   Softmax over T, Mul with the sequence, ReduceSum over T -> [B,2U]
 *   optional Gemm + Relu, Gemm -> logits [B,C];  Div(temperature) -> Softmax -> probabilities [B,C]
 *
 * LSTM weights: tfjs stores kernel [F,4U] / recurrentKernel [U,4U] / bias [4U] in gate order
 * i,f,c,o; ONNX wants W [2,4U,F] / R [2,4U,U] / B [2,8U] (input bias then recurrent bias) in gate
 * order i,o,f,c. {@link tfjsToOnnxLstmWeights} reorders the gate blocks and transposes; the
 * recurrent half of B is zero because tfjs has a single bias.
 *
 * The manifest travels in metadata_props under `kws.manifest` (JSON), with `kws.labels`
 * (comma-joined) for tools that only want the labels.
 */
import { frameStackOf, lstmSteps } from '../frame-stacking.js';
import type { LstmDirectionWeights, ModelManifest, ModelWeights } from '../types.js';
import { floatTensorInfo, GraphBuilder, OnnxExportError } from './graph-builder.js';
import { onnxClasses } from './proto.js';

export { OnnxExportError };

export const ONNX_OPSET_VERSION = 17;
export const ONNX_IR_VERSION = 8;
export const MANIFEST_METADATA_KEY = 'kws.manifest';
export const LABELS_METADATA_KEY = 'kws.labels';
export const INPUT_NAME = 'features';
export const LOGITS_NAME = 'logits';
export const PROBABILITIES_NAME = 'probabilities';
export const BATCH_DIM_PARAM = 'batch';

/**
 * For each ONNX gate slot (i, o, f, c) the tfjs gate block (order i, f, c, o) that fills it.
 */
export const ONNX_GATE_SOURCE_BLOCKS: readonly number[] = [0, 3, 1, 2];

export interface BuildOnnxOptions {
  /**
   * Override of {@link ONNX_GATE_SOURCE_BLOCKS}; only tests use it, to prove that a wrong
   * mapping is caught by the parity checks.
   */
  gateSourceBlocks?: readonly number[];
}

/**
 * One direction's weights in ONNX layout (without the leading num_directions axis):
 * W [4U, inputDim], R [4U, U], B [8U], gate order i,o,f,c.
 */
export function tfjsToOnnxLstmWeights(
  weights: LstmDirectionWeights,
  inputDim: number,
  units: number,
  gateSourceBlocks: readonly number[] = ONNX_GATE_SOURCE_BLOCKS,
): { W: Float32Array; R: Float32Array; B: Float32Array } {
  const width = 4 * units;
  const W = new Float32Array(width * inputDim);
  const R = new Float32Array(width * units);
  const B = new Float32Array(2 * width);
  gateSourceBlocks.forEach((sourceBlock, slot) => {
    for (let u = 0; u < units; u++) {
      const row = slot * units + u;
      const column = sourceBlock * units + u;
      for (let k = 0; k < inputDim; k++) W[row * inputDim + k] = weights.kernel[k * width + column]!;
      for (let j = 0; j < units; j++) R[row * units + j] = weights.recurrentKernel[j * width + column]!;
      B[row] = weights.bias[column]!;
    }
  });
  return { W, R, B };
}

function checkConsistency(w: ModelWeights, manifest: ModelManifest): void {
  const arch = w.architecture;
  if (JSON.stringify(arch) !== JSON.stringify(manifest.architecture)) {
    throw new OnnxExportError('manifest.architecture differs from the weights\' architecture');
  }
  if (manifest.labels.length !== arch.numClasses || w.output.outDim !== arch.numClasses) {
    throw new OnnxExportError(
      `manifest has ${manifest.labels.length} labels, architecture ${arch.numClasses} classes, output layer ${w.output.outDim}`,
    );
  }
  if (w.lstm.length === 0 || w.lstm.length !== arch.lstmUnits.length) {
    throw new OnnxExportError(`weights have ${w.lstm.length} LSTM layers, architecture ${arch.lstmUnits.length}`);
  }
  if ((arch.pooling === 'attention') !== Boolean(w.attention)) {
    throw new OnnxExportError(`attention weights are ${w.attention ? 'present' : 'missing'} for ${arch.pooling} pooling`);
  }
  if (!(manifest.temperature > 0) || !Number.isFinite(manifest.temperature)) {
    throw new OnnxExportError(`manifest.temperature must be a positive number, got ${manifest.temperature}`);
  }
}

/** Builds the ONNX model and returns its serialised bytes. */
export function buildOnnxModel(w: ModelWeights, manifest: ModelManifest, options: BuildOnnxOptions = {}): Uint8Array {
  checkConsistency(w, manifest);
  const arch = w.architecture;
  const g = new GraphBuilder();
  const T = arch.inputFrames;

  let stacked = INPUT_NAME;
  const k = frameStackOf(arch);
  if (k > 1) {
    const steps = lstmSteps(arch);
    const frames = g.node('Slice', 'frames_read_stacked', [INPUT_NAME, g.int64s('stack_start', [0]), g.int64s('stack_end', [steps * k]), g.int64s('stack_axis', [1])], ['features_stacked_frames']);
    stacked = g.node('Reshape', 'stack_frames', [frames, g.int64s('shape_stacked', [0, steps, k * arch.inputDim])], ['features_stacked']);
  }
  let sequence = g.node('Transpose', 'features_to_time_major', [stacked], ['features_time_major'], { perm: [1, 0, 2] });
  const keepTimeAndBatch = g.int64s('shape_time_batch_flat', [0, 0, -1]);
  let finalStates = '';
  w.lstm.forEach((layer, l) => {
    const isLast = l === w.lstm.length - 1;
    const prefix = `lstm${l}`;
    const fwd = tfjsToOnnxLstmWeights(layer.forward, layer.inputDim, layer.units, options.gateSourceBlocks);
    const bwd = tfjsToOnnxLstmWeights(layer.backward, layer.inputDim, layer.units, options.gateSourceBlocks);
    const U = layer.units;
    const weightW = g.floats(`${prefix}_W`, [2, 4 * U, layer.inputDim], concat(fwd.W, bwd.W));
    const weightR = g.floats(`${prefix}_R`, [2, 4 * U, U], concat(fwd.R, bwd.R));
    const weightB = g.floats(`${prefix}_B`, [2, 8 * U], concat(fwd.B, bwd.B));
    const wantSequence = !isLast || arch.pooling !== 'last';
    const outputs = [wantSequence ? `${prefix}_Y` : '', isLast && arch.pooling === 'last' ? `${prefix}_Y_h` : ''];
    while (outputs.length > 0 && outputs[outputs.length - 1] === '') outputs.pop();
    g.node('LSTM', prefix, [sequence, weightW, weightR, weightB], outputs, {
      direction: 'bidirectional',
      hidden_size: U,
    });
    if (wantSequence) {
      const timeBatchDir = g.node('Transpose', `${prefix}_directions_last`, [`${prefix}_Y`], [`${prefix}_Y_time_batch_dir`], { perm: [0, 2, 1, 3] });
      sequence = g.node('Reshape', `${prefix}_concat_directions`, [timeBatchDir, keepTimeAndBatch], [`${prefix}_out`]);
    }
    if (isLast && arch.pooling === 'last') finalStates = `${prefix}_Y_h`;
  });

  let pooled: string;
  if (arch.pooling === 'mean') {
    pooled = g.node('ReduceMean', 'mean_over_time', [sequence], ['pooled'], { axes: [0], keepdims: 0 });
  } else if (arch.pooling === 'attention') {
    const { projection: p, score: s } = w.attention!;
    const projectedLinear = g.node('MatMul', 'attention_projection', [sequence, g.floats('attention_projection_kernel', [p.inDim, p.outDim], p.kernel)], ['attention_projected_linear']);
    const projectedBiased = g.node('Add', 'attention_projection_bias_add', [projectedLinear, g.floats('attention_projection_bias', [p.outDim], p.bias)], ['attention_projected_biased']);
    const projected = g.node('Tanh', 'attention_tanh', [projectedBiased], ['attention_projected']);
    const scoresLinear = g.node('MatMul', 'attention_score', [projected, g.floats('attention_score_kernel', [s.inDim, s.outDim], s.kernel)], ['attention_scores_linear']);
    const scores = g.node('Add', 'attention_score_bias_add', [scoresLinear, g.floats('attention_score_bias', [s.outDim], s.bias)], ['attention_scores']);
    const frameWeights = g.node('Softmax', 'attention_softmax_over_time', [scores], ['attention_weights'], { axis: 0 });
    const weighted = g.node('Mul', 'attention_weigh_frames', [sequence, frameWeights], ['attention_weighted']);
    pooled = g.node('ReduceSum', 'attention_sum_over_time', [weighted, g.int64s('axis_time', [0])], ['pooled'], { keepdims: 0 });
  } else {
    const batchDir = g.node('Transpose', 'final_states_batch_major', [finalStates], ['final_states_batch_dir'], { perm: [1, 0, 2] });
    const keepBatch = g.int64s('shape_batch_flat', [0, -1]);
    pooled = g.node('Reshape', 'concat_final_states', [batchDir, keepBatch], ['pooled']);
  }

  if (w.hidden) {
    const h = w.hidden;
    const pre = g.node('Gemm', 'hidden_dense', [pooled, g.floats('hidden_kernel', [h.inDim, h.outDim], h.kernel), g.floats('hidden_bias', [h.outDim], h.bias)], ['hidden_preactivation']);
    pooled = g.node('Relu', 'hidden_relu', [pre], ['hidden']);
  }
  const o = w.output;
  g.node('Gemm', 'output_dense', [pooled, g.floats('output_kernel', [o.inDim, o.outDim], o.kernel), g.floats('output_bias', [o.outDim], o.bias)], [LOGITS_NAME]);
  const temperature = g.floats('temperature', [], [manifest.temperature]);
  const scaled = g.node('Div', 'divide_by_temperature', [LOGITS_NAME, temperature], ['scaled_logits']);
  g.node('Softmax', 'softmax', [scaled], [PROBABILITIES_NAME], { axis: -1 });

  const C = arch.numClasses;
  const model = onnxClasses.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET_VERSION }],
    producerName: 'kws',
    producerVersion: '0.1.0',
    modelVersion: 1,
    docString:
      `kws keyword spotter '${manifest.name}' (${manifest.task}): ${arch.lstmUnits.length}-layer bidirectional LSTM ` +
      `[${arch.lstmUnits.join(',')}], ${arch.pooling} pooling${k > 1 ? `, ${k} frames per LSTM step` : ''}. Input ${INPUT_NAME} [batch,${T},${arch.inputDim}] float; ` +
      `outputs ${LOGITS_NAME} and ${PROBABILITIES_NAME} [batch,${C}] over labels ${manifest.labels.join(',')}.`,
    graph: {
      name: 'kws_bilstm',
      node: g.nodes,
      initializer: g.initializers,
      input: [floatTensorInfo(INPUT_NAME, [BATCH_DIM_PARAM, T, arch.inputDim])],
      output: [floatTensorInfo(LOGITS_NAME, [BATCH_DIM_PARAM, C]), floatTensorInfo(PROBABILITIES_NAME, [BATCH_DIM_PARAM, C])],
    },
    metadataProps: [
      { key: MANIFEST_METADATA_KEY, value: JSON.stringify(manifest) },
      { key: LABELS_METADATA_KEY, value: manifest.labels.join(',') },
    ],
  });
  return onnxClasses.ModelProto.encode(model).finish();
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
