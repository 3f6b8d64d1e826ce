/**
 * The two ways the page turns 16 kHz audio into detections: over the server's WebSocket
 * (onnxruntime-node), or in the page (onnxruntime-web + Meyda, or an end-to-end model's own graph)
 * with the same StreamingDetector.
 */
import Meyda from 'meyda';
import * as ort from 'onnxruntime-web/wasm';
import { INPUT_NAME, PROBABILITIES_NAME } from '../model/onnx/export.js';
import { readOnnxManifest } from '../model/onnx/metadata.js';
import type { FeatureConfig } from '../features/types.js';
import { encodeAudioChunk, STREAM_PATH, type ServerMessage } from '../pipeline/demo/protocol.js';
import { StreamingDetector } from '../pipeline/streaming/detector.js';
import type { Detection, DetectorConfig, FrameMfcc, WindowScorer } from '../pipeline/streaming/types.js';

export type DemoMode = 'server' | 'browser';

export interface PosteriorView {
  timeSeconds: number;
  probabilities: ArrayLike<number>;
  smoothed: ArrayLike<number>;
}

export interface EngineEvents {
  posteriors(frame: PosteriorView): void;
  /** `chunkEndSeconds`: stream time at the end of the chunk whose processing fired it. */
  detection(detection: Detection, chunkEndSeconds: number): void;
  closed(reason: string): void;
}

export interface Engine {
  readonly mode: DemoMode;
  readonly labels: readonly string[];
  /** Sends one chunk of 16 kHz samples; resolves once it has been handed over (browser: processed). */
  push(samples: Float32Array): Promise<void>;
  close(): Promise<void>;
}

interface DemoConfig {
  model: string;
  labels: string[];
  detectorConfig: Partial<DetectorConfig>;
}

export async function fetchDemoConfig(): Promise<DemoConfig> {
  const response = await fetch('/demo-config.json');
  if (!response.ok) throw new Error(`/demo-config.json: HTTP ${response.status}`);
  return (await response.json()) as DemoConfig;
}

interface MeydaSettings {
  bufferSize: number;
  sampleRate: number;
  melBands: number;
  numberOfMFCCCoefficients: number;
  windowingFunction: string;
  extract(feature: 'mfcc', signal: Float32Array): number[];
}

/** The FrameMfcc of the in-browser mode: Meyda's own mfcc extractor, one frame at a time. */
export function meydaFrameMfcc(features: FeatureConfig): FrameMfcc {
  const meyda = Meyda as unknown as MeydaSettings;
  return (frame, out, offset) => {
    meyda.bufferSize = features.frameLengthSamples;
    meyda.sampleRate = features.sampleRateHz;
    meyda.melBands = features.melBands;
    meyda.numberOfMFCCCoefficients = features.mfccCoefficients;
    meyda.windowingFunction = features.windowingFunction;
    const mfcc = meyda.extract('mfcc', frame);
    if (!mfcc || mfcc.length !== features.mfccCoefficients) {
      throw new Error(`Meyda returned ${mfcc ? mfcc.length : 'no'} MFCCs, expected ${features.mfccCoefficients}`);
    }
    out.set(mfcc, offset);
  };
}

export class BrowserEngine implements Engine {
  readonly mode = 'browser' as const;
  readonly labels: readonly string[];
  readonly #detector: StreamingDetector;
  readonly #session: ort.InferenceSession;
  readonly #events: EngineEvents;
  #received = 0;

  private constructor(labels: readonly string[], detector: StreamingDetector, session: ort.InferenceSession, events: EngineEvents) {
    this.labels = labels;
    this.#detector = detector;
    this.#session = session;
    this.#events = events;
  }

  static async create(events: EngineEvents): Promise<BrowserEngine> {
    const config = await fetchDemoConfig();
    const response = await fetch('/model.onnx');
    if (!response.ok) throw new Error(`/model.onnx: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const manifest = readOnnxManifest(bytes, config.model);
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = { wasm: new URL('/ort/ort-wasm-simd-threaded.wasm', location.href).href };
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const { inputFrames, inputDim } = manifest.architecture;
    // An end-to-end model takes each window's samples and computes the features in the graph.
    const graphInput = manifest.graphInput;
    const scorer: WindowScorer = {
      labels: manifest.labels,
      async score(windows, count) {
        const feeds = graphInput
          ? { [graphInput.name]: new ort.Tensor('float32', windows, [count, graphInput.samples]) }
          : { [INPUT_NAME]: new ort.Tensor('float32', windows, [count, inputFrames, inputDim]) };
        const outputs = await session.run(feeds, [PROBABILITIES_NAME]);
        return outputs[PROBABILITIES_NAME]!.data as Float32Array;
      },
    };
    const model = { ...manifest, input: graphInput ? ('waveform' as const) : ('features' as const) };
    const detector = new StreamingDetector(model, scorer, graphInput ? null : meydaFrameMfcc(manifest.features), config.detectorConfig);
    return new BrowserEngine(manifest.labels, detector, session, events);
  }

  async push(samples: Float32Array): Promise<void> {
    this.#received += samples.length;
    const chunkEndSeconds = this.#received / 16000;
    const result = await this.#detector.push(samples);
    for (const frame of result.posteriors) this.#events.posteriors(frame);
    for (const detection of result.detections) this.#events.detection(detection, chunkEndSeconds);
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}

export class ServerEngine implements Engine {
  readonly mode = 'server' as const;
  readonly labels: readonly string[];
  readonly #socket: WebSocket;
  /** Set by close(): the page stopped the stream, so its close event is no error. */
  #stopping = false;

  private constructor(labels: readonly string[], socket: WebSocket) {
    this.labels = labels;
    this.#socket = socket;
  }

  static connect(events: EngineEvents): Promise<ServerEngine> {
    const url = new URL(STREAM_PATH, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url.href);
    socket.binaryType = 'arraybuffer';
    return new Promise((resolve, reject) => {
      let engine: ServerEngine | null = null;
      socket.addEventListener('message', (event) => {
        if (typeof event.data !== 'string') return;
        const message = JSON.parse(event.data) as ServerMessage;
        if (message.type === 'ready') {
          engine = new ServerEngine(message.labels, socket);
          resolve(engine);
        } else if (message.type === 'posteriors') {
          events.posteriors(message);
        } else if (message.type === 'detection') {
          events.detection(message.detection, message.chunkEndSeconds);
        }
      });
      socket.addEventListener('close', (event) => {
        const reason = `server closed the stream (${event.code}${event.reason ? `: ${event.reason}` : ''})`;
        if (engine === null) reject(new Error(reason));
        else if (!engine.#stopping) events.closed(reason);
      });
    });
  }

  async push(samples: Float32Array): Promise<void> {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(encodeAudioChunk(samples));
  }

  async close(): Promise<void> {
    this.#stopping = true;
    this.#socket.close(1000, 'stopped');
  }
}
