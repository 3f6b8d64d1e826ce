/** A tiny `kws synth` run: both engines, two words, checked for validity, determinism and resume. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readAudio } from '../features/audio/index.js';
import { synthesizeDataset } from '../datasets/synth/generate.js';
import { readSpeechCommands } from '../datasets/speech-commands.js';

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

const options = (out: string) => ({ out, seed: 7, words: ['yes', 'no'], unknownWords: [], perWord: 2, speakers: 2, noiseSeconds: 1.5 });

test('synth writes valid, deterministic, resumable clips from both engines', async () => {
  const a = await mkdtemp(join(tmpdir(), 'kws-synth-a-'));
  const b = await mkdtemp(join(tmpdir(), 'kws-synth-b-'));
  try {
    const first = await synthesizeDataset(options(a));
    assert.equal(first.clips, 4);
    assert.equal(first.written, 4 + 5);
    assert.deepEqual(new Set(first.speakers.map((s) => s.engine)), new Set(['espeak', 'flite']));

    const files = await listFiles(a);
    const clips = files.filter((f) => /^(yes|no)\/[0-9a-f]{8}_nohash_0\.wav$/.test(f));
    assert.equal(clips.length, 4);
    assert.equal(files.filter((f) => f.startsWith('_background_noise_/')).length, 5);
    assert.ok(files.includes('synth.json'));
    for (const f of clips) {
      const audio = await readAudio(join(a, f));
      assert.equal(audio.source.sampleRateHz, 16000, f);
      assert.equal(audio.samples.length, 16000, f);
      let peak = 0;
      for (const s of audio.samples) peak = Math.max(peak, Math.abs(s));
      assert.ok(peak > 0.2 && peak < 1, `${f} peak ${peak}`);
    }
    const babble = await readAudio(join(a, '_background_noise_', 'babble.wav'));
    assert.equal(babble.samples.length, 24000);

    const second = await synthesizeDataset(options(b));
    assert.deepEqual(await listFiles(b), files);
    for (const f of files) assert.ok((await readFile(join(a, f))).equals(await readFile(join(b, f))), `${f} differs between runs`);

    const resumed = await synthesizeDataset(options(a));
    assert.equal(resumed.written, 0);
    assert.equal(resumed.skipped, 9);
    assert.equal(second.written, 9);

    const ds = await readSpeechCommands(a, { task: '12' });
    assert.equal(ds.items.filter((i) => !i.slice).length, 4);
    assert.deepEqual(new Set(ds.items.filter((i) => !i.slice).map((i) => i.source)), new Set(['synth:espeak', 'synth:flite']));
    assert.equal(ds.noiseFiles.length, 5);
  } finally {
    await rm(a, { recursive: true, force: true });
    await rm(b, { recursive: true, force: true });
  }
});
