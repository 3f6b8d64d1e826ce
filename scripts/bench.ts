/**
 * `npm run bench [-- SECTION...]`: speed figures, each printed as a ratio against a baseline
 * measured in the same run (the machines are shared and noisy, so absolute numbers drift).
 * Sections: features, recognition, streaming, batch, long-files, training, end-to-end.
 */
import { benchBatch } from './bench/batch.js';
import { benchEndToEnd } from './bench/end-to-end.js';
import { benchFeatures } from './bench/features.js';
import { benchLongFiles } from './bench/long-files.js';
import { benchRecognition } from './bench/recognition.js';
import { benchStreaming } from './bench/streaming.js';
import { benchTraining } from './bench/training.js';

const SECTIONS: Record<string, (report: (line: string) => void) => Promise<void>> = {
  features: benchFeatures,
  recognition: benchRecognition,
  streaming: benchStreaming,
  batch: benchBatch,
  'long-files': benchLongFiles,
  training: benchTraining,
  'end-to-end': benchEndToEnd,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in SECTIONS));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown section(s) ${unknown.join(', ')}; choose from ${Object.keys(SECTIONS).join(', ')}\n`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(SECTIONS)) {
  process.stdout.write(`\n## ${name}\n`);
  await SECTIONS[name]!((line) => process.stdout.write(`${line}\n`));
}
