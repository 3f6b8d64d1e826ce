/**
 * Recognition latency: the full path (wav bytes -> decode -> features -> onnxruntime -> label) and
 * the model alone in onnxruntime, against tfjs predict of the same network, in one run.
 * The model has the shipped architecture (bench-model.ts) with seeded random weights.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeWav, encodeWavPcm16 } from '../../features/audio/index.js';
import { initBackend } from '../../model/backend.js';
import { BiLstmClassifier } from '../../model/network.js';
import { Recognizer } from '../../pipeline/recognizer.js';
import { SeededRandom } from '../../util/random.js';
import { writeBenchModel } from './bench-model.js';
import { fmt, timeRuns } from './stats.js';

function speechLikeClips(count: number, seed: number): Float32Array[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () => {
    const clip = new Float32Array(16000);
    const f0 = 100 + 150 * rng.next();
    for (let i = 0; i < clip.length; i++) {
      const envelope = Math.exp(-(((i - 8000) / 3000) ** 2));
      clip[i] = 0.3 * envelope * (Math.sin((2 * Math.PI * f0 * i) / 16000) + 0.5 * Math.sin((2 * Math.PI * 3 * f0 * i) / 16000)) + 0.01 * (rng.next() - 0.5);
    }
    return clip;
  });
}

export async function benchRecognition(report: (line: string) => void): Promise<void> {
  const backend = await initBackend();
  const dir = await mkdtemp(join(tmpdir(), 'kws-bench-'));
  try {
    const { weights, onnxPath: modelPath } = await writeBenchModel(dir);
    const recognizer = await Recognizer.create(modelPath);
    report(`model: ${weights.architecture.lstmUnits.join('x')} BiLSTM, hidden ${weights.architecture.hiddenUnits} (the shipped architecture)`);
    const clips = speechLikeClips(200, 11);
    const wavs = clips.map((c) => encodeWavPcm16(c, 16000));
    const features = clips.map((c) => recognizer.frontEnd.features(c));

    const full = await timeRuns(500, 20, async (i) => {
      const audio = await decodeWav(wavs[i % wavs.length]!, 'bench.wav');
      return recognizer.recognizeSamples(audio.samples);
    });
    const ortAlone = await timeRuns(500, 20, (i) => recognizer.runModel(features[i % features.length]!, 1));
    const net = BiLstmClassifier.fromWeights(weights);
    const [frames, dim] = [recognizer.frontEnd.frames, recognizer.frontEnd.dim];
    const tfjsPredict = await timeRuns(30, 3, async (i) => {
      const out = tf.tidy(() => tf.softmax(net.logits(tf.tensor3d(features[i % features.length]!, [1, frames, dim]), false)));
      await out.data();
      out.dispose();
    });
    net.dispose();
    await recognizer.dispose();
    report(`full path (wav bytes -> label), 1 s clip, one thread: ${fmt(full)}   target p50 <= 1 ms`);
    report(`model alone, onnxruntime-node:                     ${fmt(ortAlone)}`);
    report(`model alone, tfjs ${backend} predict:                 ${fmt(tfjsPredict)}`);
    report(`ratio tfjs/onnxruntime (p50): ${(tfjsPredict.p50 / ortAlone.p50).toFixed(1)}x   target >= 50x`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
