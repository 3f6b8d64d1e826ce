/** Audio input: wav (PCM, float, G.711), Ogg Opus, FLAC and MP3 decoding to 16 kHz mono, resampling, length fitting and wav writing. */
export { AudioError, WavError, type AudioErrorCode, type WavErrorCode } from './errors.js';
export { AUDIO_FILE_NAME, decodeAudio, detectContainer, isAudioFileName, readAudio, type AudioContainer } from './read-audio.js';
export { decodeWav } from './wav.js';
export { decodeOggOpus, parseOggOpusLayout, type DecodeOggOpusOptions, type OggOpusLayout, type OpusDecodeRateHz } from './ogg-opus.js';
export { decodeFlac, decodeFlacNative, parseFlacStreamInfo, type DecodedFlac, type FlacStreamInfo } from './flac.js';
export { decodeMp3, decodeMpegNative, type DecodedMpeg } from './mp3.js';
export { parseMpegLayout, type MpegFrameHeader, type MpegLayout } from './mpeg-frames.js';
export { resample } from './resample.js';
export { fitToLength } from './fit.js';
export { encodeWavPcm16, writeWavPcm16 } from './encode.js';
export { voicedSpan } from './voiced.js';
