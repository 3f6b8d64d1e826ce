/**
 * End-to-end models (waveform in, the front-end inside the ONNX graph) against today's path
 * (FastMfcc in JS + the classifier in onnxruntime), in one run, on the shipped architecture with
 * seeded random weights: full path per clip (wav bytes -> label), batch clips/s (decode +
 * recognizeBatch of 64), streaming real-time factor (live 100 ms chunks, 10 s file chunks), for
 * the float and the int8 end-to-end files; and the file sizes.
 */
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWav, encodeWavPcm16 } from '../../features/audio/index.js';
import { composeEndToEnd } from '../../model/onnx/end-to-end.js';
import { quantizeWeightsInt8 } from '../../model/onnx/quantize.js';
import { parityWaveforms } from '../../model/onnx/verify-end-to-end.js';
import { Recognizer } from '../../pipeline/recognizer.js';
import { createNodeDetector } from '../../pipeline/streaming/node.js';
import { writeBenchModel } from './bench-model.js';
import { fmt, timeRuns } from './stats.js';

const BATCH_CLIPS = 640;
const BATCH_SIZE = 64;
const STREAM_SECONDS = 30;

async function clipsPerSecond(recognizer: Recognizer, wavs: readonly Uint8Array[]): Promise<number> {
  let best = 0;
  for (let repeat = 0; repeat < 2; repeat++) {
    const started = performance.now();
    for (let at = 0; at < wavs.length; at += BATCH_SIZE) {
      const clips = await Promise.all(wavs.slice(at, at + BATCH_SIZE).map(async (w) => (await decodeWav(w, 'bench.wav')).samples));
      await recognizer.recognizeBatch(clips);
    }
    best = Math.max(best, wavs.length / ((performance.now() - started) / 1000));
  }
  return best;
}

async function streamingRtf(recognizer: Recognizer, audio: Float32Array, chunk: number): Promise<number> {
  const detector = createNodeDetector(recognizer, { hopMs: 100 });
  let best = Infinity;
  for (let repeat = 0; repeat < 2; repeat++) {
    const started = performance.now();
    for (let i = 0; i < audio.length; i += chunk) await detector.push(audio.subarray(i, i + chunk));
    await detector.flush();
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  return best / (audio.length / 16000);
}

export async function benchEndToEnd(report: (line: string) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kws-bench-e2e-'));
  try {
    const { onnxPath } = await writeBenchModel(dir);
    const plainBytes = new Uint8Array(await readFile(onnxPath));
    const e2eBytes = composeEndToEnd(plainBytes);
    const int8Bytes = quantizeWeightsInt8(e2eBytes);
    const paths = { plain: onnxPath, e2e: join(dir, 'model.e2e.onnx'), int8: join(dir, 'model.e2e.int8.onnx') };
    await writeFile(paths.e2e, e2eBytes);
    await writeFile(paths.int8, int8Bytes);
    const models = {
      plain: await Recognizer.create(paths.plain),
      e2e: await Recognizer.create(paths.e2e),
      int8: await Recognizer.create(paths.int8),
    };
    const names = { plain: 'today (FastMfcc + classifier)', e2e: 'end-to-end float', int8: 'end-to-end int8' } as const;
    const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
    report(`sizes: classifier ${kib(plainBytes.length)}, end-to-end ${kib(e2eBytes.length)}, end-to-end int8 ${kib(int8Bytes.length)} (${(int8Bytes.length / e2eBytes.length).toFixed(2)} of float)`);

    const clips = parityWaveforms(BATCH_CLIPS, 16000, 21);
    const wavs = clips.map((c) => encodeWavPcm16(c, 16000));
    const full: Record<string, number> = {};
    for (const key of ['plain', 'e2e', 'int8'] as const) {
      const t = await timeRuns(400, 20, async (i) => models[key].recognizeSamples((await decodeWav(wavs[i % wavs.length]!, 'bench.wav')).samples));
      full[key] = t.p50;
      report(`full path per clip, one thread, ${names[key].padEnd(30)} ${fmt(t)}`);
    }
    const batch: Record<string, number> = {};
    for (const key of ['plain', 'e2e', 'int8'] as const) {
      batch[key] = await clipsPerSecond(models[key], wavs);
      report(`batch (decode + recognizeBatch of ${BATCH_SIZE}), ${names[key].padEnd(30)} ${batch[key].toFixed(0)} clips/s`);
    }
    const audio = new Float32Array(STREAM_SECONDS * 16000);
    parityWaveforms(STREAM_SECONDS, 16000, 22).forEach((c, i) => audio.set(c, i * 16000));
    const live: Record<string, number> = {};
    for (const key of ['plain', 'e2e', 'int8'] as const) {
      live[key] = await streamingRtf(models[key], audio, 1600);
      const file = await streamingRtf(models[key], audio, 160000);
      report(`streaming ${STREAM_SECONDS} s, hop 100 ms, ${names[key].padEnd(30)} RTF live ${live[key].toFixed(4)}, file chunks ${file.toFixed(4)}`);
    }
    report(`ratios end-to-end float / today: full path p50 ${(full.e2e! / full.plain!).toFixed(2)}x time, batch ${(batch.e2e! / batch.plain!).toFixed(2)}x clips/s, streaming live ${(live.e2e! / live.plain!).toFixed(2)}x RTF`);
    report(`ratios int8 / end-to-end float: full path p50 ${(full.int8! / full.e2e!).toFixed(2)}x time, batch ${(batch.int8! / batch.e2e!).toFixed(2)}x clips/s`);
    for (const r of Object.values(models)) await r.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
