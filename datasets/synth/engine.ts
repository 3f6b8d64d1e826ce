/** What a text-to-speech engine offers the synthetic dataset generator. */

export const ENGINE_NAMES = ['espeak', 'flite', 'gnuspeech'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Speaking style, as multipliers of the engine's normal: rate 1.2 speaks 20% faster. */
export interface Prosody {
  rate: number;
  pitch: number;
}

export interface TtsAudio {
  samples: Float32Array;
  sampleRateHz: number;
}

export interface TtsEngine {
  readonly name: EngineName;
  /** Voice ids this engine accepts (for espeak: `dialect+variant`). */
  readonly voices: readonly string[];
  synthesize(voice: string, text: string, prosody: Prosody): Promise<TtsAudio>;
  /** Releases the engine's resources (temp folders, wasm memory). */
  close(): Promise<void>;
}

/** A voice or prosody the engine cannot render. */
export class TtsError extends Error {
  constructor(engine: EngineName, problem: string) {
    super(`${engine}: ${problem}`);
    this.name = 'TtsError';
  }
}

export function checkProsody(engine: EngineName, prosody: Prosody): void {
  for (const key of ['rate', 'pitch'] as const) {
    const v = prosody[key];
    if (!Number.isFinite(v) || v < 0.25 || v > 4) throw new TtsError(engine, `prosody.${key} must be in [0.25, 4], got ${v}`);
  }
}
