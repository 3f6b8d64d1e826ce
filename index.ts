/**
 * kws's public API (`import { … } from 'kws'`): keyword recognition and detection with the shipped
 * model or your own, the audio readers and feature front-end behind them, ONNX export and
 * evaluation. Importing it loads onnxruntime-node; TensorFlow.js is only loaded by the functions that
 * need it (export's parity check). `kws/streaming` is the runtime-neutral streaming detector alone
 * (no Node imports: safe for browser bundles); `kws/audio` is audio reading alone.
 */

// Recognition: one label per clip, detections with times for recordings.
export {
  DEFAULT_MODEL_PATH,
  LONG_AUDIO_TOLERANCE_SECONDS,
  LongAudioError,
  ModelLoadError,
  Recognizer,
  type FileTranscript,
  type Recognition,
  type RecognizerOptions,
} from './pipeline/recognizer.js';
export { FrontEnd, FrontEndMismatchError } from './pipeline/frontend.js';

// Streaming detection (the detector of `kws listen`, `kws demo` and long files in `kws transcribe`).
export * from './pipeline/streaming/index.js';
export { createNodeDetector, detectInRecording, recognizerScorer, scanRecording, type ScanOptions } from './pipeline/streaming/node.js';

// Batch transcription (`kws transcribe`).
export { runTranscribe, type TranscribeOptions, type TranscribeResult } from './pipeline/transcribe.js';

// Audio: any wav, Ogg Opus, FLAC or MP3 to 16 kHz mono.
export * from './features/audio/index.js';

// Features: the MFCC front-end every model carries in its manifest.
export {
  DEFAULT_FEATURE_CONFIG,
  FastMfcc,
  FeatureExtractor,
  extractFeatures,
  featureDim,
  framesFor,
  validateFeatureConfig,
  type ExtractOptions,
  type MfccConfig,
} from './features/index.js';
export type { DecodedAudio, FeatureConfig, FeatureMatrix, FeatureNormalization } from './features/types.js';

// Models: manifests, checkpoints and ONNX export (`kws export`).
export type { DetectionDefaults, ModelArchitecture, ModelManifest, ModelWeights, WaveformGraphInput, WeightQuantization } from './model/types.js';
export { readOnnxManifest } from './model/onnx/metadata.js';
export { buildOnnxModel, INPUT_NAME, LOGITS_NAME, OnnxExportError, PROBABILITIES_NAME } from './model/onnx/export.js';
export { CheckpointError, loadCheckpoint, type Checkpoint } from './model/checkpoint.js';
export { exportCheckpointToOnnx, PARITY_TOLERANCE, type ExportReport } from './model/export-job.js';
export { composeEndToEnd, FEATURES_OUTPUT_NAME, WAVEFORM_INPUT_NAME, type EndToEndOptions } from './model/onnx/end-to-end.js';
export { quantizeWeightsInt8 } from './model/onnx/quantize.js';
export { deriveModel, exportFromOnnx, type DeriveOptions } from './model/export-derived.js';

// Evaluation (`kws evaluate`).
export {
  confusionMatrix,
  metricsFromConfusion,
  runEvaluate,
  type ClassificationMetrics,
  type ClassMetrics,
  type EvaluateOptions,
  type EvaluateSplit,
  type EvaluationReport,
} from './evaluation/evaluate.js';
