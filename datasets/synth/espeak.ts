/**
 * eSpeak NG through `@echogarden/espeak-ng-emscripten`: an Emscripten module exposing an
 * `eSpeakNGWorker` whose `synthesize(text, callback)` hands 16-bit chunks at 22,050 Hz to the callback.
 */
import { checkProsody, TtsError, type Prosody, type TtsAudio, type TtsEngine } from './engine.js';

/** The English dialects of eSpeak NG (voice names as `set_voice` takes them; 'en' is British English). */
export const ESPEAK_DIALECTS = [
  'en-us', 'en-us-nyc', 'en', 'en-gb-scotland', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-gb-x-rp', 'en-029',
] as const;

/**
 * Voice variants that still sound like a person (the robotic, whispering and foreign-accent
 * variants of the package are left out). '' is the dialect's own voice.
 */
export const ESPEAK_VARIANTS = [
  '', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'f1', 'f2', 'f3', 'f4', 'f5',
  'klatt', 'klatt2', 'klatt3', 'klatt4', 'klatt6', 'Alex', 'Andy', 'Annie', 'adam', 'anika', 'aunty',
  'belinda', 'benjamin', 'caleb', 'david', 'ed', 'edward', 'grandma', 'grandpa', 'ian', 'john', 'linda',
  'max', 'michel', 'norbert', 'paul', 'quincy', 'rob', 'robert', 'steph', 'travis', 'victor', 'zac',
] as const;

export const ESPEAK_NORMAL_WPM = 175;
export const ESPEAK_NORMAL_PITCH = 50;

interface EspeakWorker {
  set_voice(name: string): number;
  rate: number;
  pitch: number;
  readonly samplerate: number;
  synthesize(text: string, callback: (samples: Int16Array | null, events: unknown[]) => number): void;
  /** A pointer (into the module's heap) to the NUL-terminated phoneme string of `text`. */
  text_to_phonemes(text: string, useIpa: boolean): { ptr: number };
}
interface EspeakModule {
  eSpeakNGWorker: new () => EspeakWorker;
  HEAPU8: Uint8Array;
}

export class EspeakEngine implements TtsEngine {
  readonly name = 'espeak' as const;
  readonly voices: readonly string[] = ESPEAK_DIALECTS.flatMap((d) => ESPEAK_VARIANTS.map((v) => (v ? `${d}+${v}` : d)));
  readonly #worker: EspeakWorker;
  readonly #module: EspeakModule;
  /** The voice set last, so phoneme lookups in one dialect set it once (set_voice is the slow part). */
  #voice: string | null = null;

  private constructor(module: EspeakModule, worker: EspeakWorker) {
    this.#module = module;
    this.#worker = worker;
  }

  static async create(): Promise<EspeakEngine> {
    const { default: init } = await import('@echogarden/espeak-ng-emscripten');
    const module = (await init()) as EspeakModule;
    return new EspeakEngine(module, new module.eSpeakNGWorker());
  }

  async synthesize(voice: string, text: string, prosody: Prosody): Promise<TtsAudio> {
    checkProsody('espeak', prosody);
    // Always set anew: a clip must not depend on what was synthesised before it.
    this.#voice = null;
    this.#setVoice(voice);
    this.#worker.rate = Math.round(ESPEAK_NORMAL_WPM * prosody.rate);
    this.#worker.pitch = Math.max(0, Math.min(99, Math.round(ESPEAK_NORMAL_PITCH * prosody.pitch)));
    const chunks: Int16Array[] = [];
    this.#worker.synthesize(text, (samples) => {
      if (samples && samples.length > 0) chunks.push(samples);
      return 0;
    });
    const length = chunks.reduce((n, c) => n + c.length, 0);
    const out = new Float32Array(length);
    let at = 0;
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.length; i++) out[at + i] = chunk[i]! / 32768;
      at += chunk.length;
    }
    return { samples: out, sampleRateHz: this.#worker.samplerate };
  }

  /**
   * The phonemes of `text` in `dialect` (IPA), one string per word, phonemes separated by `_`
   * ('happy' -> ['h_ˈæ_p_i']): what the near-miss word search compares.
   */
  phonemes(text: string, dialect = 'en-us'): string[] {
    this.#setVoice(dialect);
    const { ptr } = this.#worker.text_to_phonemes(text, true);
    const heap = this.#module.HEAPU8;
    let end = ptr;
    while (heap[end] !== 0) end++;
    return new TextDecoder().decode(heap.subarray(ptr, end)).trim().split(/\s+/).filter((w) => w.length > 0);
  }

  #setVoice(voice: string): void {
    if (voice === this.#voice) return;
    this.#voice = null;
    const status = this.#worker.set_voice(voice);
    if (status !== 0) throw new TtsError('espeak', `unknown voice '${voice}' (set_voice returned ${status})`);
    this.#voice = voice;
  }

  async close(): Promise<void> {}
}
