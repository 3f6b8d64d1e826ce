/** Why an audio file could not be turned into samples. */
export type WavErrorCode =
  | 'unreadable'
  | 'not-audio'
  | 'corrupt'
  | 'not-riff-wave'
  | 'truncated'
  | 'header-overclaims'
  | 'empty'
  | 'unsupported-encoding'
  | 'bad-format'
  | 'non-finite';

/** An audio file (wav, Ogg Opus, FLAC, MP3) that cannot be decoded; the message starts with the file name. */
export class WavError extends Error {
  override readonly name = 'WavError';
  readonly file: string;
  readonly code: WavErrorCode;

  constructor(file: string, code: WavErrorCode, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
    this.file = file;
    this.code = code;
  }
}

/** The error type of every audio reader; `WavError` is its historical name. */
export { WavError as AudioError, type WavErrorCode as AudioErrorCode };
