/**
 * Ogg Opus reading against Debian's opus-tools: files made here with `opusenc`, and real Speech
 * Commands clips from ../shared/data when present.
 *
 * Tolerances: at 48 kHz the decoder must give opusdec's samples (≤ 1e-4 max absolute difference,
 * measured 0 to 3.2e-5: the same libopus decode, pre-skip and end trimming, float rounding aside). At 16 kHz kws decodes natively (libopus' own 16 kHz output) while
 * opusdec decodes at 48 kHz and resamples, so samples differ by the resamplers' phase; there the
 * length must be equal and the MFCCs (kws' front-end without deltas and normalisation) within 2% on
 * real speech (mean absolute difference relative to the mean absolute coefficient; measured 0.55% at most)
 * and 6% on test tones, where kws' decode must also be at least as close to the encoded original.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeOggOpus, decodeWav, detectContainer, fitToLength, readAudio, writeWavPcm16, WavError, type WavErrorCode } from '../features/audio/index.js';
import { FeatureExtractor } from '../features/extractor.js';
import { DEFAULT_FEATURE_CONFIG } from '../features/config.js';
import { readSpeechCommands } from '../datasets/speech-commands.js';
import { loadExamples } from '../datasets/feature-store.js';
import { labelsForTask } from '../datasets/labels.js';
import { voiceSignal } from './helpers/voice-signal.js';
import { maxAbsDiff } from './helpers/max-diff.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const opusSet = resolve(repoRoot, '../shared/data/speech_commands_opus');
const haveTools = spawnSync('opusenc', ['--version']).status === 0 && spawnSync('opusdec', ['--version']).status === 0;
const toolSkip = haveTools ? false : 'needs opusenc/opusdec (Debian opus-tools)';
const sharedSkip = !haveTools ? toolSkip : existsSync(opusSet) ? false : 'needs ../shared/data/speech_commands_opus (absent)';
const REAL_TOLERANCE = 0.02;
/** Harmonic test tones are harder for Opus at 24 kbit/s (both decodes are ~7-10% from the original). */
const SYNTHETIC_TOLERANCE = 0.06;
/** Printed so the measured margin on real clips shows in the test log. */
let worstFeatureDifference = 0;

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-opus-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(`# largest 16 kHz feature difference from opusdec on real clips: ${(100 * worstFeatureDifference).toFixed(2)}%\n`);
});


async function encodeOpus(name: string, samples: Float32Array, extra: string[] = []): Promise<string> {
  const wav = join(dir, `${name}.wav`);
  const opus = join(dir, `${name}.opus`);
  await writeWavPcm16(wav, samples, 16000);
  execFileSync('opusenc', ['--quiet', '--bitrate', '24', ...extra, wav, opus]);
  return opus;
}

async function opusdec(file: string, rate: number, float: boolean): Promise<Float32Array> {
  const out = join(dir, `ref-${rate}-${float ? 'f' : 'i'}.wav`);
  execFileSync('opusdec', ['--quiet', '--rate', String(rate), ...(float ? ['--float', '--no-dither'] : []), file, out]);
  const bytes = await readFile(out);
  // decodeWav resamples to 16 kHz; read 48 kHz float output directly instead.
  if (rate === 16000) return (await decodeWav(bytes, out)).samples;
  const dataAt = bytes.indexOf(Buffer.from('data')) + 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataAt, bytes.length - dataAt);
  return Float32Array.from({ length: Math.floor(view.byteLength / 4) }, (_, i) => view.getFloat32(4 * i, true));
}

// Raw MFCCs: utterance normalisation would magnify differences in the near-constant coefficients of a test tone.
const extractor = new FeatureExtractor({ ...DEFAULT_FEATURE_CONFIG, deltas: false, normalization: { kind: 'none' } });
/** Over every 1 s stretch of the two signals (features of each stretch, padded where short). */
function featureDifference(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let size = 0;
  for (let start = 0; start < b.length; start += 16000) {
    const fa = extractor.extract(fitToLength(a.subarray(start, start + 16000), 16000)).data;
    const fb = extractor.extract(fitToLength(b.subarray(start, start + 16000), 16000)).data;
    for (let i = 0; i < fa.length; i++) {
      diff += Math.abs(fa[i]! - fb[i]!);
      size += Math.abs(fb[i]!);
    }
  }
  return diff / size;
}

/**
 * `tolerance`: the largest feature difference from opusdec's 16 kHz output; `original`: the signal
 * that was encoded, where known: kws' decode must be no farther from it than opusdec's.
 */
async function assertMatchesOpusdec(file: string, tolerance: number, original?: Float32Array): Promise<void> {
  const bytes = await readFile(file);
  const at48 = (await decodeOggOpus(bytes, file, { sampleRateHz: 48000 })).samples;
  const ref48 = await opusdec(file, 48000, true);
  assert.equal(at48.length, ref48.length, `${file}: 48 kHz length`);
  assert.ok(maxAbsDiff(at48, ref48) <= 1e-4, `${file}: 48 kHz max difference ${maxAbsDiff(at48, ref48)}`);
  const ours = (await readAudio(file)).samples;
  const ref16 = await opusdec(file, 16000, false);
  assert.equal(ours.length, ref16.length, `${file}: 16 kHz length`);
  const difference = featureDifference(ours, ref16);
  if (!original) worstFeatureDifference = Math.max(worstFeatureDifference, difference);
  assert.ok(difference <= tolerance, `${file}: features differ by ${(100 * difference).toFixed(2)}% from opusdec's`);
  if (original) {
    const ourError = featureDifference(ours, original);
    const opusdecError = featureDifference(ref16, original);
    assert.ok(ourError <= opusdecError * 1.05, `${file}: ${(100 * ourError).toFixed(2)}% from the original, opusdec ${(100 * opusdecError).toFixed(2)}%`);
  }
}

test('Opus made by opusenc decodes like opusdec (48 kHz exactly, 16 kHz within the feature tolerance)', { skip: toolSkip }, async () => {
  for (const [name, samples, extra] of [
    ['one-second', voiceSignal(1), []],
    ['short', voiceSignal(0.43, 1), []],
    ['long-pages', voiceSignal(7.3, 2), ['--max-delay', '100']],
  ] as const) {
    const file = await encodeOpus(name, samples, [...extra]);
    await assertMatchesOpusdec(file, SYNTHETIC_TOLERANCE, samples);
    const audio = await readAudio(file);
    assert.equal(audio.source.encoding, 'opus');
    assert.equal(audio.sampleRateHz, 16000);
    assert.equal(audio.samples.length, samples.length, `${name}: the encoded length comes back`);
  }
});

test('stereo Opus is downmixed to mono', { skip: toolSkip }, async () => {
  const wav = join(dir, 'stereo.wav');
  const left = voiceSignal(1);
  // sox interleaves the two mono files into one stereo file.
  await writeWavPcm16(join(dir, 'l.wav'), left, 16000);
  await writeWavPcm16(join(dir, 'r.wav'), voiceSignal(1, 3), 16000);
  execFileSync('sox', ['-M', join(dir, 'l.wav'), join(dir, 'r.wav'), wav]);
  const opus = join(dir, 'stereo.opus');
  execFileSync('opusenc', ['--quiet', '--bitrate', '48', wav, opus]);
  const audio = await readAudio(opus);
  assert.equal(audio.source.channels, 2);
  assert.equal(audio.samples.length, 16000);
});

test('real Speech Commands Opus clips match opusdec', { skip: sharedSkip }, async () => {
  let checked = 0;
  for (const word of ['yes', 'no', 'go', 'stop', 'cat', 'happy', 'four', 'off']) {
    for (const name of readdirSync(join(opusSet, word)).slice(0, 3)) {
      await assertMatchesOpusdec(join(opusSet, word, name), REAL_TOLERANCE);
      checked++;
    }
  }
  assert.equal(checked, 24);
});

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

test('truncated and damaged Opus files get named errors', { skip: toolSkip }, async () => {
  const good = await readFile(await encodeOpus('for-damage', voiceSignal(2)));
  assert.equal(detectContainer(good), 'ogg');
  await assertRejects('cut-header.opus', good.subarray(0, 20), 'truncated', /cut off in its header/);
  await assertRejects('cut-half.opus', good.subarray(0, Math.floor(good.length / 2)), 'truncated', /needs \d+ bytes but the file has \d+ left|cut off/);
  const lastPage = good.lastIndexOf(Buffer.from('OggS'));
  await assertRejects('no-eos.opus', good.subarray(0, lastPage), 'truncated', /without its end-of-stream page/);
  const flipped = Uint8Array.from(good);
  flipped[good.length - 10]! ^= 0x5a;
  await assertRejects('flipped.opus', flipped, 'corrupt', /fails its CRC check/);
  const junkAfter = new Uint8Array(good.length + 8);
  junkAfter.set(good);
  junkAfter.set(Buffer.from('OggSjunk'), good.length);
  await assertRejects('junk-after.opus', junkAfter, 'corrupt', /after the end-of-stream page/);
  await assertRejects('empty.opus', new Uint8Array(0), 'empty', /0 bytes/);
  const notOpus = Uint8Array.from(good);
  notOpus.set(Buffer.from('OpusHexx'), 28); // the OpusHead magic of page 0 (its CRC now fails first)
  await assertRejects('bad-head.opus', notOpus, 'corrupt', /page 0 at byte 0 fails its CRC/);
});

test('the dataset reader and the feature cache take .opus clips in the Speech Commands layout', { skip: toolSkip }, async () => {
  const root = join(dir, 'opus-dataset');
  for (const [word, speakers] of [['yes', ['aaaa0001', 'aaaa0002']], ['cat', ['aaaa0003']]] as const) {
    await mkdir(join(root, word), { recursive: true });
    for (const [k, speaker] of speakers.entries()) await copyFile(await encodeOpus(`${word}-${k}`, voiceSignal(1, k)), join(root, word, `${speaker}_nohash_0.opus`));
  }
  await writeFile(join(root, 'testing_list.txt'), 'yes/aaaa0002_nohash_0.opus\n');
  const ds = await readSpeechCommands(root, { task: '12', onWarning: (m) => assert.fail(m) });
  assert.deepEqual(ds.items.map((i) => [i.word, i.label, i.speaker, i.split]), [
    ['cat', '_unknown_', 'aaaa0003', 'train'],
    ['yes', 'yes', 'aaaa0001', 'train'],
    ['yes', 'yes', 'aaaa0002', 'test'],
  ]);
  const cacheDir = join(dir, 'cache');
  const first = await loadExamples(ds.items, labelsForTask('12'), DEFAULT_FEATURE_CONFIG, { cacheDir });
  const cached = readdirSync(join(cacheDir), { recursive: true }).filter((n) => String(n).endsWith('.f32'));
  assert.equal(cached.length, 3, 'one cached feature file per clip');
  const second = await loadExamples(ds.items, labelsForTask('12'), DEFAULT_FEATURE_CONFIG, { cacheDir });
  assert.deepEqual(second.x, first.x);
});
