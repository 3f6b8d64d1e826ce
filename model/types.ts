/**
 * Contracts of the model layer: the architecture, its weights in one runtime-neutral layout, and
 * the manifest that travels with every checkpoint and every exported model.
 */
import type { FeatureConfig } from '../features/types.js';
import type { AugmentConfig } from '../datasets/augment.js';
import type { PriorCorrection } from './prior-correction.js';
import type { ClassWeighting } from './class-weights.js';
import type { LearningRateSchedule } from './learning-rate.js';
import type { CalibrationWeighting } from './calibration.js';

export type Pooling = 'mean' | 'last' | 'attention';
export const POOLING_KINDS: readonly Pooling[] = ['mean', 'last', 'attention'];
export const DEFAULT_ATTENTION_UNITS = 32;
/** Weight of the teachers' probabilities in the distillation targets (the rest on the label). */
export const DEFAULT_DISTILL_WEIGHT = 0.5;

/** A stacked bidirectional LSTM classifier over feature frames. */
export interface ModelArchitecture {
  /** Frames per input window (T) and features per frame (F). */
  inputFrames: number;
  inputDim: number;
  /**
   * Frame stacking (model/frame-stacking.ts): consecutive frames read as one LSTM step, so the
   * first LSTM layer runs floor(T / frameStack) steps of frameStack x F values. Absent: 1.
   */
  frameStack?: number;
  /** Units per direction of each stacked bidirectional LSTM layer (>= 2 layers). */
  lstmUnits: number[];
  /** How the last LSTM layer's sequence becomes one vector. */
  pooling: Pooling;
  /** Units of the attention scorer's tanh layer (pooling 'attention' only). */
  attentionUnits?: number;
  /** Hidden dense layer (ReLU) size before the classifier, or 0 for none. */
  hiddenUnits: number;
  numClasses: number;
  /** Dropout rate used in training only (not part of inference). */
  dropout: number;
}

/**
 * Weights of one LSTM direction in TensorFlow.js layout and gate order (i, f, c, o):
 * kernel [inputDim, 4*units], recurrentKernel [units, 4*units], bias [4*units], all row-major.
 * The cell is the textbook one with true sigmoid gates and tanh cell/output activations.
 */
export interface LstmDirectionWeights {
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array;
}

export interface BiLstmLayerWeights {
  inputDim: number;
  units: number;
  forward: LstmDirectionWeights;
  backward: LstmDirectionWeights;
}

/** Dense layer: y = x * kernel + bias, kernel [inDim, outDim] row-major. */
export interface DenseWeights {
  inDim: number;
  outDim: number;
  kernel: Float32Array;
  bias: Float32Array;
}

/**
 * All weights of a classifier. The forward pass:
 *   h0 = input [batch, T, F]; with frame stacking k: its first floor(T/k)*k frames as [batch, floor(T/k), k*F]
 *   for each layer: h = concat(forwardLSTM(h), reverse(backwardLSTM(reverse(h)))) on the feature axis
 *   pooled = mean over time of h, or (pooling 'last') concat(forward h at t=T-1, backward h at t=0),
 *            or (pooling 'attention', feed-forward attention of Raffel & Ellis 2015):
 *              e_t = tanh(h_t * projection.kernel + projection.bias) * score.kernel + score.bias
 *              pooled = sum over t of softmax_t(e)_t * h_t
 *            (a zero score kernel gives every frame the same weight: mean pooling exactly)
 *   if hidden: pooled = relu(pooled * hidden.kernel + hidden.bias)
 *   logits = pooled * output.kernel + output.bias;  probabilities = softmax(logits / temperature)
 */
export interface ModelWeights {
  architecture: ModelArchitecture;
  lstm: BiLstmLayerWeights[];
  hidden: DenseWeights | null;
  output: DenseWeights;
  /** Present exactly when architecture.pooling is 'attention'. */
  attention?: AttentionWeights | null;
}

/** The attention scorer: a tanh layer [2U -> attentionUnits], then one score per frame [attentionUnits -> 1]. */
export interface AttentionWeights {
  projection: DenseWeights;
  score: DenseWeights;
}

/** The training split's on-the-fly augmentation and data weighting, recorded in the manifest. */
export interface TrainingAugmentation {
  /** The augmentation used, or null when training ran on fixed (unaugmented) features. */
  config: AugmentConfig | null;
  /** Noise recordings mixed in (absolute paths). */
  noiseFiles: string[];
  /** Times each data folder's train split is repeated per epoch (folders not named: once). */
  repeat: Record<string, number>;
}

/** Everything a runtime needs to rebuild the front-end and read the outputs. */
export interface ModelManifest {
  formatVersion: 1;
  name: string;
  task: string;
  labels: string[];
  features: FeatureConfig;
  architecture: ModelArchitecture;
  /** Softmax temperature fitted on validation data (1 = none). */
  temperature: number;
  training: {
    data: { path: string; splitMethod?: string; /** Hold-out folders: percent of their speakers held out for testing (absent in older manifests: 50). */ holdoutTestPercent?: number; items: number; perSplit: Record<string, number>; trainFraction?: number; excludedSources?: string[]; excludedWords?: string[] }[];
    seed: number;
    epochs: number;
    backend: string;
    createdAt: string;
    command?: string;
    /** How the training split was augmented and weighted (absent in manifests from before augmentation). */
    augmentation?: TrainingAugmentation;
    /** Logit adjustment baked into the output bias after training (absent: none). */
    priorCorrection?: PriorCorrection;
    /** How the validation clips were weighed when the temperature was fitted (absent: every clip once). */
    temperatureFit?: CalibrationWeighting;
    /** Threads that shared each batch (data-parallel training; absent: one). */
    trainers?: number;
    /** Learning-rate schedule (absent: 'plateau', the rate cut after epochs without improvement). */
    learningRateSchedule?: LearningRateSchedule;
    /** Class balancing in the loss (absent: every clip weighed 1). */
    classWeighting?: ClassWeighting;
    /** Checkpoint the run was fine-tuned from (absent: random initialisation). */
    initFrom?: string;
    /** Model whose LSTM and hidden layers a custom-keyword model started from (transfer learning). */
    transferFrom?: string;
    /** Teachers distilled from (model/distillation.ts), the weight of their probabilities in the targets and their softmax temperature. */
    distillation?: { teachers: string[]; weight: number; temperature: number };
    /** Mixup's Beta(alpha, alpha) parameter (model/mixup.ts; absent: no mixing). */
    mixupAlpha?: number;
  };
  metrics: Record<string, number>;
  /** Streaming detection thresholds measured for this model (absent: the detector's defaults). */
  detection?: DetectionDefaults;
  /** Present in end-to-end ONNX files: the graph holds the front-end and takes 16 kHz waveform. */
  graphInput?: WaveformGraphInput;
  /** Present in ONNX files whose weights are stored quantized. */
  quantization?: WeightQuantization;
}

/** The input of an end-to-end graph: `samples` 16 kHz mono samples per clip (the model window). */
export interface WaveformGraphInput {
  kind: 'waveform';
  /** The graph input's name ('waveform'), shape [batch, samples], float32 in [-1, 1]. */
  name: string;
  samples: number;
  sampleRateHz: number;
  /** How the graph computes the spectrum ('matmul': windowed DFT matrix; 'dft': the ONNX DFT op). */
  spectrum: 'matmul' | 'dft';
  /** The graph output holding the classifier input [batch, T, F] (the front-end's features). */
  featuresOutput: string;
}

/** Weight-only quantization: int8 initializers dequantized (DequantizeLinear) in front of the float ops. */
export interface WeightQuantization {
  kind: 'int8-weights';
  /** Symmetric, one scale per output channel, zero point 0. */
  scheme: 'per-channel-symmetric';
  /** Initializers stored as int8 (the front-end's tables and all biases stay float32). */
  tensors: string[];
}

/**
 * Firing thresholds chosen by `kws evaluate-stream --save-thresholds` at an operating point
 * (e.g. <= 1 false accept per hour) on streams of speakers the model was not trained on.
 */
export interface DetectionDefaults {
  defaultThreshold: number;
  /** Per-keyword thresholds that differ from defaultThreshold. */
  thresholds: Record<string, number>;
  /**
   * The detector timing the thresholds were measured with, which they only hold for (models saved
   * before these were stored: the detector defaults, 100 / 300 / 1000 ms).
   */
  hopMs?: number;
  smoothingMs?: number;
  refractoryMs?: number;
  /** Where the thresholds were measured. */
  chosenOn: { data: string; split: string; holdout: boolean; holdoutData?: string[]; holdoutTestPercent?: number; minutes: number; seed: number; maxFalseAcceptsPerHour: number; oneThreshold?: boolean };
  /** What was measured there at these thresholds. */
  measured: { falseRejectRate: number; falseAcceptsPerHour: number; keywords: number };
}
