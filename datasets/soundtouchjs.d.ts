/** The part of soundtouchjs (no bundled types) that datasets/augment-pitch.ts uses. */
declare module 'soundtouchjs' {
  export class SoundTouch {
    pitchSemitones: number;
  }
  /** A source of interleaved stereo frames. */
  export interface FrameSource {
    extract(target: Float32Array, numFrames: number, position: number): number;
  }
  export class SimpleFilter {
    constructor(source: FrameSource, pipe: SoundTouch);
    /** Writes up to `numFrames` interleaved stereo frames into `target`; returns how many. */
    extract(target: Float32Array, numFrames: number): number;
  }
}
