/**
 * Batch transcription throughput, end to end (list, read, decode, features, inference, write JSONL
 * with fsync per batch), in a child process per run so its peak RSS can be read:
 *  - 2,000 one-second clips (real Speech Commands clips when ../shared/data is there, generated
 *    ones to reach the count), `--jobs` = cores, batches of 64;
 *  - the same 2,000 files hard-linked 10x (20,000 distinct paths), to show memory stays flat;
 *  - the naive loop on a subset, in this process: one file at a time, frame-by-frame Meyda MFCC,
 *    tfjs predict, one line appended per file.
 * The model is the shipped architecture (bench-model.ts) with seeded random weights.
 * Standalone: `node dist/scripts/bench/batch.js`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, copyFile, link, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { decodeWav, fitToLength, writeWavPcm16 } from '../../features/audio/index.js';
import { DEFAULT_FEATURE_CONFIG, featureDim, framesFor } from '../../features/config.js';
import { extractFeatures } from '../../features/extractor.js';
import { initBackend } from '../../model/backend.js';
import { BiLstmClassifier } from '../../model/network.js';
import type { ModelWeights } from '../../model/types.js';
import { writeBenchModel } from './bench-model.js';
import { SeededRandom } from '../../util/random.js';

const CLIPS = 2000;
const NAIVE_CLIPS = 100;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const speechDir = path.resolve(repoRoot, '../shared/data/speech_commands_v0.02_test_half');

function realClipPaths(limit: number): string[] {
  if (!existsSync(speechDir)) return [];
  const out: string[] = [];
  for (const folder of readdirSync(speechDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    for (const name of readdirSync(path.join(speechDir, folder)).filter((n) => n.endsWith('.wav')).sort()) {
      out.push(path.join(speechDir, folder, name));
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/** Writes `count` clips into dir/clips: copies of real ones first, generated speech-like ones after. */
async function writeClips(dir: string, count: number): Promise<{ files: string[]; real: number }> {
  const clipsDir = path.join(dir, 'clips');
  await mkdir(clipsDir, { recursive: true });
  const real = realClipPaths(count);
  const files: string[] = [];
  for (const [i, src] of real.entries()) {
    const dest = path.join(clipsDir, `r${String(i).padStart(5, '0')}.wav`);
    await copyFile(src, dest);
    files.push(dest);
  }
  const rng = new SeededRandom(17);
  const clip = new Float32Array(16000);
  for (let i = real.length; i < count; i++) {
    const f0 = 100 + 150 * rng.next();
    for (let s = 0; s < clip.length; s++) {
      const envelope = Math.exp(-(((s - 8000) / 3000) ** 2));
      clip[s] = 0.3 * envelope * (Math.sin((2 * Math.PI * f0 * s) / 16000) + 0.5 * Math.sin((2 * Math.PI * 3 * f0 * s) / 16000)) + 0.01 * (rng.next() - 0.5);
    }
    const dest = path.join(clipsDir, `g${String(i).padStart(5, '0')}.wav`);
    await writeWavPcm16(dest, clip, 16000);
    files.push(dest);
  }
  return { files, real: real.length };
}

interface ChildRun {
  processed: number;
  failures: number;
  seconds: number;
  filesPerSecond: number;
  wallSeconds: number;
  maxRssMb: number;
}

/** One `runTranscribe` in a fresh node process; its peak RSS comes from process.resourceUsage(). */
async function runChild(input: string, modelPath: string, out: string, jobs: number): Promise<ChildRun> {
  const script = `
    const { runTranscribe } = await import(${JSON.stringify(pathToFileURL(path.join(repoRoot, 'dist/pipeline/transcribe.js')).href)});
    const r = await runTranscribe({ inputs: [${JSON.stringify(input)}], modelPath: ${JSON.stringify(modelPath)}, out: ${JSON.stringify(out)}, jobs: ${jobs}, progress: false, stderr: { write() {} } });
    process.stdout.write(JSON.stringify({ processed: r.processed, failures: r.failures, seconds: r.seconds, filesPerSecond: r.filesPerSecond, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  `;
  const started = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { maxBuffer: 1 << 20 });
  return { ...(JSON.parse(stdout) as Omit<ChildRun, 'wallSeconds'>), wallSeconds: (performance.now() - started) / 1000 };
}

/** The naive loop over `files`: one at a time, Meyda frame by frame, tfjs predict, one appended line each. */
async function naiveLoop(files: readonly string[], weights: ModelWeights, out: string): Promise<number> {
  const net = BiLstmClassifier.fromWeights(weights);
  const config = DEFAULT_FEATURE_CONFIG;
  const frames = framesFor(config, config.clipLengthSamples);
  const dim = featureDim(config);
  const labels = Array.from({ length: 12 }, (_, i) => `c${i}`);
  try {
    const started = performance.now();
    for (const file of files) {
      const audio = await decodeWav(await readFile(file), file);
      const features = extractFeatures(fitToLength(audio.samples, config.clipLengthSamples), config, { implementation: 'meyda' });
      const probs = tf.tidy(() => tf.softmax(net.logits(tf.tensor3d(features.data, [1, frames, dim]), false)));
      const p = await probs.data();
      probs.dispose();
      let best = 0;
      for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
      await appendFile(out, JSON.stringify({ file, label: labels[best], score: p[best] }) + '\n');
    }
    return (performance.now() - started) / 1000;
  } finally {
    net.dispose();
  }
}

export async function benchBatch(report: (line: string) => void): Promise<void> {
  const backend = await initBackend();
  const dir = await mkdtemp(path.join(tmpdir(), 'kws-bench-batch-'));
  try {
    const { weights, onnxPath: modelPath } = await writeBenchModel(dir);
    const { files, real } = await writeClips(dir, CLIPS);
    const jobs = availableParallelism();
    report(`${CLIPS} clips of 1 s (${real} real Speech Commands, ${CLIPS - real} generated), model ${weights.architecture.lstmUnits.join('x')} BiLSTM, --jobs ${jobs}, batches of 64, JSONL + fsync per batch`);

    // 20,000 distinct paths: the same files hard-linked into 10 folders.
    const many = path.join(dir, 'many');
    for (let copy = 0; copy < 10; copy++) {
      const sub = path.join(many, `copy${copy}`);
      await mkdir(sub, { recursive: true });
      for (const f of files) await link(f, path.join(sub, path.basename(f)));
    }

    await runChild(path.join(dir, 'clips'), modelPath, path.join(dir, 'warm.jsonl'), jobs); // page cache and JIT warm-up
    const small = await runChild(path.join(dir, 'clips'), modelPath, path.join(dir, 'small.jsonl'), jobs);
    const big = await runChild(many, modelPath, path.join(dir, 'big.jsonl'), jobs);

    const naiveSeconds = await naiveLoop(files.slice(0, NAIVE_CLIPS), weights, path.join(dir, 'naive.jsonl'));
    const naiveRate = NAIVE_CLIPS / naiveSeconds;

    const line = (name: string, r: ChildRun): string =>
      `${name}: ${r.filesPerSecond.toFixed(0)} clips/s (${r.processed} files in ${r.seconds.toFixed(2)} s; process wall ${r.wallSeconds.toFixed(2)} s incl. start-up), peak RSS ${r.maxRssMb.toFixed(0)} MB`;
    report(line('kws transcribe,  2,000 files', small) + '   target >= 1000 clips/s');
    report(line('kws transcribe, 20,000 files', big));
    report(`peak RSS 20k / 2k: ${(big.maxRssMb / small.maxRssMb).toFixed(2)}x   target: flat (~1x)`);
    report(`naive loop (meyda frame by frame + tfjs ${backend} predict, one file at a time), ${NAIVE_CLIPS} clips: ${naiveRate.toFixed(1)} clips/s`);
    report(`speed-up batch / naive: ${(small.filesPerSecond / naiveRate).toFixed(0)}x at 2k files, ${(big.filesPerSecond / naiveRate).toFixed(0)}x at 20k (steady state)   target >= 50x`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchBatch((l) => process.stdout.write(`${l}\n`));
}
