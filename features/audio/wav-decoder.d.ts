/** Types for the untyped `wav-decoder` package (1.3.x), limited to what this folder uses. */
declare module 'wav-decoder' {
  export interface WavDecoderOptions {
    /** Integer samples scale by 2^(bits-1) on both sides (otherwise positives use 2^(bits-1)-1). */
    symmetric?: boolean;
  }
  export interface WavDecoderResult {
    numberOfChannels: number;
    length: number;
    sampleRate: number;
    channelData: Float32Array[];
  }
  interface Decode {
    (buffer: ArrayBuffer, options?: WavDecoderOptions): Promise<WavDecoderResult>;
    sync(buffer: ArrayBuffer, options?: WavDecoderOptions): WavDecoderResult;
  }
  export const decode: Decode;
  const wavDecoder: { decode: Decode };
  export default wavDecoder;
}
