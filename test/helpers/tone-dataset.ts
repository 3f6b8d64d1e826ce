/**
 * A tiny Speech Commands-layout dataset made of generated signals, one distinctive chirp pattern per
 * word, so end-to-end tests can train, export and evaluate without any downloaded or shared audio.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeWavPcm16 } from '../../features/audio/index.js';
import { COMMANDS_12 } from '../../datasets/types.js';
import { SeededRandom } from '../../util/random.js';

const RATE = 16000;

function wordClip(wordIndex: number, rng: SeededRandom): Float32Array {
  const clip = new Float32Array(RATE);
  const start = Math.floor(RATE * (0.1 + 0.3 * rng.next()));
  const length = Math.floor(RATE * 0.45);
  const f0 = 250 + 90 * wordIndex;
  const slope = (wordIndex % 2 === 0 ? 1 : -1) * (200 + 40 * wordIndex);
  const gain = 0.2 + 0.3 * rng.next();
  for (let i = 0; i < length && start + i < RATE; i++) {
    const t = i / RATE;
    const envelope = Math.sin((Math.PI * i) / length);
    const phase = 2 * Math.PI * (f0 * t + 0.5 * slope * t * t);
    clip[start + i] = gain * envelope * (Math.sin(phase) + 0.4 * Math.sin(2 * phase));
  }
  for (let i = 0; i < RATE; i++) clip[i]! += 0.003 * (rng.next() - 0.5);
  return clip;
}

/** Writes `speakers` clips of each command word plus an unknown word and a noise recording. */
export async function writeToneDataset(root: string, speakers: number, seed = 5): Promise<void> {
  const rng = new SeededRandom(seed);
  const words = [...COMMANDS_12, 'marvin'];
  for (const [w, word] of words.entries()) {
    await mkdir(join(root, word), { recursive: true });
    for (let s = 0; s < speakers; s++) {
      const speaker = `${(0x1000 + s * 7919).toString(16)}aa${s.toString(16).padStart(2, '0')}`;
      await writeWavPcm16(join(root, word, `${speaker}_nohash_0.wav`), wordClip(w, rng), RATE);
    }
  }
  await mkdir(join(root, '_background_noise_'), { recursive: true });
  const noise = new Float32Array(RATE * 20);
  for (let i = 0; i < noise.length; i++) noise[i] = 0.05 * (rng.next() - 0.5);
  await writeWavPcm16(join(root, '_background_noise_', 'white_noise.wav'), noise, RATE);
}
