/**
 * G.711 μ-law and A-law expansion (ITU-T G.711, as in the reference g711.c that sox, libsndfile and
 * ffmpeg share): each 8-bit code maps to a 16-bit linear value, scaled here by 1/32768 like 16-bit PCM.
 */

function mulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

function alawToLinear(code: number): number {
  const a = code ^ 0x55;
  const segment = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  if (segment === 0) t += 8;
  else t = (t + 0x108) << (segment - 1);
  return a & 0x80 ? t : -t;
}

function table(expand: (code: number) => number): Float32Array {
  return Float32Array.from({ length: 256 }, (_, code) => expand(code) / 32768);
}

/** Linear value of every code, already divided by 32768. */
export const MULAW_TABLE = table(mulawToLinear);
export const ALAW_TABLE = table(alawToLinear);

/** Expands interleaved 8-bit codes to one Float32Array per channel. */
export function expandG711(codes: Uint8Array, channels: number, lookup: Float32Array): Float32Array[] {
  const frames = Math.floor(codes.length / channels);
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let f = 0, i = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++, i++) out[c]![f] = lookup[codes[i]!]!;
  }
  return out;
}
