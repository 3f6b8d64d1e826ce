/**
 * Builds raw RIFF/WAVE bytes of any flavour for tests, including deliberately broken ones: every
 * header field can be overridden and extra chunks placed anywhere.
 */

export interface ExtraChunk {
  /** Four characters (padded with spaces if shorter). */
  id: string;
  body: Uint8Array;
  /** Where the chunk goes relative to fmt and data; default 'before-data'. */
  position?: 'before-fmt' | 'before-data' | 'after-data';
}

export interface WavBytesSpec {
  /** Stored bits per sample (the container size). */
  bitsPerSample: number;
  /**
   * Interleaved sample values exactly as stored: unsigned integers for 8-bit, signed integers for
   * 16/24/32-bit PCM, floats for float formats. Ignored when `rawData` is given.
   */
  samples?: ArrayLike<number>;
  /** Data chunk body as is (for encodings the helper does not write, e.g. mu-law). */
  rawData?: Uint8Array;
  /** Store samples as IEEE floats (default: true when the format tag or sub-format is 3). */
  float?: boolean;
  /** Default 1 (PCM), or 3 when `float` is set; 0xFFFE when `extensible` is given. */
  formatTag?: number;
  channels?: number;
  sampleRateHz?: number;
  /** Writes a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk with this sub-format. */
  extensible?: { subFormatTag: number; validBitsPerSample?: number; channelMask?: number; guidTail?: number[] };
  extraChunks?: ExtraChunk[];
  /** Header overrides for malformed files. */
  blockAlign?: number;
  dataSizeField?: number;
  riffSizeField?: number;
}

const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

export function wavBytes(spec: WavBytesSpec): Uint8Array {
  const channels = spec.channels ?? 1;
  const sampleRateHz = spec.sampleRateHz ?? 16000;
  const bytesPerSample = spec.bitsPerSample / 8;
  const isFloat = spec.float ?? (spec.formatTag === 3 || spec.extensible?.subFormatTag === 3);
  const formatTag = spec.extensible !== undefined ? 0xfffe : (spec.formatTag ?? (isFloat ? 3 : 1));
  const blockAlign = spec.blockAlign ?? channels * bytesPerSample;

  const fmtBody = new Uint8Array(spec.extensible !== undefined ? 40 : 16);
  const fmt = new DataView(fmtBody.buffer);
  fmt.setUint16(0, formatTag, true);
  fmt.setUint16(2, channels, true);
  fmt.setUint32(4, sampleRateHz, true);
  fmt.setUint32(8, sampleRateHz * blockAlign, true);
  fmt.setUint16(12, blockAlign, true);
  fmt.setUint16(14, spec.bitsPerSample, true);
  if (spec.extensible !== undefined) {
    fmt.setUint16(16, 22, true);
    fmt.setUint16(18, spec.extensible.validBitsPerSample ?? spec.bitsPerSample, true);
    fmt.setUint32(20, spec.extensible.channelMask ?? 0, true);
    fmt.setUint16(24, spec.extensible.subFormatTag, true);
    fmtBody.set(spec.extensible.guidTail ?? GUID_TAIL, 26);
  }

  const data = spec.rawData ?? encodeSamples(spec.samples ?? [], spec.bitsPerSample, isFloat);
  const extras = spec.extraChunks ?? [];
  const at = (position: ExtraChunk['position']): Uint8Array[] =>
    extras.filter((c) => (c.position ?? 'before-data') === position).map((c) => chunk(c.id, c.body));
  const body = concat([
    ascii('WAVE'),
    ...at('before-fmt'),
    chunk('fmt ', fmtBody),
    ...at('before-data'),
    chunk('data', data, spec.dataSizeField),
    ...at('after-data'),
  ]);
  const header = new Uint8Array(8);
  header.set(ascii('RIFF'));
  new DataView(header.buffer).setUint32(4, spec.riffSizeField ?? body.length, true);
  return concat([header, body]);
}

/** One chunk: id, size (or `sizeField` as given), body, and the pad byte after an odd body. */
export function chunk(id: string, body: Uint8Array, sizeField?: number): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length & 1));
  out.set(ascii(id.padEnd(4, ' ').slice(0, 4)));
  new DataView(out.buffer).setUint32(4, sizeField ?? body.length, true);
  out.set(body, 8);
  return out;
}

export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function encodeSamples(values: ArrayLike<number>, bits: number, isFloat: boolean): Uint8Array {
  const size = bits / 8;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const o = i * size;
    if (isFloat && bits === 32) view.setFloat32(o, v, true);
    else if (isFloat && bits === 64) view.setFloat64(o, v, true);
    else if (bits === 8) view.setUint8(o, v);
    else if (bits === 16) view.setInt16(o, v, true);
    else if (bits === 24) {
      view.setUint8(o, v & 0xff);
      view.setUint8(o + 1, (v >> 8) & 0xff);
      view.setUint8(o + 2, (v >> 16) & 0xff);
    } else if (bits === 32) view.setInt32(o, v, true);
    else throw new RangeError(`wavBytes: cannot encode ${bits}-bit ${isFloat ? 'float' : 'integer'} samples; pass rawData`);
  }
  return out;
}

/** The parts one after the other. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
