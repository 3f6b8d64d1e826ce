/**
 * Weight-only int8 quantization with standard operators: each classifier weight matrix (LSTM W and
 * R, Gemm kernels) is stored as int8 with one float scale per output channel (symmetric, zero point
 * 0) and turned back into float32 by DequantizeLinear in front of the float op it feeds. Any ONNX
 * runtime runs it; the front-end tables and all biases stay float32.
 */
import type { onnx } from 'onnx-proto';
import type { ModelManifest } from '../types.js';
import { setMetadata } from './end-to-end.js';
import { floatValues, GraphBuilder, OnnxExportError } from './graph-builder.js';
import { readOnnxManifest } from './metadata.js';
import { onnxClasses } from './proto.js';

/** Which input of which op holds a weight matrix, and its output-channel axis. */
const WEIGHT_INPUTS: Record<string, { input: number; channelAxis: 'rows' | 'columns' }[]> = {
  // W [D, 4U, X], R [D, 4U, U]: a channel is one (direction, gate unit) row.
  LSTM: [{ input: 1, channelAxis: 'rows' }, { input: 2, channelAxis: 'rows' }],
  // B [in, out] (transB = 0): a channel is one output column.
  Gemm: [{ input: 1, channelAxis: 'columns' }],
};

export interface QuantizedTensor {
  values: Int8Array;
  scales: Float32Array;
}

/** Symmetric int8 per channel of a [rows, columns] matrix; `axis` 0: a scale per row, 1: per column. */
export function quantizeSymmetric(values: Float32Array, rows: number, columns: number, axis: 0 | 1): QuantizedTensor {
  const channels = axis === 0 ? rows : columns;
  const maxAbs = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const ch = axis === 0 ? r : c;
      maxAbs[ch] = Math.max(maxAbs[ch]!, Math.abs(values[r * columns + c]!));
    }
  }
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const scale = scales[axis === 0 ? r : c]!;
      q[r * columns + c] = Math.max(-127, Math.min(127, Math.round(values[r * columns + c]! / scale)));
    }
  }
  return { values: q, scales };
}

/** The model with its classifier weights stored as int8; the manifest records what was quantized. */
export function quantizeWeightsInt8(bytes: Uint8Array): Uint8Array {
  const manifest = readOnnxManifest(bytes, 'model');
  if (manifest.quantization) throw new OnnxExportError('the model is already quantized');
  const model = onnxClasses.ModelProto.decode(bytes);
  const graph = model.graph as onnx.GraphProto;
  const initializers = new Map((graph.initializer as onnx.TensorProto[]).map((t) => [t.name, t]));
  const uses = new Map<string, number>();
  for (const node of graph.node as onnx.NodeProto[]) for (const name of node.input) uses.set(name, (uses.get(name) ?? 0) + 1);

  const g = new GraphBuilder();
  const replaced = new Set<string>();
  const dequantizeNodes: onnx.INodeProto[] = [];
  for (const node of graph.node as onnx.NodeProto[]) {
    for (const { input, channelAxis } of WEIGHT_INPUTS[node.opType] ?? []) {
      const name = node.input[input];
      const tensor = name ? initializers.get(name) : undefined;
      if (!name || !tensor || tensor.dataType !== onnxClasses.TensorProto.DataType.FLOAT || uses.get(name) !== 1) continue;
      if (node.opType === 'Gemm' && node.attribute.some((a) => a.name === 'transB' && Number(a.i) !== 0)) continue;
      const dims = tensor.dims.map(Number);
      const columns = dims[dims.length - 1]!;
      const rows = dims.reduce((a, b) => a * b, 1) / columns;
      const axis = channelAxis === 'rows' ? 0 : 1;
      const q = quantizeSymmetric(floatValues(tensor), rows, columns, axis);
      const channels = axis === 0 ? rows : columns;
      const qName = g.int8s(`${name}_int8`, [rows, columns], q.values);
      const scale = g.floats(`${name}_scale`, [channels], q.scales);
      const zero = g.int8s(`${name}_zero_point`, [channels], new Int8Array(channels));
      const flat = `${name}_dequantized`;
      dequantizeNodes.push({ opType: 'DequantizeLinear', name: `${name}_dequantize`, input: [qName, scale, zero], output: [dims.length === 2 ? name : flat], attribute: [{ name: 'axis', type: onnxClasses.AttributeProto.AttributeType.INT, i: axis }] });
      if (dims.length !== 2) {
        dequantizeNodes.push({ opType: 'Reshape', name: `${name}_unflatten`, input: [flat, g.int64s(`${name}_shape`, dims)], output: [name] });
      }
      replaced.add(name);
    }
  }
  if (replaced.size === 0) throw new OnnxExportError('found no LSTM or Gemm weights to quantize');
  // The dequantized tensors keep the float initializers' names, so the consuming nodes are untouched.
  graph.initializer = [...(graph.initializer as onnx.TensorProto[]).filter((t) => !replaced.has(t.name)), ...(g.initializers as onnx.TensorProto[])];
  graph.node = [...(dequantizeNodes as onnx.NodeProto[]), ...graph.node];
  const next: ModelManifest = { ...manifest, quantization: { kind: 'int8-weights', scheme: 'per-channel-symmetric', tensors: [...replaced] } };
  model.docString = `${model.docString ?? ''} Classifier weights stored as int8 (per-channel symmetric, DequantizeLinear).`;
  setMetadata(model, next);
  return onnxClasses.ModelProto.encode(model).finish();
}
