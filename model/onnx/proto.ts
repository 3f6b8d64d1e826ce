/**
 * The `onnx` namespace of the onnx-proto package (protobufjs classes generated from onnx.proto
 * v1.10.2). The package is CommonJS without named ESM exports, hence the default import; types
 * come from `import type { onnx } from 'onnx-proto'`.
 */
import onnxProto from 'onnx-proto';

export const onnxClasses = onnxProto.onnx;
