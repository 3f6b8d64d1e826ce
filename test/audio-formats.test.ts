/**
 * G.711 wav, FLAC and MP3 reading against Debian's tools: every file is made here (sox, flac, lame)
 * and decoded by kws and by the reference decoders (sox, `flac -d`, `mpg123 -w`).
 *
 * Tolerances (measured values in the test log):
 * - μ-law/A-law: exactly sox's 16-bit expansion, for all 256 codes and on whole files (difference 0).
 * - FLAC: lossless, so exactly `flac -d`'s integers (difference 0), also after resampling to 16 kHz,
 *   since both go through the same resampler.
 * - MP3: the same libmpg123 in both, but mpg123's command uses its SIMD synthesis filter and the wasm
 *   build the generic C one: same length, max absolute difference ≤ 1e-5 at the file's own rate
 *   (measured 9.1e-7), and ≤ 1e-5 after both are resampled to 16 kHz (measured 7.9e-7).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeFlacNative,
  decodeMpegNative,
  decodeWav,
  detectContainer,
  isAudioFileName,
  parseMpegLayout,
  readAudio,
  writeWavPcm16,
  WavError,
  type WavErrorCode,
} from '../features/audio/index.js';
import { parseMpegHeader } from '../features/audio/mpeg-frames.js';
import { parseWavLayout } from '../features/audio/riff.js';
import { voiceSignal } from './helpers/voice-signal.js';
import { maxAbsDiff } from './helpers/max-diff.js';

function has(tool: string, args: string[]): boolean {
  const run = spawnSync(tool, args, { encoding: 'utf8' });
  return run.status === 0 || (run.error === undefined && run.status !== null && run.status !== 127 && (run.stdout + run.stderr).length > 0);
}
const haveSox = has('sox', ['--version']);
const soxMp3 = haveSox && /\bmp3\b/.test(spawnSync('sox', ['-h'], { encoding: 'utf8' }).stdout);
const haveFlac = has('flac', ['--version']);
const haveMpg123 = has('mpg123', ['--version']);
const haveLame = has('lame', ['--version']);
const need = (tools: [boolean, string][]): false | string => {
  const missing = tools.filter(([ok]) => !ok).map(([, name]) => name);
  return missing.length === 0 ? false : `needs ${missing.join(', ')} (Debian: apt-get install sox libsox-fmt-all flac mpg123 lame)`;
};
const g711Skip = need([[haveSox, 'sox']]);
const flacSkip = need([[haveSox, 'sox'], [haveFlac, 'flac']]);
const mp3Skip = need([[soxMp3, 'sox with MP3 support (libsox-fmt-mp3)'], [haveMpg123, 'mpg123']]);
const lameSkip = need([[haveSox, 'sox'], [haveLame, 'lame'], [haveMpg123, 'mpg123']]);

const MP3_TOLERANCE = 1e-5;
let worstMp3Native = 0;
let worstMp3At16k = 0;

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-formats-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(`# largest MP3 difference from mpg123: ${worstMp3Native.toExponential(2)} at the file's rate, ${worstMp3At16k.toExponential(2)} at 16 kHz\n`);
});

/** A 16 kHz mono 16-bit wav of the test signal, then sox converts it with `soxArgs` (output options). */
async function source(name: string, seconds: number, soxArgs: string[] = []): Promise<string> {
  const plain = join(dir, `${name}-16k.wav`);
  await writeWavPcm16(plain, voiceSignal(seconds, 0, 6000), 16000);
  if (soxArgs.length === 0) return plain;
  const out = join(dir, `${name}.wav`);
  // A second channel with a different signal, where asked, so a downmix is tested for real.
  if (soxArgs.includes('stereo')) {
    const other = join(dir, `${name}-r.wav`);
    await writeWavPcm16(other, voiceSignal(seconds, 2, 6000), 16000);
    execFileSync('sox', ['-M', plain, other, ...soxArgs.filter((a) => a !== 'stereo'), out]);
  } else {
    execFileSync('sox', [plain, ...soxArgs, out]);
  }
  return out;
}

/** The channels of a float32 wav at its own rate (mpg123 -e f32 output), without resampling. */
async function floatWavChannels(path: string): Promise<{ channels: Float32Array[]; sampleRateHz: number }> {
  const bytes = await readFile(path);
  const layout = parseWavLayout(bytes, path);
  assert.equal(layout.encoding, 'float32');
  const view = new DataView(bytes.buffer, bytes.byteOffset + layout.dataOffset, layout.frames * layout.channels * 4);
  const channels = Array.from({ length: layout.channels }, (_, c) => Float32Array.from({ length: layout.frames }, (_, f) => view.getFloat32(4 * (f * layout.channels + c), true)));
  return { channels, sampleRateHz: layout.sampleRateHz };
}

async function assertRejects(name: string, bytes: Uint8Array, code: WavErrorCode, detail: RegExp): Promise<void> {
  const file = join(dir, name);
  await writeFile(file, bytes);
  await assert.rejects(readAudio(file), (err: unknown) => {
    assert.ok(err instanceof WavError, `expected WavError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.match(err.message, detail);
    return true;
  });
}

test('folder walks pick up .flac and .mp3 (and still .wav, .opus, .ogg)', () => {
  for (const name of ['a.flac', 'b.MP3', 'c.wav', 'd.opus', 'e.ogg']) assert.ok(isAudioFileName(name), name);
  for (const name of ['notes.txt', '.hidden.mp3', 'x.m4a']) assert.ok(!isAudioFileName(name), name);
});

test('G.711 expansion equals sox for all 256 μ-law and A-law codes', { skip: g711Skip }, async () => {
  const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (const [type, encoding, tag] of [['ul', 'mulaw', 7], ['al', 'alaw', 6]] as const) {
    const raw = join(dir, `codes.${type}`);
    await writeFile(raw, codes);
    const ref = join(dir, `codes-${type}-ref.wav`);
    const g711 = join(dir, `codes-${type}.wav`);
    execFileSync('sox', ['-t', type, '-r', '16000', '-c', '1', raw, '-e', 'signed', '-b', '16', ref]);
    execFileSync('sox', ['-t', type, '-r', '16000', '-c', '1', raw, g711]);
    const bytes = await readFile(g711);
    assert.equal(bytes.readUInt16LE(20), tag, 'sox writes the G.711 format tag');
    const ours = await readAudio(g711);
    assert.equal(ours.source.encoding, encoding);
    assert.deepEqual(ours.samples, (await readAudio(ref)).samples);
  }
});

test('μ-law and A-law wav files decode like sox (8 kHz, 16 kHz, stereo)', { skip: g711Skip }, async () => {
  for (const [name, args] of [
    ['mulaw-16k', ['-e', 'mu-law']],
    ['alaw-16k', ['-e', 'a-law']],
    ['mulaw-8k', ['-e', 'mu-law', '-r', '8000']],
    ['alaw-8k-stereo', ['stereo', '-e', 'a-law', '-r', '8000']],
  ] as const) {
    const file = await source(name, 1.2, [...args]);
    const ref = join(dir, `${name}-ref.wav`);
    execFileSync('sox', [file, '-e', 'signed', '-b', '16', ref]);
    const ours = await readAudio(file);
    const theirs = await readAudio(ref);
    assert.match(ours.source.encoding, /^(mulaw|alaw)$/);
    assert.equal(ours.source.channels, name.includes('stereo') ? 2 : 1);
    assert.equal(ours.samples.length, Math.round(1.2 * 16000));
    assert.equal(maxAbsDiff(ours.samples, theirs.samples), 0, name);
  }
  await assertRejects('mulaw-cut.wav', (await readFile(join(dir, 'mulaw-16k.wav'))).subarray(0, 5000), 'header-overclaims', /data chunk at byte \d+ claims 19200 bytes/);
});

test('FLAC decodes exactly like flac -d (16/24-bit, mono/stereo, 16/44.1/48 kHz)', { skip: flacSkip }, async () => {
  for (const [name, args] of [
    ['flac-16k', []],
    ['flac-44k-stereo', ['stereo', '-r', '44100']],
    ['flac-48k-24bit', ['-r', '48000', '-b', '24']],
  ] as const) {
    const wav = await source(name, 1.7, [...args]);
    const flac = join(dir, `${name}.flac`);
    const ref = join(dir, `${name}-ref.wav`);
    execFileSync('flac', ['--silent', '--force', wav, '-o', flac]);
    execFileSync('flac', ['--silent', '--force', '--decode', flac, '-o', ref]);
    const native = await decodeFlacNative(await readFile(flac), flac);
    const refLayout = parseWavLayout(await readFile(ref), ref);
    assert.equal(native.channelData.length, refLayout.channels);
    assert.equal(native.channelData[0]!.length, refLayout.frames);
    const ours = await readAudio(flac);
    const theirs = await decodeWav(await readFile(ref), ref);
    assert.equal(ours.source.encoding, 'flac');
    assert.equal(ours.source.sampleRateHz, refLayout.sampleRateHz);
    assert.equal(ours.samples.length, Math.round(1.7 * 16000));
    assert.equal(maxAbsDiff(ours.samples, theirs.samples), 0, name);
  }
});

test('FLAC and MP3 are detected by content, not by name', { skip: need([[haveFlac, 'flac'], [soxMp3, 'sox with MP3 support']]) }, async () => {
  const wav = await source('content', 1);
  const flac = join(dir, 'really-flac.wav');
  execFileSync('flac', ['--silent', '--force', wav, '-o', flac]);
  const mp3 = join(dir, 'really-mp3.flac');
  execFileSync('sox', [wav, '-t', 'mp3', mp3]);
  assert.equal(detectContainer(await readFile(flac)), 'flac');
  assert.equal(detectContainer(await readFile(mp3)), 'mpeg');
  assert.equal((await readAudio(flac)).source.encoding, 'flac');
  assert.equal((await readAudio(mp3)).source.encoding, 'mp3');
});

test('truncated and damaged FLAC files get named errors', { skip: flacSkip }, async () => {
  const wav = await source('flac-damage', 3, ['stereo', '-r', '44100']);
  const flacFile = join(dir, 'flac-damage.flac');
  execFileSync('flac', ['--silent', '--force', wav, '-o', flacFile]);
  const good = await readFile(flacFile);
  await assertRejects('cut.flac', good.subarray(0, Math.floor(good.length * 0.6)), 'truncated', /decoded \d+ of the 132300 samples its STREAMINFO promises: the file ends inside a frame/);
  const flipped = Uint8Array.from(good);
  flipped[Math.floor(good.length * 0.4)]! ^= 0x55;
  await assertRejects('flipped.flac', flipped, 'corrupt', /no valid frame at byte \d+|damaged FLAC frames|MD5/);
  await assertRejects('cut-metadata.flac', good.subarray(0, 30), 'truncated', /metadata block 0 at byte 4 needs 34 bytes/);
  await assertRejects('no-frames.flac', good.subarray(0, good.indexOf(Buffer.from([0xff, 0xf8]), 8)), 'empty', /metadata and no audio frames/);
  await assertRejects('empty.flac', new Uint8Array(0), 'empty', /0 bytes/);
  // A wrong MD5 in STREAMINFO: every frame decodes, but the samples are not what was encoded.
  const badMd5 = Uint8Array.from(good);
  badMd5[8 + 18]! ^= 0x01;
  await assertRejects('bad-md5.flac', badMd5, 'corrupt', /do not match the MD5 signature/);
  const wav32 = join(dir, 'flac-32.wav');
  execFileSync('sox', [wav, '-b', '32', '-e', 'signed', wav32]);
  const flac32 = join(dir, 'flac-32.flac');
  if (spawnSync('flac', ['--silent', '--force', wav32, '-o', flac32]).status === 0) {
    await assertRejects('flac-32.flac', await readFile(flac32), 'unsupported-encoding', /32-bit FLAC; 4 to 24 bits/);
  }
});

async function assertMatchesMpg123(mp3: string, expectedSamples?: number): Promise<void> {
  const ref = join(dir, 'mpg123-ref.wav');
  execFileSync('mpg123', ['--quiet', '--encoding', 'f32', '--wav', ref, mp3]);
  const theirs = await floatWavChannels(ref);
  const bytes = await readFile(mp3);
  const native = await decodeMpegNative(bytes, mp3);
  assert.equal(native.sampleRateHz, theirs.sampleRateHz);
  assert.equal(native.channelData.length, theirs.channels.length, `${mp3}: channels`);
  for (let c = 0; c < theirs.channels.length; c++) {
    assert.equal(native.channelData[c]!.length, theirs.channels[c]!.length, `${mp3}: length`);
    const diff = maxAbsDiff(native.channelData[c]!, theirs.channels[c]!);
    worstMp3Native = Math.max(worstMp3Native, diff);
    assert.ok(diff <= MP3_TOLERANCE, `${mp3}: channel ${c} differs from mpg123 by ${diff}`);
  }
  if (expectedSamples !== undefined) assert.equal(native.channelData[0]!.length, expectedSamples, `${mp3}: gapless length`);
  const ours = await readAudio(mp3);
  const theirs16k = await decodeWav(await readFile(ref), ref);
  assert.equal(ours.samples.length, theirs16k.samples.length);
  const diff16k = maxAbsDiff(ours.samples, theirs16k.samples);
  worstMp3At16k = Math.max(worstMp3At16k, diff16k);
  assert.ok(diff16k <= MP3_TOLERANCE, `${mp3}: 16 kHz samples differ from mpg123's by ${diff16k}`);
}

test('MP3 made by sox (MPEG-2 16 kHz mono, MPEG-1 44.1 kHz stereo) decodes like mpg123', { skip: mp3Skip }, async () => {
  for (const [name, args, kbps] of [
    ['sox-16k', [], '32'],
    ['sox-44k-stereo', ['stereo', '-r', '44100'], '128'],
    ['sox-8k', ['-r', '8000'], '16'],
  ] as const) {
    const wav = await source(name, 1.5, [...args]);
    const mp3 = join(dir, `${name}.mp3`);
    execFileSync('sox', [wav, '-C', kbps, mp3]);
    await assertMatchesMpg123(mp3);
    const audio = await readAudio(mp3);
    assert.equal(audio.source.encoding, 'mp3');
    assert.equal(audio.source.channels, name.includes('stereo') ? 2 : 1);
  }
});

test('MP3 made by lame: the LAME tag makes it gapless (the encoded length comes back), ID3 tags skipped', { skip: lameSkip }, async () => {
  const wav = await source('lame', 2, ['stereo', '-r', '44100']);
  const cbr = join(dir, 'lame-cbr.mp3');
  execFileSync('lame', ['--quiet', '-b', '128', wav, cbr]);
  await assertMatchesMpg123(cbr, 88200);
  const mono = await source('lame-mono', 1.25, ['-r', '48000']);
  const vbr = join(dir, 'lame-vbr.mp3');
  execFileSync('lame', ['--quiet', '-V', '4', '-m', 'm', mono, vbr]);
  await assertMatchesMpg123(vbr, 60000);
  assert.equal((await readAudio(vbr)).samples.length, 20000);
  const tagged = join(dir, 'lame-id3.mp3');
  execFileSync('lame', ['--quiet', '-V', '4', '-m', 'm', '--add-id3v2', '--tt', 'a title', '--ta', 'an artist', mono, tagged]);
  const taggedBytes = await readFile(tagged);
  assert.equal(String.fromCharCode(...taggedBytes.subarray(0, 3)), 'ID3');
  assert.deepEqual((await readAudio(tagged)).samples, (await readAudio(vbr)).samples);
});

/** Byte offset of frame `n` (0-based) of an MPEG stream starting at `start`. */
function frameOffset(bytes: Uint8Array, start: number, n: number): number {
  let pos = start;
  for (let k = 0; k < n; k++) pos += parseMpegHeader(bytes, pos)!.frameBytes;
  return pos;
}

test('truncated and damaged MP3 files get named errors', { skip: lameSkip }, async () => {
  const wav = await source('mp3-damage', 3, ['-r', '44100']);
  const vbrFile = join(dir, 'mp3-damage.mp3');
  execFileSync('lame', ['--quiet', '-V', '4', wav, vbrFile]);
  const good = await readFile(vbrFile);
  const layout = parseMpegLayout(good, vbrFile);
  assert.ok(layout.audioFrames > 50);
  await assertRejects('cut.mp3', good.subarray(0, frameOffset(good, 0, 30) + 20), 'truncated', /frame 30 at byte \d+ needs \d+ bytes but the file has 20 left/);
  // Cut exactly between frames: only the Xing header's frame count shows the loss.
  await assertRejects('cut-on-frame.mp3', good.subarray(0, frameOffset(good, 0, 31)), 'truncated', /holds 30 of the \d+ frames its Info header lists|holds 30 of the \d+ frames its Xing header lists/);
  const badSync = Uint8Array.from(good);
  badSync[frameOffset(good, 0, 20)] = 0x12;
  await assertRejects('bad-sync.mp3', badSync, 'corrupt', /lost MPEG frame sync at byte \d+ after 20 frames/);
  await assertRejects('cut-header.mp3', good.subarray(0, frameOffset(good, 0, 12) + 2), 'truncated', /ends inside the header of frame 12/);
  await assertRejects('empty.mp3', new Uint8Array(0), 'empty', /0 bytes/);
  const id3 = Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 1, 0]); // ID3v2.4, 128-byte body
  await assertRejects('cut-id3.mp3', id3, 'truncated', /ID3v2 tag at byte 0 needs 138 bytes but the file has 10 left/);
  const id3ThenJunk = new Uint8Array(138 + 64).fill(0x41);
  id3ThenJunk.set(id3);
  await assertRejects('id3-junk.mp3', id3ThenJunk, 'corrupt', /no MPEG audio frame at byte 138 after the ID3v2 tag/);
  const adts = Uint8Array.from([0xff, 0xf1, 0x50, 0x80, 0x01, 0x7f, 0xfc, 0, 0, 0]);
  await assertRejects('aac.mp3', adts, 'unsupported-encoding', /AAC \(ADTS stream\)/);
  // An MP3 copied into a folder under a .wav name is still read as MP3.
  await copyFile(vbrFile, join(dir, 'named.wav'));
  assert.equal((await readAudio(join(dir, 'named.wav'))).source.encoding, 'mp3');
});
