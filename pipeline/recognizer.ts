/**
 * Keyword recognition with onnxruntime-node: one InferenceSession per model file, the front-end and
 * labels taken from the manifest stored inside the ONNX file.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { readAudio } from '../features/audio/index.js';
import { INPUT_NAME, PROBABILITIES_NAME } from '../model/onnx/export.js';
import { OnnxMetadataError, readOnnxManifest } from '../model/onnx/metadata.js';
import type { ModelManifest } from '../model/types.js';
import { FrontEnd } from './frontend.js';
import { detectInRecording } from './streaming/node.js';
import type { Detection, DetectorConfig } from './streaming/types.js';

/** The folder holding kws's package.json, found from this module's location (works from dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    dir = parent;
  }
}

/** The shipped 12-class model. */
export const DEFAULT_MODEL_PATH = join(packageRoot(), 'models', 'kws12', 'model.onnx');

/** The model file is missing, unreadable, or not a kws ONNX model. */
export class ModelLoadError extends Error {
  readonly file: string;
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
    this.name = 'ModelLoadError';
    this.file = file;
  }
}

/**
 * Audio longer than the model's window by more than this is a recording, not a clip: `kws transcribe`
 * scans such files for every command (its DEFAULT_LONG_TOLERANCE_SECONDS is the same value).
 */
export const LONG_AUDIO_TOLERANCE_SECONDS = 0.25;

/**
 * `recognizeFile` was given a recording longer than the model's window: one label for it would be
 * the loudest second's and the rest would be lost. Use `Recognizer.detectFile` (every command with
 * its time) or `Recognizer.transcribeFile` (a label for a clip, detections for a recording).
 */
export class LongAudioError extends Error {
  override readonly name = 'LongAudioError';
  readonly file: string;
  readonly durationSeconds: number;
  /** The longest audio `recognizeFile` takes, in seconds. */
  readonly maxSeconds: number;

  constructor(file: string, durationSeconds: number, maxSeconds: number) {
    super(`${file}: ${durationSeconds.toFixed(2)} s of audio is longer than the ${maxSeconds.toFixed(2)} s a single recognition covers; use recognizer.detectFile(path) for every command in it with its time`);
    this.file = file;
    this.durationSeconds = durationSeconds;
    this.maxSeconds = maxSeconds;
  }
}

/** What `transcribeFile` found: one label for a clip, every detection for a longer recording. */
export type FileTranscript =
  | { kind: 'clip'; file: string; durationSeconds: number; recognition: Recognition }
  | { kind: 'recording'; file: string; durationSeconds: number; detections: Detection[] };

export interface Recognition {
  /** The best label and its probability. */
  label: string;
  score: number;
  /** Index of `label` in `Recognizer.labels`. */
  index: number;
  /** Probability of every label (sums to 1). */
  scores: Record<string, number>;
}

export interface RecognizerOptions {
  /** Threads inside one operator (default 1: lowest single-clip latency on a busy machine). */
  intraOpThreads?: number;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'Array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function checkClip(samples: unknown, where: string): Float32Array {
  if (!(samples instanceof Float32Array)) throw new TypeError(`${where} must be a Float32Array of 16 kHz samples, got ${describe(samples)}`);
  if (samples.length === 0) throw new RangeError(`${where} must hold at least one sample, got an empty Float32Array`);
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i]!)) throw new RangeError(`${where} must be finite, got ${samples[i]} at index ${i}`);
  }
  return samples;
}

export class Recognizer {
  readonly modelPath: string;
  readonly manifest: ModelManifest;
  readonly labels: readonly string[];
  readonly frontEnd: FrontEnd;
  #session: ort.InferenceSession | null;

  private constructor(modelPath: string, manifest: ModelManifest, session: ort.InferenceSession) {
    this.modelPath = modelPath;
    this.manifest = manifest;
    this.labels = Object.freeze([...manifest.labels]);
    this.frontEnd = new FrontEnd(manifest, modelPath);
    this.#session = session;
  }

  /** Loads `modelPath` (default: the shipped model) once; reuse the instance for every clip. */
  static async create(modelPath: string = DEFAULT_MODEL_PATH, options: RecognizerOptions = {}): Promise<Recognizer> {
    if (typeof modelPath !== 'string' || modelPath.length === 0) throw new TypeError(`modelPath must be a non-empty string, got ${describe(modelPath)}`);
    if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
    const threads = options.intraOpThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`options.intraOpThreads must be a positive integer, got ${describe(threads)}`);

    let bytes: Uint8Array;
    try {
      bytes = await readFile(modelPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ModelLoadError(modelPath, code === 'ENOENT' ? 'model file not found' : `cannot read model file (${code ?? String(err)})`, { cause: err });
    }
    let manifest: ModelManifest;
    try {
      manifest = readOnnxManifest(bytes, modelPath);
    } catch (err) {
      // Fail here, naming what is missing, rather than deep in the front-end on undefined fields.
      if (err instanceof OnnxMetadataError) throw new ModelLoadError(modelPath, `not a kws model: ${err.problem}`, { cause: err });
      throw err;
    }
    if (!Array.isArray(manifest.labels) || manifest.labels.length !== manifest.architecture.numClasses) {
      throw new ModelLoadError(modelPath, `manifest has ${manifest.labels?.length} labels but the architecture has ${manifest.architecture.numClasses} classes`);
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        // The arena keeps the largest batch's buffers; memory patterns let same-shape runs reuse a plan.
        enableCpuMemArena: true,
        enableMemPattern: true,
        logSeverityLevel: 3,
      });
    } catch (err) {
      throw new ModelLoadError(modelPath, `onnxruntime cannot load the model: ${(err as Error).message}`, { cause: err });
    }
    // An end-to-end model (waveform in, front-end inside the graph) says so in its manifest.
    const inputName = manifest.graphInput?.name ?? INPUT_NAME;
    if (!session.inputNames.includes(inputName) || !session.outputNames.includes(PROBABILITIES_NAME)) {
      await session.release();
      throw new ModelLoadError(modelPath, `expected input '${inputName}' and output '${PROBABILITIES_NAME}', got inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]`);
    }
    try {
      return new Recognizer(modelPath, manifest, session);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  #live(): ort.InferenceSession {
    if (this.#session === null) throw new Error(`${this.modelPath}: the Recognizer has been disposed`);
    return this.#session;
  }

  /** True for an end-to-end model: the graph takes waveform and computes the features itself. */
  get endToEnd(): boolean {
    return this.frontEnd.input === 'waveform';
  }

  /**
   * Runs the model on `count` clips of ready model inputs (`frontEnd.modelInput`): features laid
   * out as [count, T, F], or for an end-to-end model clip windows of 16 kHz samples [count, S].
   * Returns the probabilities [count, C]. Exposed for benchmarks (model alone, without the front-end).
   */
  async runModel(features: Float32Array, count: number): Promise<Float32Array> {
    const session = this.#live();
    if (!(features instanceof Float32Array)) throw new TypeError(`features must be a Float32Array, got ${describe(features)}`);
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${describe(count)}`);
    const fe = this.frontEnd;
    if (features.length !== count * fe.inputSize) {
      const what = fe.input === 'waveform' ? `count*S = ${count}*${fe.clipLengthSamples}` : `count*T*F = ${count}*${fe.frames}*${fe.dim}`;
      throw new RangeError(`${fe.input === 'waveform' ? 'waveforms' : 'features'} must hold ${what} values, got ${features.length}`);
    }
    const graphInput = this.manifest.graphInput;
    const feeds = graphInput
      ? { [graphInput.name]: new ort.Tensor('float32', features, [count, fe.clipLengthSamples]) }
      : { [INPUT_NAME]: new ort.Tensor('float32', features, [count, fe.frames, fe.dim]) };
    const outputs = await session.run(feeds, [PROBABILITIES_NAME]);
    const probs = outputs[PROBABILITIES_NAME]!;
    const data = probs.data as Float32Array;
    if (data.length !== count * this.labels.length) {
      throw new RangeError(`${this.modelPath}: model returned ${data.length} probabilities for ${count} clips of ${this.labels.length} labels`);
    }
    return data;
  }

  /** Recognitions of `count` clips of ready model inputs (see runModel). */
  async recognizeFeatures(features: Float32Array, count: number): Promise<Recognition[]> {
    const probs = await this.runModel(features, count);
    return Array.from({ length: count }, (_, i) => this.#toRecognition(probs, i * this.labels.length));
  }

  #toRecognition(probs: Float32Array, offset: number): Recognition {
    const scores: Record<string, number> = {};
    let best = 0;
    for (let c = 0; c < this.labels.length; c++) {
      const p = probs[offset + c]!;
      scores[this.labels[c]!] = p;
      if (p > probs[offset + best]!) best = c;
    }
    return { label: this.labels[best]!, score: probs[offset + best]!, index: best, scores };
  }

  /**
   * Recognises one clip of 16 kHz mono samples: shorter clips are centred in silence, longer ones
   * cropped to their loudest window (for recordings, use `detectSamples`).
   */
  async recognizeSamples(samples16k: Float32Array): Promise<Recognition> {
    this.#live();
    const input = this.frontEnd.modelInput(checkClip(samples16k, 'samples16k'));
    return this.#toRecognition(await this.runModel(input, 1), 0);
  }

  /** The most 16 kHz samples `recognizeFile` takes: the model's window plus LONG_AUDIO_TOLERANCE_SECONDS. */
  get maxClipSamples(): number {
    return this.frontEnd.clipLengthSamples + Math.round(LONG_AUDIO_TOLERANCE_SECONDS * this.frontEnd.config.sampleRateHz);
  }

  /**
   * Reads an audio file (wav, Ogg Opus, FLAC or MP3; any rate/channels, resampled to 16 kHz mono)
   * holding one spoken command and recognises it.
   * @throws LongAudioError when the file is longer than `maxClipSamples`: use `detectFile` for it.
   * @throws WavError when the file cannot be read or decoded.
   */
  async recognizeFile(path: string): Promise<Recognition> {
    const samples = await this.#read(path);
    if (samples.length > this.maxClipSamples) {
      const rate = this.frontEnd.config.sampleRateHz;
      throw new LongAudioError(path, samples.length / rate, this.maxClipSamples / rate);
    }
    return this.recognizeSamples(samples);
  }

  /**
   * Every command spoken in an audio file of any length, in time order, with start/end times in
   * seconds: the streaming detector of `kws listen` and `kws transcribe` (same defaults, the model's
   * thresholds; `config` overrides them). A file with no command gives an empty array.
   */
  async detectFile(path: string, config: Partial<DetectorConfig> = {}): Promise<Detection[]> {
    return this.detectSamples(await this.#read(path), config);
  }

  /** `detectFile` on 16 kHz mono samples. */
  async detectSamples(samples16k: Float32Array, config: Partial<DetectorConfig> = {}): Promise<Detection[]> {
    this.#live();
    return detectInRecording(this, checkClip(samples16k, 'samples16k'), config);
  }

  /**
   * What `kws transcribe` gives for one file: a clip (up to `maxClipSamples`) gets one recognition,
   * a longer recording every detection with its time.
   */
  async transcribeFile(path: string, config: Partial<DetectorConfig> = {}): Promise<FileTranscript> {
    const samples = await this.#read(path);
    const durationSeconds = samples.length / this.frontEnd.config.sampleRateHz;
    if (samples.length > this.maxClipSamples) return { kind: 'recording', file: path, durationSeconds, detections: await this.detectSamples(samples, config) };
    return { kind: 'clip', file: path, durationSeconds, recognition: await this.recognizeSamples(samples) };
  }

  async #read(path: string): Promise<Float32Array> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError(`path must be a non-empty string, got ${describe(path)}`);
    this.#live();
    return (await readAudio(path)).samples;
  }

  /** Recognises many clips with one model run; results are in input order. */
  async recognizeBatch(clips: readonly Float32Array[]): Promise<Recognition[]> {
    if (!Array.isArray(clips)) throw new TypeError(`clips must be an array of Float32Array, got ${describe(clips)}`);
    this.#live();
    if (clips.length === 0) return [];
    const size = this.frontEnd.inputSize;
    const batch = new Float32Array(clips.length * size);
    clips.forEach((clip, i) => batch.set(this.frontEnd.modelInput(checkClip(clip, `clips[${i}]`)), i * size));
    const probs = await this.runModel(batch, clips.length);
    return clips.map((_, i) => this.#toRecognition(probs, i * this.labels.length));
  }

  /** Frees the native session; the instance cannot be used afterwards. Safe to call twice. */
  async dispose(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    if (session !== null) await session.release();
  }
}
