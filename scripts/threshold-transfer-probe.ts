/**
 * A measurement, not a serving path: do stream thresholds chosen on some speakers keep their
 * false-accept budget on others? The validation pool of `kws evaluate-stream` (a folder's split, and
 * hold-out folders' under the hold-out re-split) is split into two speaker folds by a hash of the
 * speaker id; each fold's streams are scored once. For each choice method and validation budget,
 * thresholds are chosen on one fold exactly as `kws evaluate-stream --save-thresholds` chooses them
 * (per keyword where that misses fewer, else one threshold) or as one threshold for all, and
 * replayed unchanged on the other fold, both ways round.
 *
 *   node dist/scripts/threshold-transfer-probe.js --data $SC --holdout-data $HALF --noise $NOISE \
 *     --minutes 960 --smoothing-ms 700 --budget 1 --budget 0.75 --budget 0.5 --budget 0.25 --out runs/transfer
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Split } from '../datasets/types.js';
import {
  chooseStreamThresholds, detPoint, replayStreams, type DetPoint, type ScoredStream,
} from '../evaluation/detection-metrics.js';
import { buildStream, modelStreamSources, type SourceClip, type StreamSources } from '../evaluation/stream-builder.js';
import { detectorSweepOptions, operatingThresholds } from '../evaluation/stream-evaluation.js';
import { holdoutTestPercentFor } from '../model/holdout.js';
import { DEFAULT_MODEL_PATH, Recognizer } from '../pipeline/recognizer.js';
import { createNodeDetector, scanRecording } from '../pipeline/streaming/node.js';
import { writeFileAtomic } from '../util/atomic.js';

const STREAM_SECONDS = 120;

/** Speech Commands names clips SPEAKER_nohash_N.ext; other names count as their own speaker. */
export function speakerOf(path: string): string {
  const name = basename(path);
  const at = name.indexOf('_nohash_');
  return at > 0 ? name.slice(0, at) : name;
}

/** Fold 0 or 1 of a speaker: the parity of the first byte of sha1(speaker id). */
export function speakerFold(path: string): 0 | 1 {
  return (createHash('sha1').update(speakerOf(path)).digest()[0]! & 1) as 0 | 1;
}

function foldSources(sources: StreamSources, fold: 0 | 1): StreamSources {
  const inFold = (c: SourceClip): boolean => speakerFold(c.path) === fold;
  return { keywords: sources.keywords.filter(inFold), fillers: sources.fillers.filter(inFold), noiseFiles: sources.noiseFiles };
}

type Method = 'per-keyword' | 'one threshold';
interface Transfer {
  method: Method;
  budget: number;
  chooseFold: number;
  thresholds: { defaultThreshold: number; thresholds: Record<string, number> } | null;
  chosen: Pick<DetPoint, 'falseRejectRate' | 'falseAcceptsPerHour'> | null;
  other: DetPoint | null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: DEFAULT_MODEL_PATH },
      data: { type: 'string' },
      split: { type: 'string', default: 'validation' },
      'holdout-data': { type: 'string', multiple: true, default: [] },
      noise: { type: 'string' },
      minutes: { type: 'string', default: '960' },
      seed: { type: 'string', default: '1' },
      'smoothing-ms': { type: 'string', default: '700' },
      budget: { type: 'string', multiple: true, default: [] },
      out: { type: 'string', default: 'threshold-transfer' },
    },
  });
  if (!values.data || values.budget.length === 0) {
    throw new Error('usage: threshold-transfer-probe --data DIR [--holdout-data DIR ...] --budget FA_PER_HOUR [--budget ...] [--model M --split S --noise DIR --minutes PER_FOLD --seed N --smoothing-ms MS --out DIR]');
  }
  const budgets = values.budget.map(Number);
  if (budgets.some((b) => !(b >= 0))) throw new Error(`--budget must be >= 0 false accepts per hour, got ${values.budget.join(', ')}`);
  const recognizer = await Recognizer.create(values.model);
  const detector = createNodeDetector(recognizer, { smoothingMs: Number(values['smoothing-ms']) });
  const config = detector.config;
  const keywords = recognizer.labels.filter((l) => !config.ignoreLabels.includes(l));
  const seed = Number(values.seed);
  const holdoutData = values['holdout-data'].map((d) => resolve(d));
  const sources = await modelStreamSources({ labels: recognizer.labels, task: recognizer.manifest.task }, keywords, {
    data: values.data, split: values.split as Split | 'all', noiseDir: values.noise, holdoutData,
    holdoutTestPercent: holdoutData.length > 0 ? holdoutTestPercentFor(recognizer.manifest) : undefined,
  });
  const count = Math.ceil((Number(values.minutes) * 60) / STREAM_SECONDS);
  const folds: { scored: ScoredStream[]; seconds: number; speakers: number; keywordClips: number; said: Record<string, number> }[] = [];
  const started = performance.now();
  for (const fold of [0, 1] as const) {
    const own = foldSources(sources, fold);
    const scored: ScoredStream[] = [];
    const said: Record<string, number> = {};
    for (let i = 0; i < count; i++) {
      const s = await buildStream(own, i, { durationSeconds: STREAM_SECONDS, seed });
      const { posteriors } = await scanRecording(detector, s.samples, { keepPosteriors: true });
      scored.push({ durationSeconds: s.durationSeconds, posteriors, truth: s.truth });
      for (const t of s.truth) said[t.label] = (said[t.label] ?? 0) + 1;
      const done = fold * count + i + 1;
      const elapsed = (performance.now() - started) / 1000;
      process.stderr.write(`fold ${fold}: stream ${i + 1}/${count}, eta ${Math.round((elapsed / done) * (2 * count - done))} s\n`);
    }
    const speakers = new Set([...own.keywords, ...own.fillers].map((c) => speakerOf(c.path))).size;
    folds.push({ scored, seconds: scored.reduce((a, s) => a + s.durationSeconds, 0), speakers, keywordClips: own.keywords.length, said });
  }
  await recognizer.dispose();

  const sweepOptions = detectorSweepOptions(detector, recognizer.labels);
  const transfers: Transfer[] = [];
  for (const budget of budgets) {
    for (const chooseFold of [0, 1]) {
      const choice = chooseStreamThresholds(folds[chooseFold]!.scored, sweepOptions, keywords, budget);
      const perKeyword = operatingThresholds(choice.point, choice.perKeyword);
      const one = choice.point ? { thresholds: { defaultThreshold: choice.point.threshold, thresholds: {} }, measured: choice.point } : null;
      for (const [method, picked] of [['per-keyword', perKeyword], ['one threshold', one]] as const) {
        const other = folds[1 - chooseFold]!;
        const replayed = picked ? detPoint(picked.thresholds.defaultThreshold, replayStreams(other.scored, sweepOptions, { ...config, ...picked.thresholds }), other.seconds) : null;
        transfers.push({ method, budget, chooseFold, thresholds: picked?.thresholds ?? null, chosen: picked ? { falseRejectRate: picked.measured.falseRejectRate, falseAcceptsPerHour: picked.measured.falseAcceptsPerHour } : null, other: replayed });
      }
    }
  }
  const summary = budgets.flatMap((budget) => (['per-keyword', 'one threshold'] as const).map((method) => {
    const both = transfers.filter((t) => t.budget === budget && t.method === method);
    const complete = both.every((t) => t.other !== null);
    const mean = (f: (t: Transfer) => number): number => both.reduce((a, t) => a + f(t), 0) / both.length;
    return {
      method, budget,
      choiceFrr: complete ? mean((t) => t.chosen!.falseRejectRate) : null,
      choiceFaPerHour: complete ? mean((t) => t.chosen!.falseAcceptsPerHour) : null,
      otherFrr: complete ? mean((t) => t.other!.falseRejectRate) : null,
      otherFaPerHour: complete ? mean((t) => t.other!.falseAcceptsPerHour) : null,
    };
  }));
  const outDir = resolve(values.out);
  await mkdir(outDir, { recursive: true });
  const report = {
    model: resolve(values.model), data: resolve(values.data), holdoutData, split: values.split, seed, minutesPerFold: Number(values.minutes),
    detector: { hopMs: config.hopMs, smoothingMs: config.smoothingMs, refractoryMs: config.refractoryMs },
    folds: folds.map((f, i) => ({ fold: i, speakers: f.speakers, keywordClips: f.keywordClips, seconds: f.seconds, said: f.said })),
    transfers, summary,
  };
  await writeFileAtomic(join(outDir, 'threshold-transfer.json'), JSON.stringify(report, null, 2) + '\n');
  const pct = (v: number | null): string => (v === null ? '—' : `${(100 * v).toFixed(2)}%`);
  const fa = (v: number | null): string => (v === null ? '—' : v.toFixed(2));
  console.log(`model ${values.model}; ${folds.map((f, i) => `fold ${i}: ${f.speakers} speakers, ${f.keywordClips} keyword clips, ${(f.seconds / 60).toFixed(0)} min`).join('; ')}`);
  console.log('method          budget  chosen-fold FRR  FA/h   other-fold FRR  FA/h   (means of both directions)');
  for (const s of summary) {
    console.log(`${s.method.padEnd(15)} ${String(s.budget).padStart(6)}  ${pct(s.choiceFrr).padStart(15)}  ${fa(s.choiceFaPerHour).padStart(5)}  ${pct(s.otherFrr).padStart(14)}  ${fa(s.otherFaPerHour).padStart(5)}`);
  }
  for (const t of transfers) {
    const th = t.thresholds ? (Object.keys(t.thresholds.thresholds).length > 0 ? Object.entries(t.thresholds.thresholds).map(([k, v]) => `${k} ${v}`).join(', ') : `all ${t.thresholds.defaultThreshold}`) : 'none keeps the budget';
    console.log(`  ${t.method} at ${t.budget}, chosen on fold ${t.chooseFold}: ${th}; other fold ${pct(t.other?.falseRejectRate ?? null)} at ${fa(t.other?.falseAcceptsPerHour ?? null)} FA/h (${t.other?.falseAccepts ?? '—'} false accepts)`);
  }
  console.log(`report: ${join(outDir, 'threshold-transfer.json')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(`threshold-transfer-probe: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
