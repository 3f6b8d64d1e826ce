/**
 * The kws front-end (features/: Meyda MFCC -> deltas -> normalisation) as standard ONNX operators,
 * every constant taken from the model's FeatureConfig and from Meyda's own tables:
 *
 *   waveform [B,S] -> Gather(frame indices [T,N], axis 1) -> frames [B,T,N]
 *   spectrum 'matmul' (default, measured 2x faster in onnxruntime): MatMul with the windowed DFT
 *     [N, 2H] (cos | sin columns, H = N/2) -> Mul(x, x) -> MatMul with [bank; bank], which folds
 *     the re^2 + im^2 sum into the mel MatMul
 *   spectrum 'dft': Mul(window) -> DFT(axis 2, onesided) -> bins < H -> re^2 + im^2 -> MatMul bank
 *   (Meyda's bank over bins k < N/2 only, as Meyda reads it)
 *   -> log(1 + band) as Meyda computes it (in float64: exact for tiny bands too; silence gives 0),
 *      here in float32 with the log1p identity below
 *   -> MatMul with the dct package's unnormalised DCT-II [M,K] (2 cos(pi/M (m + 1/2) k))
 *   deltas: MatMul with a [T,T] regression matrix (edges replicated, as appendDeltas) -> Concat
 *   'utterance': ReduceMean over time, population std floored at STD_FLOOR, (x - mean) / std
 *   'global': the stored mean and std;  'none': nothing.
 * T is framesFor(config, clipLengthSamples): the clip length is fixed (the model window).
 */
import { featureDim, framesFor } from '../../features/config.js';
import { meydaMelFilterBank, meydaWindow } from '../../features/meyda-internals.js';
import { STD_FLOOR } from '../../features/postprocess.js';
import type { FeatureConfig } from '../../features/types.js';
import { GraphBuilder, OnnxExportError } from './graph-builder.js';

export type SpectrumOp = 'matmul' | 'dft';

/** Meyda's constants the graph is built from; tests replace one to prove the parity checks catch it. */
export interface FrontEndTables {
  /** Meyda's window, N values. */
  window: ArrayLike<number>;
  /** Meyda's mel filter bank: M rows of at least N/2 weights (bins >= N/2 unused, as in Meyda). */
  melBank: readonly (readonly number[])[];
  /** DCT matrix, K rows of M values: dct[k][m] multiplies log-mel band m for coefficient k. */
  dct: readonly (readonly number[])[];
}

export interface FrontEndGraphOptions {
  spectrum?: SpectrumOp;
  tables?: Partial<FrontEndTables>;
}

export interface FrontEndNodes {
  /** [B,T,K] MFCCs before deltas and normalisation. */
  mfcc: string;
  /** [B,T,F] the classifier input. */
  features: string;
  frames: number;
  dim: number;
}

/** The tables FastMfcc uses for `config`: Meyda's window and bank, the dct package's DCT-II. */
export function frontEndTables(config: FeatureConfig): FrontEndTables {
  const n = config.frameLengthSamples;
  const melBank = meydaMelFilterBank(Math.max(config.melBands, config.mfccCoefficients), config.sampleRateHz, n);
  const bands = melBank.length;
  const dct = Array.from({ length: config.mfccCoefficients }, (_, k) =>
    Array.from({ length: bands }, (_, m) => 2 * Math.cos((Math.PI / bands) * (m + 0.5) * k)),
  );
  return { window: Array.from(meydaWindow(config.windowingFunction, n)), melBank, dct };
}

/** [T,T]: row t holds the weights of appendDeltas' regression for frame t, edge frames replicated. */
export function deltaMatrix(frames: number, window: number): Float64Array {
  const d = new Float64Array(frames * frames);
  let denominator = 0;
  for (let n = 1; n <= window; n++) denominator += n * n;
  denominator *= 2;
  for (let t = 0; t < frames; t++) {
    for (let n = 1; n <= window; n++) {
      d[t * frames + Math.min(t + n, frames - 1)] += n / denominator;
      d[t * frames + Math.max(t - n, 0)] -= n / denominator;
    }
  }
  return d;
}

function scalar(g: GraphBuilder, name: string, value: number): string {
  return g.int64s(name, [value], []);
}

function range(g: GraphBuilder, name: string, count: number): string {
  return g.node('Range', name, [scalar(g, `${name}_start`, 0), scalar(g, `${name}_limit`, count), scalar(g, `${name}_delta`, 1)], [name]);
}

/**
 * [T,N] int64, row t = t*hop .. t*hop + N - 1. Computed by the graph from constants (onnxruntime
 * folds it when the session is created), so the file does not carry T*N indices.
 */
function frameIndices(g: GraphBuilder, frames: number, length: number, hop: number): string {
  const starts = g.node('Mul', 'frontend_frame_starts', [range(g, 'frontend_frame_numbers', frames), scalar(g, 'frontend_hop', hop)], ['frontend_frame_starts']);
  const column = g.node('Unsqueeze', 'frontend_frame_starts_column', [starts, g.int64s('frontend_axis_1', [1])], ['frontend_frame_starts_column']);
  const row = g.node('Unsqueeze', 'frontend_frame_offsets_row', [range(g, 'frontend_frame_offsets', length), g.int64s('frontend_axis_0', [0])], ['frontend_frame_offsets_row']);
  return g.node('Add', 'frontend_frame_indices', [column, row], ['frontend_frame_indices']);
}

/**
 * [N, N]: columns k < N/2 hold w[n] cos(2 pi n k / N), columns N/2 + k hold w[n] sin(...); built in
 * the graph (folded at session creation). n k mod N is taken in int64, so every angle is < 2 pi.
 */
function windowedDftMatrix(g: GraphBuilder, n: number, windowColumn: string): string {
  const half = n / 2;
  const nColumn = g.node('Unsqueeze', 'frontend_dft_n', [range(g, 'frontend_dft_n_range', n), g.int64s('frontend_dft_axis_1', [1])], ['frontend_dft_n']);
  const kRow = g.node('Unsqueeze', 'frontend_dft_k', [range(g, 'frontend_dft_k_range', half), g.int64s('frontend_dft_axis_0', [0])], ['frontend_dft_k']);
  const nk = g.node('Mul', 'frontend_dft_nk', [nColumn, kRow], ['frontend_dft_nk']);
  const wrapped = g.node('Mod', 'frontend_dft_nk_mod_n', [nk, scalar(g, 'frontend_dft_size', n)], ['frontend_dft_nk_mod_n']);
  const asFloat = g.node('Cast', 'frontend_dft_nk_float', [wrapped], ['frontend_dft_nk_float'], { to: 1 });
  const angle = g.node('Mul', 'frontend_dft_angle', [asFloat, g.floats('frontend_dft_step', [], [(2 * Math.PI) / n])], ['frontend_dft_angle']);
  const cos = g.node('Mul', 'frontend_dft_windowed_cos', [g.node('Cos', 'frontend_dft_cos', [angle], ['frontend_dft_cos']), windowColumn], ['frontend_dft_windowed_cos']);
  const sin = g.node('Mul', 'frontend_dft_windowed_sin', [g.node('Sin', 'frontend_dft_sin', [angle], ['frontend_dft_sin']), windowColumn], ['frontend_dft_windowed_sin']);
  return g.node('Concat', 'frontend_dft_matrix', [cos, sin], ['frontend_windowed_dft_matrix'], { axis: 1 });
}

/**
 * log(1 + x) accurate for small x in float32: Log(Add(x, 1)) alone loses x's digits below 1's
 * float32 spacing (6e-8), which near-silent clips live in and utterance normalisation then
 * magnifies (measured: 2.3e-4 relative error on a real _silence_ clip, against 3e-6 with this).
 * With u = 1 + x rounded: log1p(x) = log(u) * x / (u - 1), and x itself where u == 1.
 */
function log1p(g: GraphBuilder, x: string): string {
  const one = g.floats('frontend_one', [], [1]);
  const u = g.node('Add', 'frontend_log1p_u', [x, one], ['frontend_log1p_u']);
  const uMinusOne = g.node('Sub', 'frontend_log1p_u_minus_one', [u, one], ['frontend_log1p_u_minus_one']);
  const exact = g.node('Equal', 'frontend_log1p_u_is_one', [uMinusOne, g.floats('frontend_zero', [], [0])], ['frontend_log1p_u_is_one']);
  // Where u == 1 the divisor becomes 1, so no 0/0 is ever computed (that element takes x).
  const divisor = g.node('Where', 'frontend_log1p_safe_divisor', [exact, one, uMinusOne], ['frontend_log1p_divisor']);
  const logU = g.node('Log', 'frontend_log1p_log_u', [u], ['frontend_log1p_log_u']);
  const scaled = g.node('Mul', 'frontend_log1p_scaled', [logU, g.node('Div', 'frontend_log1p_ratio', [x, divisor], ['frontend_log1p_ratio'])], ['frontend_log1p_scaled']);
  return g.node('Where', 'frontend_log', [exact, x, scaled], ['frontend_log_mel']);
}

/**
 * [H, M] with bank[k][f] = melBank[f][k] for bins k < H, stored as its nonzeros (a triangle filter
 * bank is mostly zeros) and scattered into zeros by the graph (folded at session creation).
 */
function melBankMatrix(g: GraphBuilder, melBank: FrontEndTables['melBank'], bins: number): string {
  const M = melBank.length;
  const at: number[] = [];
  const weights: number[] = [];
  for (let k = 0; k < bins; k++) {
    for (let f = 0; f < M; f++) {
      const w = melBank[f]![k]!;
      if (w !== 0) {
        at.push(k, f);
        weights.push(w);
      }
    }
  }
  const zeros = g.node('ConstantOfShape', 'frontend_mel_bank_zeros', [g.int64s('frontend_mel_bank_shape', [bins, M])], ['frontend_mel_bank_zeros'], {});
  if (weights.length === 0) return zeros;
  return g.node(
    'ScatterND',
    'frontend_mel_bank',
    [zeros, g.int64s('frontend_mel_bank_at', at, [weights.length, 2]), g.floats('frontend_mel_bank_weights', [weights.length], weights)],
    ['frontend_mel_bank'],
  );
}

/**
 * Appends the front-end nodes reading `waveform` [B, clipLengthSamples] to `g`; names are prefixed
 * `frontend_`, the last node writes `featuresName`.
 */
export function addFrontEnd(g: GraphBuilder, config: FeatureConfig, waveform: string, featuresName: string, options: FrontEndGraphOptions = {}): FrontEndNodes {
  const tables = { ...frontEndTables(config), ...(options.tables ?? {}) };
  const spectrum = options.spectrum ?? 'matmul';
  const N = config.frameLengthSamples;
  const H = N / 2;
  const T = framesFor(config, config.clipLengthSamples);
  const K = config.mfccCoefficients;
  const M = tables.melBank.length;
  if (T < 1) throw new OnnxExportError(`clipLengthSamples ${config.clipLengthSamples} holds no frame of ${N} samples`);
  if (tables.window.length !== N) throw new OnnxExportError(`window has ${tables.window.length} values, frames ${N}`);
  if (tables.dct.length !== K || tables.dct.some((row) => row.length !== M)) throw new OnnxExportError(`DCT must be ${K}x${M}`);
  if (tables.melBank.some((row) => row.length < H)) throw new OnnxExportError(`mel bank rows must hold at least ${H} bins`);

  const framed = g.node('Gather', 'frontend_framing', [waveform, frameIndices(g, T, N, config.hopLengthSamples)], ['frontend_frames'], { axis: 1 });
  const windowColumn = g.floats('frontend_window_values', [N, 1], tables.window);
  // The bank is stored once, bins below N/2 only (Meyda never reads bin N/2).
  const bank = melBankMatrix(g, tables.melBank, H);

  let mel: string;
  if (spectrum === 'matmul') {
    const dft = windowedDftMatrix(g, N, windowColumn);
    const spec = g.node('MatMul', 'frontend_windowed_dft', [framed, dft], ['frontend_spectrum']);
    const parts = g.node('Mul', 'frontend_power_parts', [spec, spec], ['frontend_power_parts']);
    // [re^2 | im^2] @ [bank; bank] = (re^2 + im^2) @ bank.
    const stacked = g.node('Concat', 'frontend_mel_bank_for_parts', [bank, bank], ['frontend_mel_bank_stacked'], { axis: 0 });
    mel = g.node('MatMul', 'frontend_mel', [parts, stacked], ['frontend_mel_bands']);
  } else if (spectrum === 'dft') {
    const window = g.node('Reshape', 'frontend_window_row', [windowColumn, g.int64s('frontend_shape_window', [N])], ['frontend_window_row']);
    const windowed = g.node('Mul', 'frontend_window', [framed, window], ['frontend_windowed']);
    const signal = g.node('Unsqueeze', 'frontend_real_signal', [windowed, g.int64s('frontend_axis_3', [3])], ['frontend_signal']);
    const spec = g.node('DFT', 'frontend_dft', [signal], ['frontend_dft_out'], { axis: 2, onesided: 1 });
    const below = g.node('Slice', 'frontend_bins_below_half', [spec, g.int64s('frontend_slice_start', [0]), g.int64s('frontend_slice_end', [H]), g.int64s('frontend_slice_axis', [2])], ['frontend_spectrum']);
    const parts = g.node('Mul', 'frontend_power_parts', [below, below], ['frontend_power_parts']);
    const power = g.node('ReduceSum', 'frontend_power', [parts, g.int64s('frontend_complex_axis', [3])], ['frontend_power'], { keepdims: 0 });
    mel = g.node('MatMul', 'frontend_mel', [power, bank], ['frontend_mel_bands']);
  } else {
    throw new OnnxExportError(`unknown spectrum op ${JSON.stringify(spectrum)}`);
  }

  const logMel = log1p(g, mel);
  const dctT = new Float64Array(M * K);
  for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) dctT[m * K + k] = tables.dct[k]![m]!;
  const mfcc = g.node('MatMul', 'frontend_dct', [logMel, g.floats('frontend_dct_matrix', [M, K], dctT)], ['frontend_mfcc']);

  let feats = mfcc;
  if (config.deltas) {
    const deltas = g.node('MatMul', 'frontend_deltas', [g.floats('frontend_delta_matrix', [T, T], deltaMatrix(T, config.deltaWindow)), mfcc], ['frontend_deltas']);
    feats = g.node('Concat', 'frontend_mfcc_and_deltas', [mfcc, deltas], ['frontend_unnormalised'], { axis: 2 });
  }
  const F = featureDim(config);
  const norm = config.normalization;
  if (norm.kind === 'utterance') {
    const mean = g.node('ReduceMean', 'frontend_mean', [feats], ['frontend_mean'], { axes: [1], keepdims: 1 });
    const centred = g.node('Sub', 'frontend_centre', [feats, mean], ['frontend_centred']);
    const squares = g.node('Mul', 'frontend_square', [centred, centred], ['frontend_squares']);
    const variance = g.node('ReduceMean', 'frontend_variance', [squares], ['frontend_variance'], { axes: [1], keepdims: 1 });
    const std = g.node('Sqrt', 'frontend_std', [variance], ['frontend_std']);
    const floored = g.node('Max', 'frontend_std_floor', [std, g.floats('frontend_std_floor_value', [], [STD_FLOOR])], ['frontend_std_floored']);
    g.node('Div', 'frontend_normalise', [centred, floored], [featuresName]);
  } else if (norm.kind === 'global') {
    const centred = g.node('Sub', 'frontend_centre', [feats, g.floats('frontend_global_mean', [F], norm.mean)], ['frontend_centred']);
    g.node('Div', 'frontend_normalise', [centred, g.floats('frontend_global_std', [F], norm.std.map((s) => Math.max(s, STD_FLOOR)))], [featuresName]);
  } else {
    g.node('Identity', 'frontend_normalise', [feats], [featuresName]);
  }
  return { mfcc, features: featuresName, frames: T, dim: F };
}
