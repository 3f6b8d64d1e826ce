/** GnuSpeech as the third synthetic engine: deterministic clips, its voice controls, and the speaker mix. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GnuSpeechEngine, parseGnuSpeechVoice } from '../datasets/synth/gnuspeech.js';
import { TtsError } from '../datasets/synth/engine.js';
import { planSpeakers } from '../datasets/synth/plan.js';
import { synthesizeDataset } from '../datasets/synth/generate.js';
import { readSpeechCommands } from '../datasets/speech-commands.js';

const normal = { rate: 1, pitch: 1 };

/** Magnitude-weighted mean frequency over 512-sample frames (a plain DFT: clips are short). */
function spectralCentroidHz(samples: Float32Array, sampleRateHz: number): number {
  let weighted = 0;
  let total = 0;
  for (let start = 0; start + 512 <= samples.length; start += 512) {
    for (let k = 1; k < 256; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < 512; n++) {
        re += samples[start + n]! * Math.cos((2 * Math.PI * k * n) / 512);
        im -= samples[start + n]! * Math.sin((2 * Math.PI * k * n) / 512);
      }
      const magnitude = Math.hypot(re, im);
      weighted += (magnitude * k * sampleRateHz) / 512;
      total += magnitude;
    }
  }
  return weighted / total;
}

test('a GnuSpeech clip depends on its voice, text and prosody only, not on what was said before', async () => {
  const engine = await GnuSpeechEngine.create();
  const first = await engine.synthesize('male', 'off', normal);
  await engine.synthesize('small_child:9.5', 'yes', { rate: 1.2, pitch: 0.9 });
  const again = await engine.synthesize('male', 'off', normal);
  assert.ok(first.samples.length > first.sampleRateHz / 5, 'a word lasts more than 200 ms');
  assert.deepEqual(again.samples, first.samples);
  const other = await GnuSpeechEngine.create();
  assert.deepEqual((await other.synthesize('male', 'off', normal)).samples, first.samples);
});

test('a longer vocal tract lowers the spectrum and a faster rate shortens the word', async () => {
  const engine = await GnuSpeechEngine.create();
  const small = await engine.synthesize('male:15.5', 'yes', normal);
  const large = await engine.synthesize('male:19.0', 'yes', normal);
  assert.ok(spectralCentroidHz(large.samples, large.sampleRateHz) < spectralCentroidHz(small.samples, small.sampleRateHz) - 100);
  const slow = await engine.synthesize('female', 'left', { rate: 0.8, pitch: 1 });
  const fast = await engine.synthesize('female', 'left', { rate: 1.25, pitch: 1 });
  assert.ok(fast.samples.length < slow.samples.length * 0.8, `${fast.samples.length} vs ${slow.samples.length} samples`);
});

test('GnuSpeech voice ids are checked with a message that names them', async () => {
  assert.deepEqual(parseGnuSpeechVoice('female'), { voice: 'female', tractCm: 15 });
  assert.deepEqual(parseGnuSpeechVoice('large_child:13.1'), { voice: 'large_child', tractCm: 13.1 });
  for (const bad of ['baby', 'male:30', 'male:x', 'female:14:2', '']) {
    assert.throws(() => parseGnuSpeechVoice(bad), (e: unknown) => e instanceof TtsError && e.message.includes(`'${bad}'`), bad);
  }
  const engine = await GnuSpeechEngine.create();
  await assert.rejects(engine.synthesize('male', 'line one\nline two', normal), TtsError);
  await assert.rejects(engine.synthesize('male', 'go', { rate: 9, pitch: 1 }), /prosody\.rate/);
});

test('adding GnuSpeech leaves the eSpeak/Flite speaker pools of earlier datasets as they were', () => {
  const ids = (seed: number, count: number, engines: Parameters<typeof planSpeakers>[2]) =>
    createHash('sha1').update(planSpeakers(seed, count, engines).map((s) => s.id).join(',')).digest('hex').slice(0, 16);
  // Computed by the planner before GnuSpeech was added: datasets made then are made again byte for byte.
  assert.equal(ids(0, 40, ['espeak', 'flite']), '8f3d190d813e25b0');
  assert.equal(ids(3, 7, ['flite']), '110b0232591b2944');
  assert.equal(ids(5, 9, ['espeak']), 'befc4f2d8c1ad2cd');

  const mixed = planSpeakers(1, 40, ['espeak', 'flite', 'gnuspeech']);
  const count = (engine: string) => mixed.filter((s) => s.engine === engine).length;
  assert.deepEqual([count('flite'), count('gnuspeech'), count('espeak')], [10, 10, 20]);
  for (const s of mixed.filter((x) => x.engine === 'gnuspeech')) assert.doesNotThrow(() => parseGnuSpeechVoice(s.voice), s.voice);
  const alone = planSpeakers(1, 12, ['gnuspeech']);
  assert.ok(alone.every((s) => s.engine === 'gnuspeech'));
  assert.ok(new Set(alone.map((s) => s.voice.split(':')[0])).size >= 3, 'the pool spreads over the voices');
});

test('kws synth with GnuSpeech writes clips the dataset reader labels synth:gnuspeech', async () => {
  const out = await mkdtemp(join(tmpdir(), 'kws-synth-gnu-'));
  try {
    const result = await synthesizeDataset({ out, seed: 2, engines: ['gnuspeech'], words: ['on', 'off'], unknownWords: ['of'], perWord: 2, perUnknownWord: 1, speakers: 2, noiseSeconds: 0 });
    assert.equal(result.written, 5);
    const ds = await readSpeechCommands(out, { task: '12' });
    assert.equal(ds.items.length, 5);
    assert.deepEqual(new Set(ds.items.map((i) => i.source)), new Set(['synth:gnuspeech']));
    assert.deepEqual(ds.items.map((i) => i.label).sort(), ['_unknown_', 'off', 'off', 'on', 'on']);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
