/**
 * GnuSpeech through `@echogarden/gnuspeech-wasm`: an articulatory synthesizer (a tube model of
 * the vocal tract driven by rules), unlike eSpeak's and Flite's formant and diphone voices. The
 * package's own `synthesize` varies only voice and tempo and leaves GnuSpeech's random intonation
 * on, whose generator runs on from utterance to utterance, so a clip would depend on what was said
 * before it. This wrapper drives the same wasm module with random intonation and drift off and
 * sets pitch and vocal-tract length itself: a clip depends on its voice, text and prosody alone.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeWav } from '../../features/audio/index.js';
import { checkProsody, TtsError, type Prosody, type TtsAudio, type TtsEngine } from './engine.js';

/** GnuSpeech's adult and child voices (its `baby` voice is left out: no command speaker sounds like it). */
export const GNUSPEECH_VOICES = ['male', 'female', 'large_child', 'small_child'] as const;
export type GnuSpeechVoice = (typeof GNUSPEECH_VOICES)[number];

/** The vocal-tract length of each voice in cm (the package's voice files); a voice id may scale it. */
export const GNUSPEECH_TRACT_CM: Record<GnuSpeechVoice, number> = { male: 17.5, female: 15, large_child: 12.5, small_child: 10 };

const DATA_DIR = '/data/en';

interface GnuSpeechModule {
  FS: { readFile(path: string): Uint8Array; readFile(path: string, o: { encoding: 'utf8' }): string; writeFile(path: string, data: string): void };
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _GnuSpeech_synthesizeToFile(text: number, wavPath: number, configDir: number, paramPath: number, debug: number): void;
}

/**
 * A voice id: `male`, or a voice with its vocal tract set, `female:14.2` (cm, 8–20). A longer tract
 * lowers every formant: the speaker sounds bigger.
 */
export function parseGnuSpeechVoice(id: string): { voice: GnuSpeechVoice; tractCm: number } {
  const [name, tract, ...rest] = id.split(':');
  const voice = GNUSPEECH_VOICES.find((v) => v === name);
  const tractCm = tract === undefined ? (voice ? GNUSPEECH_TRACT_CM[voice] : NaN) : Number(tract);
  if (!voice || rest.length > 0 || !Number.isFinite(tractCm) || tractCm < 8 || tractCm > 20) {
    throw new TtsError('gnuspeech', `unknown voice '${id}' (voices: ${GNUSPEECH_VOICES.join(', ')}, optionally ':' and a vocal-tract length of 8-20 cm)`);
  }
  return { voice, tractCm };
}

export class GnuSpeechEngine implements TtsEngine {
  readonly name = 'gnuspeech' as const;
  readonly voices: readonly string[] = GNUSPEECH_VOICES;
  readonly #module: GnuSpeechModule;
  readonly #controlModel: string;
  readonly #voiceFiles: ReadonlyMap<GnuSpeechVoice, string>;

  private constructor(module: GnuSpeechModule, controlModel: string, voiceFiles: ReadonlyMap<GnuSpeechVoice, string>) {
    this.#module = module;
    this.#controlModel = controlModel;
    this.#voiceFiles = voiceFiles;
  }

  static async create(): Promise<GnuSpeechEngine> {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('@echogarden/gnuspeech-wasm/package.json'));
    const { default: init } = (await import(pathToFileURL(join(root, 'wasm', 'gnuspeech.js')).href)) as { default: () => Promise<GnuSpeechModule> };
    const module = await init();
    const controlModel = module.FS.readFile(`${DATA_DIR}/trm_control_model.txt`, { encoding: 'utf8' });
    const voiceFiles = new Map(GNUSPEECH_VOICES.map((v) => [v, module.FS.readFile(`${DATA_DIR}/voice_${v}.txt`, { encoding: 'utf8' })] as const));
    return new GnuSpeechEngine(module, controlModel, voiceFiles);
  }

  async synthesize(voiceId: string, text: string, prosody: Prosody): Promise<TtsAudio> {
    checkProsody('gnuspeech', prosody);
    const { voice, tractCm } = parseGnuSpeechVoice(voiceId);
    if (/[\0\n]/.test(text) || text.trim().length === 0) throw new TtsError('gnuspeech', 'text must be a non-empty line');
    const m = this.#module;
    // Pitch as a multiple of the voice's own, in the control model's semitone offset (its default is -4).
    const pitchOffset = -4 + 12 * Math.log2(prosody.pitch);
    m.FS.writeFile(`${DATA_DIR}/trm_control_model.txt`, setSettings(this.#controlModel, {
      voice_name: voice,
      tempo: prosody.rate.toFixed(4),
      pitch_offset: pitchOffset.toFixed(3),
      intonation_drift: '0',
      random_intonation: '0',
    }));
    m.FS.writeFile(`${DATA_DIR}/voice_${voice}.txt`, setSettings(this.#voiceFiles.get(voice)!, { vocal_tract_length: tractCm.toFixed(3) }));
    const strings = [text, '/tmp/kws-gnuspeech.wav', DATA_DIR, '/tmp/kws-gnuspeech-params.txt'].map((s) => this.#cString(s));
    try {
      m._GnuSpeech_synthesizeToFile(strings[0]!, strings[1]!, strings[2]!, strings[3]!, 0);
    } finally {
      for (const pointer of strings) m._free(pointer);
    }
    const decoded = await decodeWav(m.FS.readFile('/tmp/kws-gnuspeech.wav'), `gnuspeech ${voiceId} '${text}'`);
    return { samples: decoded.samples, sampleRateHz: decoded.sampleRateHz };
  }

  #cString(text: string): number {
    const bytes = new TextEncoder().encode(`${text}\0`);
    const pointer = this.#module._malloc(bytes.length);
    this.#module.HEAPU8.set(bytes, pointer);
    return pointer;
  }

  async close(): Promise<void> {}
}

/** `key = value` lines of a GnuSpeech settings file replaced (every key must be there once). */
function setSettings(file: string, values: Readonly<Record<string, string>>): string {
  let out = file;
  for (const [key, value] of Object.entries(values)) {
    const line = new RegExp(`^${key}\\s*=.*$`, 'm');
    if (!line.test(out)) throw new TtsError('gnuspeech', `the package's settings have no '${key}' line: a changed @echogarden/gnuspeech-wasm?`);
    out = out.replace(line, `${key} = ${value}`);
  }
  return out;
}
