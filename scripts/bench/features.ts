/**
 * Feature extraction speed for 1 s clips: FastMfcc against frame-by-frame Meyda.extract('mfcc'),
 * both measured in the same run on the same clips (real speech when ../shared/data is there,
 * generated otherwise), reported as median ms per clip and the speed-up ratio.
 * Standalone: `node dist/scripts/bench/features.js`.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fitToLength, readAudio } from '../../features/audio/index.js';
import { DEFAULT_FEATURE_CONFIG } from '../../features/config.js';
import { FeatureExtractor } from '../../features/extractor.js';
import { FastMfcc } from '../../features/mfcc-fast.js';
import { mfccMeyda } from '../../features/mfcc-meyda.js';
import { fmt, timeRuns } from './stats.js';

const CLIPS = 60;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const speechDir = path.resolve(repoRoot, '../shared/data/speech_commands_v0.02_test_half');

async function realClips(count: number, length: number): Promise<Float32Array[]> {
  const folders = readdirSync(speechDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const perFolder = Math.ceil(count / folders.length);
  const files = folders.flatMap((folder) =>
    readdirSync(path.join(speechDir, folder))
      .filter((name) => name.endsWith('.wav'))
      .sort()
      .slice(0, perFolder)
      .map((name) => path.join(speechDir, folder, name)),
  );
  const clips: Float32Array[] = [];
  for (const file of files.slice(0, count)) clips.push(fitToLength((await readAudio(file)).samples, length));
  return clips;
}

function generatedClips(count: number, length: number): Float32Array[] {
  return Array.from({ length: count }, (_, c) => {
    const f1 = 200 + 37 * c;
    const f2 = 900 + 113 * c;
    return Float32Array.from({ length }, (_, i) => {
      const envelope = Math.sin((Math.PI * i) / length);
      return envelope * (0.4 * Math.sin((2 * Math.PI * f1 * i) / 16000) + 0.2 * Math.sin((2 * Math.PI * f2 * i) / 16000));
    });
  });
}

export async function benchFeatures(report: (line: string) => void): Promise<void> {
  const config = DEFAULT_FEATURE_CONFIG;
  const haveReal = existsSync(speechDir);
  const clips = haveReal ? await realClips(CLIPS, config.clipLengthSamples) : generatedClips(CLIPS, config.clipLengthSamples);
  report(`clips: ${clips.length} ${haveReal ? 'real (speech_commands_v0.02_test_half)' : 'generated (../shared/data absent)'}, 1 s at 16 kHz`);

  const fast = new FastMfcc(config);
  const extractor = new FeatureExtractor(config);
  const runs = clips.length * 2;
  const clip = (i: number): Float32Array => clips[i % clips.length];

  const meyda = await timeRuns(runs, 10, (i) => mfccMeyda(clip(i), config));
  const fastTiming = await timeRuns(runs, 10, (i) => fast.compute(clip(i)));
  const full = await timeRuns(runs, 10, (i) => extractor.extract(clip(i)));

  report(`meyda frame-by-frame mfcc: ${fmt(meyda)}`);
  report(`FastMfcc.compute:          ${fmt(fastTiming)}`);
  report(`FeatureExtractor.extract (mfcc + deltas + utterance norm): ${fmt(full)}`);
  report(`speed-up (median ms per clip, meyda / fast): ${(meyda.p50 / fastTiming.p50).toFixed(1)}x`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchFeatures((line) => process.stdout.write(`${line}\n`));
}
