/**
 * End-to-end ONNX models: the front-end graph (frontend-graph.ts) prepended to an exported kws
 * classifier, so the file takes 16 kHz waveform [batch, clipLengthSamples] and needs no MFCC code
 * in the runtime. Composed from the classifier's ONNX bytes (the shipped model directory holds no
 * checkpoint); the classifier's nodes and weights are kept as they are, its input `features`
 * becomes an output, and its manifest gains `graphInput`.
 */
import type { onnx } from 'onnx-proto';
import type { ModelManifest } from '../types.js';
import { addFrontEnd, type FrontEndGraphOptions } from './frontend-graph.js';
import { BATCH_DIM_PARAM, INPUT_NAME, LABELS_METADATA_KEY, MANIFEST_METADATA_KEY } from './export.js';
import { floatTensorInfo, GraphBuilder, OnnxExportError } from './graph-builder.js';
import { readOnnxManifest } from './metadata.js';
import { onnxClasses } from './proto.js';

export const WAVEFORM_INPUT_NAME = 'waveform';
/** The classifier input, exposed as an output of end-to-end graphs. */
export const FEATURES_OUTPUT_NAME = INPUT_NAME;
/** Raw MFCCs [batch, T, K], an output only of debug builds (parity tests). */
export const MFCC_OUTPUT_NAME = 'mfcc';
/** A plain-text description of the input for tools that do not read the JSON manifest. */
export const INPUT_METADATA_KEY = 'kws.input';

export interface EndToEndOptions extends FrontEndGraphOptions {
  /** Also output the raw MFCCs as `mfcc` (tests compare them with Meyda). */
  mfccOutput?: boolean;
}

export function isEndToEnd(manifest: ModelManifest): boolean {
  return manifest.graphInput?.kind === 'waveform';
}

export function setMetadata(model: onnx.IModelProto, manifest: ModelManifest): void {
  const keep = (model.metadataProps ?? []).filter((p) => p.key !== MANIFEST_METADATA_KEY && p.key !== LABELS_METADATA_KEY && p.key !== INPUT_METADATA_KEY);
  keep.push({ key: MANIFEST_METADATA_KEY, value: JSON.stringify(manifest) }, { key: LABELS_METADATA_KEY, value: manifest.labels.join(',') });
  const input = manifest.graphInput;
  if (input) {
    keep.push({
      key: INPUT_METADATA_KEY,
      value: `${input.name}: float32 [batch, ${input.samples}], ${input.sampleRateHz} Hz mono samples in [-1, 1] (shorter clips centred in zeros, longer ones cropped to their loudest window)`,
    });
  }
  model.metadataProps = keep;
}

/** The end-to-end model built from a plain kws classifier's ONNX bytes. */
export function composeEndToEnd(classifierBytes: Uint8Array, options: EndToEndOptions = {}): Uint8Array {
  const manifest = readOnnxManifest(classifierBytes, 'classifier model');
  if (isEndToEnd(manifest)) throw new OnnxExportError('the model is already end-to-end (its input is waveform)');
  const model = onnxClasses.ModelProto.decode(classifierBytes);
  const graph = model.graph as onnx.GraphProto | null;
  if (!graph || graph.input.length !== 1 || graph.input[0]!.name !== INPUT_NAME) {
    throw new OnnxExportError(`expected a kws classifier with the single input '${INPUT_NAME}'`);
  }
  const config = manifest.features;
  const g = new GraphBuilder();
  const front = addFrontEnd(g, config, WAVEFORM_INPUT_NAME, FEATURES_OUTPUT_NAME, options);
  const { inputFrames, inputDim } = manifest.architecture;
  if (front.frames !== inputFrames || front.dim !== inputDim) {
    throw new OnnxExportError(`the front-end gives ${front.frames}x${front.dim} but the classifier expects ${inputFrames}x${inputDim}`);
  }
  const spectrum = options.spectrum ?? 'matmul';
  const next: ModelManifest = {
    ...manifest,
    graphInput: { kind: 'waveform', name: WAVEFORM_INPUT_NAME, samples: config.clipLengthSamples, sampleRateHz: config.sampleRateHz, spectrum, featuresOutput: FEATURES_OUTPUT_NAME },
  };
  graph.node = [...(g.nodes as onnx.NodeProto[]), ...graph.node];
  graph.initializer = [...(g.initializers as onnx.TensorProto[]), ...graph.initializer];
  graph.input = [floatTensorInfo(WAVEFORM_INPUT_NAME, [BATCH_DIM_PARAM, config.clipLengthSamples]) as onnx.ValueInfoProto];
  graph.output.push(floatTensorInfo(FEATURES_OUTPUT_NAME, [BATCH_DIM_PARAM, inputFrames, inputDim]) as onnx.ValueInfoProto);
  if (options.mfccOutput) graph.output.push(floatTensorInfo(MFCC_OUTPUT_NAME, [BATCH_DIM_PARAM, inputFrames, config.mfccCoefficients]) as onnx.ValueInfoProto);
  graph.name = 'kws_end_to_end';
  if (options.mfccOutput) graph.node.push(onnxClasses.NodeProto.create({ opType: 'Identity', name: 'frontend_mfcc_output', input: [front.mfcc], output: [MFCC_OUTPUT_NAME] }));
  model.docString =
    `kws keyword spotter '${manifest.name}' (${manifest.task}), end to end: input ${WAVEFORM_INPUT_NAME} [batch,${config.clipLengthSamples}] ` +
    `float, ${config.sampleRateHz} Hz mono; the Meyda MFCC front-end (${config.frameLengthSamples}-sample ${config.windowingFunction} frames every ` +
    `${config.hopLengthSamples}, ${config.melBands} mel bands, ${config.mfccCoefficients} MFCCs${config.deltas ? ' + deltas' : ''}, ` +
    `${config.normalization.kind} normalisation) is inside the graph. Outputs logits and probabilities [batch,${manifest.labels.length}] over labels ` +
    `${manifest.labels.join(',')}, and ${FEATURES_OUTPUT_NAME} [batch,${inputFrames},${inputDim}].`;
  setMetadata(model, next);
  return onnxClasses.ModelProto.encode(model).finish();
}
