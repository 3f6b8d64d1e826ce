/**
 * The demo page: microphone (AudioWorklet) -> 16 kHz chunks -> server or in-browser engine ->
 * detected command, posterior bars, level meter and latency. `window.kwsDemo` exposes the state
 * and a `feed` hook so tests can push known audio through the same path as the microphone.
 */
import { BrowserEngine, ServerEngine, type DemoMode, type Engine, type EngineEvents } from './engines.js';
import { DemoView, type ShownDetection } from './ui.js';
import type { CaptureChunk } from './worklet.js';

const SAMPLE_RATE_HZ = 16000;
const CHUNK_SAMPLES = 1600;

interface DemoState {
  status: 'idle' | 'starting' | 'running' | 'error';
  mode: DemoMode;
  source: 'mic' | 'feed' | null;
  labels: string[];
  detections: ShownDetection[];
  posteriorFrames: number;
  /** Loudest chunk RMS since the stream started (the level meter's input). */
  maxRms: number;
  /** Sample rate of the AudioContext (the worklet resamples to 16 kHz when it differs). */
  contextSampleRateHz: number | null;
  error: string | null;
}

const view = new DemoView();
const startButton = document.getElementById('start') as HTMLButtonElement;
const modeInputs = [...document.querySelectorAll<HTMLInputElement>('input[name="mode"]')];

const state: DemoState = { status: 'idle', mode: 'server', source: null, labels: [], detections: [], posteriorFrames: 0, maxRms: 0, contextSampleRateHz: null, error: null };
let engine: Engine | null = null;
let streamSamples = 0;
/** Stream sample index at a chunk's end -> performance.now() when the chunk was captured. */
const captureTimes = new Map<number, number>();
let audio: { context: AudioContext; stream: MediaStream } | null = null;

function selectedMode(): DemoMode {
  return modeInputs.find((input) => input.checked)?.value === 'browser' ? 'browser' : 'server';
}

const events: EngineEvents = {
  posteriors(frame) {
    state.posteriorFrames++;
    view.showPosteriors(frame);
  },
  detection(detection, chunkEndSeconds) {
    const captured = captureTimes.get(Math.round(chunkEndSeconds * SAMPLE_RATE_HZ));
    const shown: ShownDetection = { ...detection, latencyMs: 0 };
    view.showDetection(shown);
    shown.latencyMs = captured === undefined ? NaN : performance.now() - captured;
    // The latency is known only once the display is updated; fill it in on the shown entry.
    view.updateLatestLatency(shown.latencyMs);
    state.detections.push(shown);
  },
  closed(reason) {
    fail(reason);
  },
};

function fail(message: string): void {
  state.status = 'error';
  state.error = message;
  view.setStatus(message, 'error');
  void stop();
}

/** Hands one 16 kHz chunk to the engine, remembering when it was captured for the latency. */
async function handleChunk(samples: Float32Array, rms: number): Promise<void> {
  if (!engine) return;
  view.showLevel(rms);
  state.maxRms = Math.max(state.maxRms, rms);
  streamSamples += samples.length;
  captureTimes.set(streamSamples, performance.now());
  for (const key of captureTimes.keys()) {
    if (key < streamSamples - 10 * SAMPLE_RATE_HZ) captureTimes.delete(key);
    else break;
  }
  await engine.push(samples);
}

async function startEngine(source: 'mic' | 'feed'): Promise<void> {
  await stop();
  state.mode = selectedMode();
  state.source = source;
  state.status = 'starting';
  state.error = null;
  state.detections = [];
  state.posteriorFrames = 0;
  state.maxRms = 0;
  streamSamples = 0;
  captureTimes.clear();
  view.reset();
  view.setStatus(state.mode === 'server' ? 'connecting to the server…' : 'loading the model in the page (onnxruntime-web)…');
  engine = state.mode === 'server' ? await ServerEngine.connect(events) : await BrowserEngine.create(events);
  state.labels = [...engine.labels];
  view.setLabels(engine.labels);
}

async function startMicrophone(): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  let context = new AudioContext({ sampleRate: SAMPLE_RATE_HZ });
  let source: MediaStreamAudioSourceNode;
  try {
    source = context.createMediaStreamSource(stream);
  } catch {
    // Older engines cannot feed a 16 kHz context from a device at another rate: resample in the worklet.
    await context.close();
    context = new AudioContext();
    source = context.createMediaStreamSource(stream);
  }
  await context.audioWorklet.addModule('/worklet.js');
  const capture = new AudioWorkletNode(context, 'kws-capture', { processorOptions: { chunkSamples: CHUNK_SAMPLES }, numberOfOutputs: 1 });
  capture.port.onmessage = (event: MessageEvent<CaptureChunk>) => {
    handleChunk(event.data.samples, event.data.rms).catch((err: unknown) => fail(`processing failed: ${(err as Error).message}`));
  };
  // A silent path to the destination keeps the graph pulling the worklet in every browser.
  const mute = context.createGain();
  mute.gain.value = 0;
  source.connect(capture).connect(mute).connect(context.destination);
  await context.resume();
  audio = { context, stream };
  state.contextSampleRateHz = context.sampleRate;
}

async function start(): Promise<void> {
  try {
    await startEngine('mic');
    await startMicrophone();
    state.status = 'running';
    view.setStatus(`listening (${state.mode === 'server' ? 'server mode: onnxruntime-node' : 'in-browser mode: onnxruntime-web'}, mic at ${state.contextSampleRateHz} Hz)`);
    startButton.textContent = 'Stop';
  } catch (err) {
    fail(`cannot start: ${(err as Error).message}`);
  }
}

async function stop(): Promise<void> {
  const current = engine;
  engine = null;
  if (audio) {
    audio.stream.getTracks().forEach((track) => track.stop());
    await audio.context.close().catch(() => undefined);
    audio = null;
  }
  if (current) await current.close().catch(() => undefined);
  if (state.status !== 'error') state.status = 'idle';
  startButton.textContent = 'Start';
}

startButton.addEventListener('click', () => {
  if (engine || state.status === 'starting') {
    void stop().then(() => view.setStatus('stopped'));
  } else {
    void start();
  }
});
for (const input of modeInputs) {
  input.addEventListener('change', () => {
    if (engine) void stop().then(() => view.setStatus(`mode switched to ${selectedMode()}: press Start`));
  });
}

/**
 * Test hook: streams `samples` (16 kHz) through the selected mode in chunks, as the microphone
 * would. The server mode is paced at 1.5x real time to stay inside the server's rate limit.
 */
async function feed(samples: ArrayLike<number>, chunkSamples = CHUNK_SAMPLES): Promise<ShownDetection[]> {
  await startEngine('feed');
  state.status = 'running';
  view.setStatus(`feeding ${(samples.length / SAMPLE_RATE_HZ).toFixed(1)} s of audio (${state.mode} mode)`);
  const all = Float32Array.from(samples);
  const started = performance.now();
  for (let at = 0; at < all.length; at += chunkSamples) {
    const chunk = all.slice(at, Math.min(all.length, at + chunkSamples));
    let sum = 0;
    for (const s of chunk) sum += s * s;
    await handleChunk(chunk, Math.sqrt(sum / chunk.length));
    if (state.mode === 'server') {
      const due = started + ((at + chunk.length) / SAMPLE_RATE_HZ / 1.5) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return state.detections;
}

declare global {
  interface Window {
    kwsDemo: { state: DemoState; feed: typeof feed; stop: typeof stop };
  }
}
window.kwsDemo = { state, feed, stop };
view.setStatus('ready: pick a mode and press Start');
