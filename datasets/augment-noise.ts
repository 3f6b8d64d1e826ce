/** Background noise recordings for augmentation, decoded once into shared memory. */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readAudio } from '../features/audio/index.js';
import type { NoiseRecording } from './augment.js';

export interface NoiseSource {
  path: string;
  /**
   * Fraction of the recording, from its start, that augmentation may draw from. Data folders cut
   * their validation/test silence clips from the end of the same recordings, so training noise
   * comes only from the train share (see sliceSilence in speech-commands.ts).
   */
  usableFraction: number;
}

/** The wav files directly inside `dir`, sorted, as absolute paths. */
export async function noiseFilesIn(dir: string): Promise<string[]> {
  const abs = resolve(dir);
  let names: string[];
  try {
    names = await readdir(abs);
  } catch (err) {
    throw new Error(`noise folder ${abs}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const wavs = names.filter((n) => !n.startsWith('.') && /\.wav$/i.test(n)).sort();
  if (wavs.length === 0 && names.includes('_background_noise_')) return noiseFilesIn(join(abs, '_background_noise_'));
  if (wavs.length === 0) throw new Error(`noise folder ${abs}: no .wav files (nor a _background_noise_/ folder of them)`);
  return wavs.map((n) => join(abs, n));
}

export async function loadNoiseRecordings(sources: NoiseSource[]): Promise<NoiseRecording[]> {
  const recordings: NoiseRecording[] = [];
  for (const source of sources) {
    if (!(source.usableFraction > 0 && source.usableFraction <= 1)) throw new RangeError(`${source.path}: usableFraction must be in (0, 1], got ${source.usableFraction}`);
    const decoded = (await readAudio(source.path)).samples;
    // Only the usable part is kept: a noise segment wraps around within it, never past it.
    const usable = Math.floor(decoded.length * source.usableFraction);
    if (usable === 0) continue;
    const samples = new Float32Array(new SharedArrayBuffer(usable * 4));
    samples.set(decoded.subarray(0, usable));
    recordings.push({ samples, usable });
  }
  return recordings;
}
