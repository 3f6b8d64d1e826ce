import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEvaluateStream, type StreamReport } from '../cli/evaluate-stream.js';
import { chooseOperatingPoint, DEFAULT_SWEEP_THRESHOLDS } from '../evaluation/detection-metrics.js';
import { readOnnxManifest } from '../model/onnx/metadata.js';
import { SeededRandom } from '../util/random.js';
import { runKws } from './helpers/kws-process.js';
import { toneClip, writeFixtureModel, writeWav } from './recognizer-fixture.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const shared = resolve(repoRoot, '../shared/data');
const haveShared = existsSync(join(shared, 'speech_commands_v0.02_test_half')) && existsSync(join(shared, 'speech_commands_v0.01_mini/_background_noise_'));
let dir = '';
let modelPath = '';
let dataDir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-eval-stream-'));
  modelPath = join(dir, 'model.onnx');
  await writeFixtureModel(modelPath, { seed: 3 });
  // A tiny Speech Commands layout of generated clips: two commands, one other word, one noise file.
  dataDir = join(dir, 'data');
  let seed = 1;
  for (const [word, hz] of [['yes', 400], ['no', 900], ['cat', 2000]] as const) {
    for (let k = 0; k < 3; k++) await writeWav(join(dataDir, word, `${(1000 + k).toString(16)}abcd_nohash_${k}.wav`), toneClip(1, hz + 50 * k, seed++));
  }
  const rng = new SeededRandom(9);
  await writeWav(join(dataDir, '_background_noise_', 'hum.wav'), Float32Array.from({ length: 16000 * 5 }, (_, i) => 0.05 * Math.sin(i / 30) + 0.02 * (rng.next() * 2 - 1)));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sink(): { text: string; write(t: string): void } {
  return { text: '', write(t) { this.text += t; } };
}

test('evaluate-stream writes a consistent report, and replaying stored posteriors matches the live detector', async () => {
  const reportDir = join(dir, 'report');
  const out = sink();
  // No ignored labels and a threshold near the random model's uniform posteriors, so it fires.
  const report = await runEvaluateStream({
    data: dataDir, split: 'all', minutes: 1, streamSeconds: 30, modelPath, seed: 4, reportDir, out, progress: false,
    detector: { ignoreLabels: [], defaultThreshold: 0.1 },
  });
  const onDisk = JSON.parse(await readFile(join(reportDir, 'stream-report.json'), 'utf8')) as StreamReport;
  assert.deepEqual(onDisk.sweep, report.sweep);
  assert.equal(report.streams.length, 2);
  assert.equal(report.totalSeconds, 60);
  assert.equal(report.keywords, report.streams.reduce((a, s) => a + s.keywords, 0));
  assert.ok(report.keywords > 5);
  assert.deepEqual(report.sweep.map((p) => p.threshold), [...DEFAULT_SWEEP_THRESHOLDS]);
  for (const p of report.sweep) assert.equal(p.hits + p.misses, report.keywords);
  const live = report.atConfiguredThreshold;
  const replayed = report.sweep.find((p) => p.threshold === 0.1)!;
  assert.deepEqual({ ...replayed, threshold: 0.1 }, { ...live, threshold: 0.1 });
  assert.ok(live.hits + live.falseAccepts > 0, 'the random model fires at 0.1');
  // Per keyword at the same thresholds: the counts add up to the pooled ones.
  const keywordRows = Object.values(report.perKeywordAtConfiguredThreshold);
  assert.equal(keywordRows.reduce((a, k) => a + k.keywords, 0), report.keywords);
  assert.equal(keywordRows.reduce((a, k) => a + k.misses, 0), live.misses);
  assert.equal(keywordRows.reduce((a, k) => a + k.falseAccepts, 0), live.falseAccepts);
  for (const k of keywordRows) assert.equal(k.falseRejectRate, k.keywords > 0 ? k.misses / k.keywords : 0);
  assert.match(out.text, /per keyword there \(FRR of the times said \/ false accepts\): \S+ [\d.]+% of \d+ \/ \d+/);
  const latency = report.latencyAtConfiguredThreshold;
  if (live.hits === 0) assert.equal(latency, null);
  else {
    assert.equal(latency!.hits, live.hits);
    // A hit fires between the word's start and the match tolerance after its end.
    assert.ok(latency!.medianSeconds <= latency!.p90Seconds && latency!.p90Seconds <= report.toleranceSeconds + 1e-9);
  }
  const html = await readFile(join(reportDir, 'det-curve.html'), 'utf8');
  assert.match(html, /<svg/);
  assert.match(html, /false accepts per hour/);
  assert.match(out.text, /threshold\s+FRR\s+FA\/h/);
  assert.match(out.text, /operating point \(<= 1 FA\/h\)|no swept threshold reaches/);
  // What fired falsely at the operating point is listed with the word under it (or noise only).
  const operating = report.operatingPoint.point;
  const perKeyword = report.perKeywordOperatingPoint;
  const expected = perKeyword && (!operating || perKeyword.point.falseRejectRate < operating.falseRejectRate) ? perKeyword.point.falseAccepts : operating?.falseAccepts ?? 0;
  assert.equal(report.falseAcceptsAtOperatingPoint.length, expected);
  for (const f of report.falseAcceptsAtOperatingPoint) assert.ok(f.under === null || typeof f.under === 'string');
});

test('evaluate-stream on real speech (shared data, random model): shapes and counts', { skip: haveShared ? false : 'needs ../shared/data (absent)' }, async () => {
  const out = sink();
  const report = await runEvaluateStream({
    data: join(shared, 'speech_commands_v0.02_test_half'), split: 'all', minutes: 2, modelPath, seed: 2,
    noiseDir: join(shared, 'speech_commands_v0.01_mini'), reportDir: join(dir, 'report-shared'), out, progress: false, json: true,
  });
  const printed = JSON.parse(out.text) as StreamReport;
  assert.equal(printed.keywords, report.keywords);
  assert.ok(report.keywords >= 15 && report.fillers >= 10, `${report.keywords} keywords, ${report.fillers} fillers`);
  assert.ok(report.streams.every((s) => s.noise.endsWith('.wav') && s.snrDb >= 5 && s.snrDb <= 20));
  // False accepts can only fall as the threshold rises past the random model's near-uniform scores.
  assert.equal(report.sweep.at(-1)!.falseAccepts, 0);
  assert.equal(report.sweep.at(-1)!.falseRejectRate, 1);
});

test('evaluate-stream --hop-ms and --smoothing-ms set the detector the streams are scored with', async () => {
  const r = await runKws(['evaluate-stream', '--data', dataDir, '--split', 'all', '--minutes', '1', '--stream-seconds', '30', '--model', modelPath,
    '--report-dir', join(dir, 'report-cli'), '--json', '--hop-ms', '50', '--smoothing-ms', '500'], dir);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as StreamReport;
  assert.equal(report.detector.hopMs, 50);
  assert.equal(report.detector.smoothingMs, 500);
  assert.ok(report.detector.effectiveHopMs > 0 && report.detector.effectiveHopMs < 100, `effective hop ${report.detector.effectiveHopMs} ms: 50 ms on the frame grid, below the 100 ms default`);
  assert.equal(report.detector.smoothingLength, Math.round(500 / report.detector.effectiveHopMs));
});

test('evaluate-stream --save-thresholds stores the detector timing the thresholds were measured with', async () => {
  const saved = join(dir, 'saved.onnx');
  await copyFile(modelPath, saved);
  const out = sink();
  await runEvaluateStream({
    data: dataDir, split: 'all', minutes: 1, streamSeconds: 30, modelPath: saved, seed: 4, reportDir: join(dir, 'report-save'), out, progress: false,
    saveThresholds: true, detector: { smoothingMs: 600, refractoryMs: 1200 },
  });
  const detection = readOnnxManifest(await readFile(saved), saved).detection!;
  assert.deepEqual([detection.hopMs, detection.smoothingMs, detection.refractoryMs], [100, 600, 1200]);
  assert.match(out.text, /saved into .* \(hop 100 ms, smoothing 600 ms, refractory 1200 ms\)/);
});

test('evaluate-stream --max-false-accepts-per-hour sets the budget of the operating point it reports and saves', async () => {
  const reports: StreamReport[] = [];
  const saved = join(dir, 'budget.onnx');
  await copyFile(modelPath, saved);
  for (const budget of [0, 3600]) {
    reports.push(await runEvaluateStream({
      data: dataDir, split: 'all', minutes: 1, streamSeconds: 30, modelPath: saved, seed: 4, reportDir: join(dir, `report-budget-${budget}`), out: sink(), progress: false,
      detector: { ignoreLabels: [] }, maxFalseAcceptsPerHour: budget, saveThresholds: true,
    }));
  }
  const [strict, loose] = reports as [StreamReport, StreamReport];
  // The same streams and scores: only the budget differs.
  assert.deepEqual(strict.sweep, loose.sweep);
  for (const [r, budget] of [[strict, 0], [loose, 3600]] as const) {
    assert.equal(r.operatingPoint.maxFalseAcceptsPerHour, budget);
    assert.equal(r.operatingPoint.oneThreshold, undefined);
    assert.deepEqual(r.operatingPoint.point, chooseOperatingPoint(r.sweep, budget));
    assert.ok(r.operatingPoint.point!.falseAcceptsPerHour <= budget);
  }
  assert.ok(loose.operatingPoint.point!.falseRejectRate < strict.operatingPoint.point!.falseRejectRate, 'a larger budget buys fewer misses on these streams');
  const detection = readOnnxManifest(await readFile(saved), saved).detection!;
  assert.equal(detection.chosenOn?.maxFalseAcceptsPerHour, 3600);

  const refused = await runKws(['evaluate-stream', '--data', dataDir, '--split', 'all', '--minutes', '1', '--model', modelPath, '--max-false-accepts-per-hour', 'lots'], dir);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--max-false-accepts-per-hour must be a number in \[0, 3600\], got 'lots'/);
});

test('evaluate-stream --one-threshold saves the one-threshold operating point and records the choice', async () => {
  const saved = join(dir, 'one.onnx');
  await copyFile(modelPath, saved);
  const report = await runEvaluateStream({
    data: dataDir, split: 'all', minutes: 1, streamSeconds: 30, modelPath: saved, seed: 4, reportDir: join(dir, 'report-one'), out: sink(), progress: false,
    detector: { ignoreLabels: [] }, maxFalseAcceptsPerHour: 120, oneThreshold: true, saveThresholds: true,
  });
  const point = report.operatingPoint.point!;
  assert.deepEqual(point, chooseOperatingPoint(report.sweep, 120));
  assert.equal(report.operatingPoint.oneThreshold, true);
  const detection = readOnnxManifest(await readFile(saved), saved).detection!;
  assert.equal(detection.defaultThreshold, point.threshold);
  assert.deepEqual(detection.thresholds, {});
  assert.equal(detection.chosenOn?.oneThreshold, true);
  assert.equal(detection.measured?.falseRejectRate, point.falseRejectRate);
});
