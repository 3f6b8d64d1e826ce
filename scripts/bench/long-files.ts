/**
 * Peak memory of batch transcription over long recordings: real `kws transcribe DIR --jobs N`
 * processes (the shipped model) over generated 16 kHz 16-bit wavs (low noise with a tone burst
 * every few seconds), peak RSS from GNU time or /proc VmHWM (see peak-rss.ts). Three runs, each
 * against baselines of the same run:
 *  - FILES one-minute files (the baseline);
 *  - one one-hour file;
 *  - FILES one-hour files.
 * The claim: peak memory grows neither with file length (FILES x 1 h vs FILES x 1 min) nor with
 * the number of long files (FILES x 1 h vs 1 x 1 h). One file of each length is written, the
 * others are hard links to it (distinct paths; memory does not depend on the content).
 * Size: KWS_BENCH_LONG_FILES (default 4), KWS_BENCH_LONG_MINUTES (default 60), --jobs 2.
 * Standalone: `node dist/scripts/bench/long-files.js`.
 */
import { link, mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SeededRandom } from '../../util/random.js';
import { runMeasured, type MeasuredRun } from './peak-rss.js';

const RATE = 16000;
const JOBS = 2;
const WRITE_CHUNK_SAMPLES = RATE * 10;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const kwsBin = path.join(repoRoot, 'bin/kws.js');
const shippedModel = path.join(repoRoot, 'models/kws12/model.onnx');

function sizeFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got '${text}'`);
  return n;
}

/** A 16-bit mono wav of `seconds`, written 10 s at a time so the bench itself stays small. */
async function writeLongWav(file: string, seconds: number, seed: number): Promise<void> {
  const total = seconds * RATE;
  const handle = await open(file, 'w');
  try {
    const header = Buffer.alloc(44);
    header.write('RIFF', 0, 'ascii');
    header.writeUInt32LE(36 + 2 * total, 4);
    header.write('WAVEfmt ', 8, 'ascii');
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(RATE, 24);
    header.writeUInt32LE(2 * RATE, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36, 'ascii');
    header.writeUInt32LE(2 * total, 40);
    await handle.write(header);
    const rng = new SeededRandom(seed);
    const block = Buffer.alloc(2 * WRITE_CHUNK_SAMPLES);
    for (let start = 0; start < total; start += WRITE_CHUNK_SAMPLES) {
      const n = Math.min(WRITE_CHUNK_SAMPLES, total - start);
      for (let i = 0; i < n; i++) {
        const s = start + i;
        const inPeriod = s % (RATE * 7); // a 0.4 s tone every 7 s, its pitch from the period number
        const f = 300 + 97 * (Math.floor(s / (RATE * 7)) % 9);
        const tone = inPeriod < RATE * 0.4 ? 0.3 * Math.sin((Math.PI * inPeriod) / (RATE * 0.4)) * Math.sin((2 * Math.PI * f * s) / RATE) : 0;
        block.writeInt16LE(Math.round(32767 * Math.max(-1, Math.min(1, tone + 0.01 * (rng.next() - 0.5)))), 2 * i);
      }
      await handle.write(block, 0, 2 * n);
    }
  } finally {
    await handle.close();
  }
}

/** A folder of `count` paths to one generated recording of `seconds`. */
async function folderOf(dir: string, name: string, count: number, seconds: number): Promise<string> {
  const folder = path.join(dir, name);
  await mkdir(folder, { recursive: true });
  const first = path.join(folder, 'r00.wav');
  await writeLongWav(first, seconds, 7);
  for (let i = 1; i < count; i++) await link(first, path.join(folder, `r${String(i).padStart(2, '0')}.wav`));
  return folder;
}

interface Transcribed extends MeasuredRun {
  rows: number;
  errorRows: number;
}

async function transcribe(folder: string): Promise<Transcribed> {
  const run = await runMeasured(process.execPath, [kwsBin, 'transcribe', folder, '--model', shippedModel, '--jobs', String(JOBS), '--format', 'jsonl', '--no-progress']);
  if (run.code !== 0) throw new Error(`kws transcribe ${folder}: exit ${run.code}: ${run.stderr.slice(-1000)}`);
  const rows = run.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { error?: string | null });
  return { ...run, rows: rows.length, errorRows: rows.filter((r) => r.error != null).length };
}

export async function benchLongFiles(report: (line: string) => void): Promise<void> {
  const files = sizeFromEnv('KWS_BENCH_LONG_FILES', 4);
  const minutes = sizeFromEnv('KWS_BENCH_LONG_MINUTES', 60);
  const dir = await mkdtemp(path.join(tmpdir(), 'kws-bench-long-'));
  try {
    const shortDir = await folderOf(dir, 'short', files, 60);
    const longDir = await folderOf(dir, 'long', files, minutes * 60);
    const oneDir = path.join(dir, 'one');
    await mkdir(oneDir);
    await link(path.join(longDir, 'r00.wav'), path.join(oneDir, 'r00.wav'));
    report(`kws transcribe DIR --jobs ${JOBS}, shipped model, generated 16 kHz 16-bit wavs (noise + tone bursts); ${files} x 1 min vs 1 x ${minutes} min vs ${files} x ${minutes} min`);

    await transcribe(shortDir); // page cache and start-up warm-up
    const short = await transcribe(shortDir);
    const one = await transcribe(oneDir);
    const long = await transcribe(longDir);

    const line = (name: string, audioSeconds: number, r: Transcribed): string =>
      `${name}: peak RSS ${r.peakRssMb.toFixed(0)} MB (${r.method}), ${r.wallSeconds.toFixed(1)} s wall for ${(audioSeconds / 3600).toFixed(2)} h of audio` +
      ` (real-time factor ${(r.wallSeconds / audioSeconds).toFixed(4)}), ${r.rows} rows${r.errorRows > 0 ? `, ${r.errorRows} ERROR rows` : ''}`;
    report(line(`${files} x 1 min`.padEnd(12), files * 60, short));
    report(line(`1 x ${minutes} min`.padEnd(12), minutes * 60, one));
    report(line(`${files} x ${minutes} min`.padEnd(12), files * minutes * 60, long));
    report(`peak RSS ${files} x ${minutes} min / ${files} x 1 min: ${(long.peakRssMb / short.peakRssMb).toFixed(2)}x   target: flat (~1x) whatever the file length`);
    report(`peak RSS ${files} x ${minutes} min / 1 x ${minutes} min: ${(long.peakRssMb / one.peakRssMb).toFixed(2)}x   target: flat (~1x) whatever the number of long files`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchLongFiles((l) => process.stdout.write(`${l}\n`));
}
