/** Near-miss negatives: the phoneme distance and the words it picks, with the real eSpeak NG. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EspeakEngine } from '../datasets/synth/espeak.js';
import { COMMON_WORDS } from '../datasets/synth/common-words.js';
import { WORDS_35 } from '../datasets/types.js';
import {
  memoisePhonemes, nearMissWords, normalisedPhonemeDistance, phonemeDistance, phonemeTokens, phraseParts, tokenDistance, type PhonemesOf,
} from '../datasets/synth/near-miss.js';

let engine: EspeakEngine;
let phonemesOf: PhonemesOf;
before(async () => {
  engine = await EspeakEngine.create();
  phonemesOf = (text) => engine.phonemes(text);
});
after(async () => {
  await engine.close();
});

const distance = (a: string, b: string) => phonemeDistance(phonemesOf(a), phonemesOf(b));

test('COMMON_WORDS are distinct lower-case words outside Speech Commands', () => {
  assert.ok(COMMON_WORDS.length >= 550 && COMMON_WORDS.length <= 700, `${COMMON_WORDS.length} words`);
  assert.equal(new Set(COMMON_WORDS).size, COMMON_WORDS.length);
  for (const w of COMMON_WORDS) assert.match(w, /^[a-z]+$/);
  for (const w of WORDS_35) assert.ok(!COMMON_WORDS.includes(w), w);
});

test('phonemeTokens splits words, drops stress and length marks, marks word boundaries', () => {
  assert.deepEqual(phonemeTokens(['h_ˈeɪ', 'ɹ_ˈoʊ_b_ɑː_t']), ['h', 'eɪ', '#', 'ɹ', 'oʊ', 'b', 'ɑ', 't']);
});

test('phoneme distance: zero for the same sound, symmetric, vowel swaps cheaper than vowel for consonant', () => {
  assert.equal(distance('happy', 'happy'), 0);
  assert.equal(distance('eight', 'ate'), 0);
  assert.equal(distance('right', 'write'), 0);
  for (const [a, b] of [['happy', 'hobby'], ['bird', 'board'], ['hey robot', 'hay rowboat'], ['cat', 'elephant']] as const) {
    assert.equal(distance(a, b), distance(b, a), `${a} / ${b}`);
  }
  const vowelSwap = tokenDistance(['k', 'æ', 't'], ['k', 'ʌ', 't']);
  const vowelForConsonant = tokenDistance(['k', 'æ', 't'], ['k', 's', 't']);
  assert.ok(vowelSwap < vowelForConsonant, `${vowelSwap} vs ${vowelForConsonant}`);
  assert.equal(vowelForConsonant, 1);
  assert.equal(tokenDistance(['k', 'æ', 't'], ['k', 'æ']), 1);
  assert.ok(distance('cat', 'cut') < distance('cat', 'elephant'));
  const normalised = normalisedPhonemeDistance(phonemesOf('cat'), phonemesOf('elephant'));
  assert.ok(normalised > 0 && normalised <= 1, `${normalised}`);
});

test('near misses of happy and bird are the expected sound-alikes', () => {
  const happy = nearMissWords('happy', phonemesOf, { count: 8 });
  assert.equal(happy.length, 8);
  const happyAlikes = ['hobby', 'puppy', 'hippie', 'poppy', 'nappy', 'hubby'].filter((w) => happy.includes(w));
  assert.ok(happyAlikes.length >= 2, `happy -> ${happy.join(', ')}`);
  const bird = nearMissWords('bird', phonemesOf, { count: 8 });
  assert.ok(['word', 'heard', 'bud', 'board', 'bed', 'third'].some((w) => bird.includes(w)), `bird -> ${bird.join(', ')}`);
});

test('near misses leave out the keyword, its homophones and the excluded words', () => {
  const eight = nearMissWords('eight', phonemesOf, { count: 30 });
  assert.ok(!eight.includes('eight') && !eight.includes('ate'), eight.join(', '));
  const right = nearMissWords('Right', phonemesOf, { count: 30, exclude: ['light', 'night'] });
  for (const w of ['right', 'write', 'light', 'night']) assert.ok(!right.includes(w), `${w} in ${right.join(', ')}`);
  // 'one' is excluded, so its homophone 'won' is too.
  const run = nearMissWords('run', phonemesOf, { count: 30, exclude: ['one'] });
  assert.ok(!run.includes('one') && !run.includes('won'), run.join(', '));
  const custom = nearMissWords('cat', phonemesOf, { count: 3, candidates: ['cut', 'cat', 'elephant', 'bat', 'cut'] });
  assert.deepEqual(custom, ['bat', 'cut', 'elephant']);
});

test('a phrase has its words as parts and one-word swaps as near misses', () => {
  assert.deepEqual(phraseParts('hey robot'), ['hey', 'robot']);
  assert.deepEqual(phraseParts('turn the lights on'), [
    'turn', 'the', 'lights', 'on', 'turn the', 'the lights', 'lights on', 'turn the lights', 'the lights on',
  ]);
  assert.deepEqual(phraseParts('bird'), []);
  const near = nearMissWords('hey robot', phonemesOf, { count: 8 });
  assert.equal(near.length, 8);
  for (const w of ['hey robot', 'hey', 'robot', 'hay robot']) assert.ok(!near.includes(w), `${w} in ${near.join(', ')}`);
  assert.ok(near.every((p) => p.endsWith(' robot') || p.startsWith('hey ')), near.join(', '));
  const lights = nearMissWords('lights on', phonemesOf, { count: 8, exclude: ['lights off'] });
  assert.ok(!lights.includes('lights off'), lights.join(', '));
});

test('near misses are deterministic, with or without memoised phonemes', () => {
  const memoised = memoisePhonemes(phonemesOf);
  for (const keyword of ['happy', 'cat', 'hey robot']) {
    const first = nearMissWords(keyword, phonemesOf, { count: 20 });
    assert.deepEqual(nearMissWords(keyword, phonemesOf, { count: 20 }), first);
    assert.deepEqual(nearMissWords(keyword, memoised, { count: 20 }), first);
  }
});
