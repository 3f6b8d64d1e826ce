/**
 * Writes the sample wavs shipped in models/kws12/samples/ (what `npm start` transcribes): one
 * synthetic clip per label from speakers of the synthetic set's *test* split (voices the shipped
 * model never trained on), in several wav flavours, plus a longer recording with three commands.
 *
 *   node dist/scripts/make-samples.js data/synth models/kws12/samples
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSpeechCommands } from '../datasets/speech-commands.js';
import { LABELS_12 } from '../datasets/types.js';
import { readAudio, resample, writeWavPcm16 } from '../features/audio/index.js';
import { writeFileAtomic } from '../util/atomic.js';

/** 32-bit float stereo wav (the same signal on both channels). */
function encodeFloat32Stereo(samples: Float32Array, rateHz: number): Uint8Array {
  const dataBytes = samples.length * 2 * 4;
  const out = new DataView(new ArrayBuffer(44 + dataBytes));
  const ascii = (offset: number, text: string): void => [...text].forEach((c, i) => out.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  out.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  out.setUint32(16, 16, true);
  out.setUint16(20, 3, true);
  out.setUint16(22, 2, true);
  out.setUint32(24, rateHz, true);
  out.setUint32(28, rateHz * 8, true);
  out.setUint16(32, 8, true);
  out.setUint16(34, 32, true);
  ascii(36, 'data');
  out.setUint32(40, dataBytes, true);
  samples.forEach((s, i) => {
    out.setFloat32(44 + i * 8, s, true);
    out.setFloat32(48 + i * 8, s, true);
  });
  return new Uint8Array(out.buffer);
}

const [synthDir = 'data/synth', outDir = 'models/kws12/samples'] = process.argv.slice(2);
const dataset = await readSpeechCommands(resolve(synthDir), { task: '12' });
await mkdir(outDir, { recursive: true });
for (const [n, label] of LABELS_12.entries()) {
  const item = dataset.items.find((it) => it.split === 'test' && it.label === label && (label !== '_unknown_' || it.word === 'house'));
  if (!item) throw new Error(`no test-split clip for ${label} in ${synthDir}`);
  const audio = await readAudio(item.path);
  const samples = item.slice ? audio.samples.slice(item.slice.offsetSamples, item.slice.offsetSamples + item.slice.lengthSamples) : audio.samples;
  const name = `${String(n).padStart(2, '0')}-${label.replace(/_/g, '')}`;
  if (label === 'down') {
    await writeWavPcm16(join(outDir, `${name}-8khz.wav`), await resample(samples, 16000, 8000), 8000);
  } else if (label === 'left') {
    await writeFileAtomic(join(outDir, `${name}-44khz-float-stereo.wav`), encodeFloat32Stereo(await resample(samples, 16000, 44100), 44100));
  } else {
    await writeWavPcm16(join(outDir, `${name}.wav`), samples, 16000);
  }
}
const fixture = fileURLToPath(new URL('../../test/fixtures/demo-commands.wav', import.meta.url));
await copyFile(fixture, join(outDir, '12-recording-yes-stop-left.wav'));
process.stdout.write(`wrote samples to ${outDir}\n`);
