import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hashName, MAX_NUM_WAVS_PER_CLASS, percentageHash, speakerOf, splitForKey, unknownWordOf, whichSet } from '../datasets/split.js';

/** The README's formula, computed independently (hex digits folded mod 2^27 by hand). */
function readmePercentage(name: string): number {
  const hex = createHash('sha1').update(name).digest('hex');
  let mod = 0;
  for (const digit of hex) mod = (mod * 16 + parseInt(digit, 16)) % 2 ** 27;
  return mod * (100 / (2 ** 27 - 1));
}

test('hashName drops _nohash_ and what follows, and the folder', () => {
  assert.equal(hashName('bed/6d818f6c_nohash_2.wav'), '6d818f6c');
  assert.equal(hashName('/a/b/yes_0c540988_nohash_0.wav'), 'yes_0c540988');
  assert.equal(hashName('0_george_12.wav'), '0_george_12.wav');
});

test('percentageHash matches the README formula', () => {
  assert.equal(MAX_NUM_WAVS_PER_CLASS, 134217727);
  for (const name of ['6d818f6c', '0c540988', 'george', 'a', '', 'ffffffff']) {
    assert.equal(percentageHash(name), readmePercentage(name));
    assert.ok(percentageHash(name) >= 0 && percentageHash(name) <= 100);
  }
});

test('whichSet thresholds: validation below v%, test below v+t%, else train', () => {
  const names = Array.from({ length: 400 }, (_, i) => `spk${i}`);
  for (const name of names) {
    const p = readmePercentage(name);
    const expected = p < 10 ? 'validation' : p < 20 ? 'test' : 'train';
    assert.equal(whichSet(`${name}_nohash_0.wav`), expected);
    assert.equal(whichSet(`${name}_nohash_3.wav`), expected);
  }
  // Edge percentages: all-train, all-validation, all-test.
  assert.equal(splitForKey('spk1', { validationPercent: 0, testPercent: 0 }), 'train');
  assert.equal(splitForKey('spk1', { validationPercent: 100, testPercent: 0 }), 'validation');
  assert.equal(splitForKey('spk1', { validationPercent: 0, testPercent: 100 }), 'test');
  assert.throws(() => splitForKey('x', { validationPercent: 60, testPercent: 50 }), /at most 100/);
  assert.throws(() => splitForKey('x', { validationPercent: -1, testPercent: 10 }), /validationPercent/);
});

test('splits are stable and order-independent', () => {
  const names = Array.from({ length: 200 }, (_, i) => `${i.toString(16).padStart(8, '0')}_nohash_0.wav`);
  const first = names.map((n) => whichSet(n));
  const reversed = [...names].reverse().map((n) => whichSet(n)).reverse();
  assert.deepEqual(first, reversed);
  assert.deepEqual(first, names.map((n) => whichSet(n)));
  const counts = { train: 0, validation: 0, test: 0 };
  for (const s of first) counts[s]++;
  assert.ok(counts.validation > 5 && counts.test > 5 && counts.train > 120, JSON.stringify(counts));
});

test('speakerOf parses each layout and rejects others', () => {
  assert.equal(speakerOf('6d818f6c_nohash_2.wav', 'speech-commands'), '6d818f6c');
  assert.equal(speakerOf('bed_28497c5b_nohash_0.wav', 'unknown-prefixed'), '28497c5b');
  assert.equal(speakerOf('0_george_10.wav', 'digits'), 'george');
  assert.equal(speakerOf('0_george_10.wav', 'speech-commands'), null);
  assert.equal(speakerOf('1024.wav', 'speech-commands'), null);
  assert.equal(unknownWordOf('backward_0c540988_nohash_0.wav'), 'backward');
  assert.equal(unknownWordOf('0c540988_nohash_0.wav'), null);
});

test('inSpeakerFraction keeps whole speakers, nested across shares, about the share asked', async () => {
  const { inSpeakerFraction } = await import('../datasets/split.js');
  const speakers = Array.from({ length: 2000 }, (_, i) => `s${i}`);
  const kept = (share: number): Set<string> => new Set(speakers.filter((s) => inSpeakerFraction({ speaker: s, path: `/x/${s}_nohash_0.wav` }, share)));
  const quarter = kept(0.25);
  const half = kept(0.5);
  assert.equal(kept(0).size, 0);
  assert.equal(kept(1).size, speakers.length);
  for (const s of quarter) assert.ok(half.has(s), `${s} kept at 0.25 but not at 0.5`);
  assert.ok(Math.abs(quarter.size / speakers.length - 0.25) < 0.04, `0.25 kept ${quarter.size}`);
  assert.ok(Math.abs(half.size / speakers.length - 0.5) < 0.04, `0.5 kept ${half.size}`);
  // Every clip of a speaker goes the same way, whatever its path.
  for (const s of speakers.slice(0, 50)) {
    const ways = new Set([0, 1, 2].map((n) => inSpeakerFraction({ speaker: s, path: `/y/${n}/${s}_nohash_${n}.wav` }, 0.5)));
    assert.equal(ways.size, 1);
  }
  // Items without a speaker (silence slices) are decided by path and offset.
  const slices = Array.from({ length: 400 }, (_, i) => inSpeakerFraction({ speaker: null, path: '/n/noise.wav', slice: { offsetSamples: i * 16000 } }, 0.5));
  assert.ok(slices.some(Boolean) && !slices.every(Boolean));
  assert.throws(() => inSpeakerFraction({ speaker: 'a', path: 'a' }, 1.5), /\[0, 1\]/);
});
