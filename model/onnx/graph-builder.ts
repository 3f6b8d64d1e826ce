/**
 * A small helper to assemble ONNX graphs with the onnx-proto classes: nodes, float / int64 / int8
 * initializers (raw little-endian data), and typed value infos.
 */
import type { onnx } from 'onnx-proto';
import { onnxClasses } from './proto.js';

export type AttributeValue = number | string | number[];

export class OnnxExportError extends Error {
  constructor(message: string) {
    super(`onnx export: ${message}`);
    this.name = 'OnnxExportError';
  }
}

function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];

  node(opType: string, name: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    this.nodes.push({
      opType,
      name,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([attrName, value]) => attribute(attrName, value)),
    });
    return outputs[0]!;
  }

  floats(name: string, dims: number[], values: ArrayLike<number>): string {
    const n = count(dims);
    if (values.length !== n) throw new OnnxExportError(`tensor ${name} has ${values.length} values for shape [${dims.join(',')}]`);
    const bytes = new Uint8Array(n * 4);
    const view = new DataView(bytes.buffer);
    for (let k = 0; k < n; k++) view.setFloat32(k * 4, values[k]!, true);
    this.initializers.push({ name, dims, dataType: onnxClasses.TensorProto.DataType.FLOAT, rawData: bytes });
    return name;
  }

  /** An int64 tensor; `dims` defaults to a vector of the values. */
  int64s(name: string, values: ArrayLike<number>, dims: number[] = [values.length]): string {
    if (values.length !== count(dims)) throw new OnnxExportError(`tensor ${name} has ${values.length} values for shape [${dims.join(',')}]`);
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    for (let k = 0; k < values.length; k++) view.setBigInt64(k * 8, BigInt(values[k]!), true);
    this.initializers.push({ name, dims, dataType: onnxClasses.TensorProto.DataType.INT64, rawData: bytes });
    return name;
  }

  int8s(name: string, dims: number[], values: Int8Array): string {
    if (values.length !== count(dims)) throw new OnnxExportError(`tensor ${name} has ${values.length} values for shape [${dims.join(',')}]`);
    this.initializers.push({ name, dims, dataType: onnxClasses.TensorProto.DataType.INT8, rawData: new Uint8Array(values.buffer, values.byteOffset, values.length).slice() });
    return name;
  }
}

export function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const Type = onnxClasses.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: Type.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: Type.INTS, ints: value };
  return { name, type: Type.INT, i: value };
}

export function floatTensorInfo(name: string, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnxClasses.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** The float32 values of a FLOAT initializer (raw data or float_data). */
export function floatValues(tensor: onnx.ITensorProto): Float32Array {
  const n = count((tensor.dims ?? []).map(Number));
  if (tensor.rawData && tensor.rawData.length > 0) {
    const raw = tensor.rawData;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Float32Array.from({ length: n }, (_, k) => view.getFloat32(k * 4, true));
  }
  return Float32Array.from(tensor.floatData ?? []);
}
