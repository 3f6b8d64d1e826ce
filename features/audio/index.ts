/** Audio input: wav decoding to 16 kHz mono, resampling, length fitting and wav writing. */
export { WavError, type WavErrorCode } from './errors.js';
export { decodeWav, readWav } from './wav.js';
export { resample } from './resample.js';
export { fitToLength } from './fit.js';
export { encodeWavPcm16, writeWavPcm16 } from './encode.js';
