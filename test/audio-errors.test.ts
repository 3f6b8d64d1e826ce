import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readAudio, WavError, type WavErrorCode } from '../features/audio/index.js';
import { ascii, chunk, concat, wavBytes } from './helpers/wav-bytes.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kws-wav-errors-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `bytes` to a real file and asserts readAudio rejects it with `code` and a message matching `detail`. */
async function assertRejects(name: string, bytes: Uint8Array | string, code: WavErrorCode, detail: RegExp): Promise<void> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  await assert.rejects(readAudio(file), (err: unknown) => {
    assert.ok(err instanceof WavError, `expected WavError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.file, file);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.match(err.message, detail);
    return true;
  });
}

const pcm16 = { bitsPerSample: 16, samples: [1000, -1000, 2000, -2000] };

test('a text file is not RIFF/WAVE', async () => {
  await assertRejects('notes.wav', 'hello, this is not audio\n', 'not-riff-wave', /starts with "hell" instead of "RIFF"/);
});

test('a RIFF file of another form is not WAVE', async () => {
  const avi = wavBytes(pcm16);
  avi.set(ascii('AVI '), 8);
  await assertRejects('movie.wav', avi, 'not-riff-wave', /form "AVI ", not "WAVE"/);
});

test('a zero-byte file is empty', async () => {
  await assertRejects('zero.wav', new Uint8Array(0), 'empty', /0 bytes/);
});

test('files cut inside the header are truncated', async () => {
  const full = wavBytes(pcm16);
  await assertRejects('cut-riff.wav', full.subarray(0, 10), 'truncated', /10 bytes long, shorter than the 12-byte/);
  await assertRejects('cut-fmt.wav', full.subarray(0, 30), 'truncated', /fmt chunk at byte 12 needs 16 bytes but the file has 10 left/);
  await assertRejects('cut-data-header.wav', full.subarray(0, 40), 'truncated', /no data chunk: the file ends at a partial chunk header at byte 36/);
  await assertRejects('no-data.wav', full.subarray(0, 36), 'truncated', /no data chunk: the file ends at byte 36 after chunks \[fmt \]/);
});

test('a data size larger than the file holds is header-overclaims', async () => {
  await assertRejects('overclaim.wav', wavBytes({ ...pcm16, dataSizeField: 0x7fffffff }), 'header-overclaims', /data chunk at byte 36 claims 2147483647 bytes but the file holds only 8/);
  // A real file cut in the middle of its samples.
  const cut = wavBytes({ bitsPerSample: 16, samples: new Array(100).fill(5) }).subarray(0, 100);
  await assertRejects('cut-samples.wav', cut, 'header-overclaims', /claims 200 bytes but the file holds only 56/);
});

test('zero samples is empty', async () => {
  await assertRejects('no-samples.wav', wavBytes({ bitsPerSample: 16, samples: [] }), 'empty', /no complete sample frame \(0 bytes, 2 per frame\)/);
  await assertRejects('half-frame.wav', wavBytes({ bitsPerSample: 16, channels: 2, rawData: new Uint8Array(3) }), 'empty', /\(3 bytes, 4 per frame\)/);
});

test('ADPCM, MP3-in-wav and G.711 other than 8-bit are rejected by name', async () => {
  await assertRejects('mulaw16.wav', wavBytes({ bitsPerSample: 16, formatTag: 7, rawData: new Uint8Array(16).fill(0xff) }), 'unsupported-encoding', /unsupported encoding 16-bit mu-law \(format tag 7\); G.711 stores 8 bits per sample/);
  await assertRejects('alaw4.wav', wavBytes({ bitsPerSample: 4, formatTag: 6, blockAlign: 1, rawData: new Uint8Array(16).fill(0xd5) }), 'unsupported-encoding', /4-bit a-law \(format tag 6\)/);
  await assertRejects('msadpcm.wav', wavBytes({ bitsPerSample: 4, formatTag: 2, blockAlign: 256, rawData: new Uint8Array(256) }), 'unsupported-encoding', /MS ADPCM \(format tag 2\)/);
  await assertRejects('imaadpcm.wav', wavBytes({ bitsPerSample: 4, formatTag: 0x11, blockAlign: 256, rawData: new Uint8Array(256) }), 'unsupported-encoding', /IMA ADPCM \(format tag 17\)/);
  await assertRejects('mp3.wav', wavBytes({ bitsPerSample: 0, formatTag: 0x55, blockAlign: 1, rawData: new Uint8Array(64) }), 'unsupported-encoding', /MP3 \(format tag 85\)/);
  await assertRejects('unknown.wav', wavBytes({ bitsPerSample: 16, formatTag: 0x1234, rawData: new Uint8Array(8) }), 'unsupported-encoding', /unsupported encoding 0x1234/);
  await assertRejects('ext-mulaw.wav', wavBytes({ bitsPerSample: 16, extensible: { subFormatTag: 7 }, rawData: new Uint8Array(8) }), 'unsupported-encoding', /16-bit mu-law \(WAVE_FORMAT_EXTENSIBLE sub-format 7\)/);
  await assertRejects('ext-guid.wav', wavBytes({ ...pcm16, extensible: { subFormatTag: 1, guidTail: new Array(14).fill(0x42) } }), 'unsupported-encoding', /sub-format GUID \{42420001-4242-4242-4242-424242424242\}/);
});

test('unsupported bit depths are rejected with the depths that work', async () => {
  await assertRejects('pcm12.wav', wavBytes({ bitsPerSample: 12, blockAlign: 2, rawData: new Uint8Array(8) }), 'unsupported-encoding', /12-bit integer PCM/);
  await assertRejects('float16.wav', wavBytes({ bitsPerSample: 16, float: true, rawData: new Uint8Array(8) }), 'unsupported-encoding', /16-bit float.*32\/64-bit float/);
});

test('inconsistent or impossible fmt fields are bad-format', async () => {
  await assertRejects('block-align.wav', wavBytes({ ...pcm16, channels: 2, blockAlign: 3 }), 'bad-format', /block align 3 does not match 2 channel\(s\) of 16-bit samples \(4\)/);
  await assertRejects('no-channels.wav', wavBytes({ ...pcm16, channels: 0, blockAlign: 2 }), 'bad-format', /0 channels/);
  await assertRejects('no-rate.wav', wavBytes({ ...pcm16, sampleRateHz: 0 }), 'bad-format', /sample rate of 0 Hz/);
  await assertRejects('huge-rate.wav', wavBytes({ ...pcm16, sampleRateHz: 384000 }), 'bad-format', /sample rate 384000 Hz cannot be resampled/);
  const shortFmt = concat([ascii('RIFF'), u32(4 + 8 + 12 + 8 + 2), ascii('WAVE'), chunk('fmt ', new Uint8Array(12)), chunk('data', new Uint8Array(2))]);
  await assertRejects('short-fmt.wav', shortFmt, 'bad-format', /fmt chunk is 12 bytes/);
  const noFmt = concat([ascii('RIFF'), u32(4 + 8 + 2), ascii('WAVE'), chunk('data', new Uint8Array(2))]);
  await assertRejects('no-fmt.wav', noFmt, 'bad-format', /no fmt chunk .*\[data\]/);
});

test('NaN and infinite float samples are non-finite', async () => {
  await assertRejects('nan.wav', wavBytes({ bitsPerSample: 32, float: true, samples: [0, 0.5, Number.NaN] }), 'non-finite', /float32 sample 2 is NaN/);
  await assertRejects('inf.wav', wavBytes({ bitsPerSample: 64, float: true, channels: 2, samples: [0, 0, 0.1, Number.NEGATIVE_INFINITY] }), 'non-finite', /float64 frame 1, channel 1 is -Infinity/);
  await assertRejects('big.wav', wavBytes({ bitsPerSample: 64, float: true, samples: [1e300] }), 'non-finite', /1e\+300, beyond float32 range/);
});

test('a nonexistent path or a directory is unreadable', async () => {
  const missing = path.join(dir, 'missing.wav');
  await assert.rejects(readAudio(missing), (err: unknown) => {
    assert.ok(err instanceof WavError);
    assert.equal(err.code, 'unreadable');
    assert.match(err.message, new RegExp(`^${escape(missing)}: cannot read the file \\(ENOENT`));
    return true;
  });
  await assert.rejects(readAudio(dir), (err: unknown) => err instanceof WavError && err.code === 'unreadable' && err.message.includes('EISDIR'));
});

test('garbage chunk sizes end the walk with an error instead of looping', async () => {
  const fmtChunk = wavBytes(pcm16).subarray(12, 36);
  // A chunk claiming 4 GiB before the data chunk.
  const huge = concat([ascii('RIFF'), u32(0xffffffff), ascii('WAVE'), fmtChunk, ascii('\x00\x01ZZ'), u32(0xfffffff0), new Uint8Array(32)]);
  await assertRejects('huge-chunk.wav', huge, 'header-overclaims', /chunk "\\x00\\x01ZZ" at byte 36 claims 4294967280 bytes but only 32 remain, before any data chunk/);
  // Thousands of zero-sized chunks and no data chunk: every step advances by 8 bytes.
  const zeros = new Uint8Array(8 * 5000);
  const zeroChunks = concat([ascii('RIFF'), u32(0), ascii('WAVE'), fmtChunk, zeros]);
  await assertRejects('zero-chunks.wav', zeroChunks, 'truncated', /no data chunk: the file ends at byte 40036/);
  // Random bytes after a valid header.
  let seed = 12345;
  const noise = Uint8Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
  await assertRejects('noise.wav', concat([ascii('RIFF'), u32(4100), ascii('WAVE'), noise]), 'header-overclaims', /claims \d+ bytes but only \d+ remain/);
});

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}


function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
