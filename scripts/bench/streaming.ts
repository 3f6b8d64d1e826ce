/**
 * Streaming detection speed: real-time factor (processing time / audio time) of StreamingDetector
 * over 60 s of audio at hop 100 ms on one thread, against the naive approach (whole-window
 * FeatureExtractor.extract + one model run per hop), measured in the same run. The model has the
 * shipped architecture (bench-model.ts) with seeded random weights.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureExtractor } from '../../features/extractor.js';
import { initBackend } from '../../model/backend.js';
import { SeededRandom } from '../../util/random.js';
import { Recognizer } from '../../pipeline/recognizer.js';
import { createNodeDetector } from '../../pipeline/streaming/node.js';
import { writeBenchModel } from './bench-model.js';

const AUDIO_SECONDS = 60;
const HOP_MS = 100;
const REPEATS = 3;

function speechLikeStream(seconds: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(seconds * 16000);
  let f0 = 150;
  for (let i = 0; i < out.length; i++) {
    if (i % 8000 === 0) f0 = 100 + 150 * rng.next();
    const envelope = 0.5 + 0.5 * Math.sin(i / 1800);
    out[i] = 0.2 * envelope * (Math.sin((2 * Math.PI * f0 * i) / 16000) + 0.4 * Math.sin((6 * Math.PI * f0 * i) / 16000)) + 0.01 * (rng.next() - 0.5);
  }
  return out;
}

async function bestOf(repeats: number, fn: () => Promise<void>): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    await fn();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}

export async function benchStreaming(report: (line: string) => void): Promise<void> {
  await initBackend();
  const dir = await mkdtemp(join(tmpdir(), 'kws-bench-stream-'));
  try {
    const { onnxPath: modelPath, manifest } = await writeBenchModel(dir);
    const recognizer = await Recognizer.create(modelPath, { intraOpThreads: 1 });
    const audio = speechLikeStream(AUDIO_SECONDS, 5);
    const detector = createNodeDetector(recognizer, { hopMs: HOP_MS });
    const hop = detector.hopSamples;
    const window = detector.windowSamples;

    // Live: 100 ms chunks as a microphone delivers them, one window per push.
    const live = await bestOf(REPEATS, async () => {
      for (let i = 0; i < audio.length; i += hop) await detector.push(audio.subarray(i, i + hop));
      await detector.flush();
    });
    // File: 10 s chunks, windows scored in batches of up to 32.
    const file = await bestOf(REPEATS, async () => {
      for (let i = 0; i < audio.length; i += 160000) await detector.push(audio.subarray(i, i + 160000));
      await detector.flush();
    });
    const extractor = new FeatureExtractor(manifest.features);
    const naive = await bestOf(REPEATS, async () => {
      for (let end = window; end <= audio.length; end += hop) await recognizer.runModel(extractor.extract(audio.subarray(end - window, end)).data, 1);
    });
    const windows = Math.floor((audio.length - window) / hop) + 1;
    const modelAlone = await bestOf(REPEATS, async () => {
      const input = extractor.extract(audio.subarray(0, window)).data;
      for (let k = 0; k < windows; k++) await recognizer.runModel(input, 1);
    });
    await recognizer.dispose();
    const rtf = (s: number) => (s / AUDIO_SECONDS).toFixed(4);
    report(`${AUDIO_SECONDS} s of audio, hop ${HOP_MS} ms (${windows} windows), one thread, best of ${REPEATS}`);
    report(`streaming detector, live 100 ms chunks:  ${live.toFixed(3)} s   RTF ${rtf(live)}   target <= 0.01`);
    report(`streaming detector, file 10 s chunks:    ${file.toFixed(3)} s   RTF ${rtf(file)}`);
    report(`naive (extract 1 s + model per hop):      ${naive.toFixed(3)} s   RTF ${rtf(naive)}`);
    report(`model alone, one window per hop:          ${modelAlone.toFixed(3)} s   RTF ${rtf(modelAlone)}`);
    report(`speed-up over naive: live ${(naive / live).toFixed(2)}x, file ${(naive / file).toFixed(2)}x`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
