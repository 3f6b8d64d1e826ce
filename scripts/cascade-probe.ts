/**
 * A measurement, not a serving path: would a second, independently trained model make the stream
 * detector quieter? Both models scan the same built streams (same hop and smoothing); their smoothed
 * posteriors are combined per evaluation by
 *  - `min` (a cascade: the second model is asked only when the first fires, and both must agree —
 *    almost no extra serving cost, since detections are rare), or
 *  - `mean` (an ensemble: both models run on every evaluation, twice the cost).
 * Per-keyword thresholds at <= 1 false accept/hour are chosen on the `--choose-split` streams and
 * applied unchanged to the `--report-split` streams, exactly as `kws evaluate-stream --save-thresholds`
 * and a later held-out run would, for each model alone and for each combination.
 *
 *   node dist/scripts/cascade-probe.js --model models/kws12/model.onnx --model runs/attention-scratch/model.onnx \
 *     --choose-data $SC --choose-split validation --choose-minutes 480 \
 *     --report-data $HALF --report-holdout --report-split test --report-minutes 120 --noise $NOISE --smoothing-ms 700
 */
import { parseArgs } from 'node:util';
import type { Split } from '../datasets/types.js';
import {
  chooseStreamThresholds, detPoint, replayStreams, TARGET_FALSE_ACCEPTS_PER_HOUR, type ScoredStream,
} from '../evaluation/detection-metrics.js';
import { detectorSweepOptions } from '../evaluation/stream-evaluation.js';
import { buildStream, modelStreamSources } from '../evaluation/stream-builder.js';
import { holdoutTestPercentFor } from '../model/holdout.js';
import { Recognizer } from '../pipeline/recognizer.js';
import { createNodeDetector, scanRecording } from '../pipeline/streaming/node.js';
import type { PosteriorFrame } from '../pipeline/streaming/types.js';

const STREAM_SECONDS = 120;
type Combination = 'first' | 'second' | 'min' | 'mean';
const COMBINATIONS: readonly Combination[] = ['first', 'second', 'min', 'mean'];

interface StreamSet {
  label: string;
  /** Per combination, the scored streams. */
  scored: Record<Combination, ScoredStream[]>;
  seconds: number;
}

/** Two models' posteriors of one stream combined per evaluation (the models must share hop and window). */
export function combine(a: readonly PosteriorFrame[], b: readonly PosteriorFrame[], how: 'min' | 'mean'): PosteriorFrame[] {
  if (a.length !== b.length) throw new Error(`the models evaluated ${a.length} and ${b.length} windows of one stream: their hop or window differ`);
  const op = how === 'min' ? Math.min : (x: number, y: number) => (x + y) / 2;
  return a.map((f, i) => {
    const g = b[i]!;
    if (Math.abs(f.timeSeconds - g.timeSeconds) > 1e-6) throw new Error(`window ${i} ends at ${f.timeSeconds} s for one model and ${g.timeSeconds} s for the other`);
    return {
      timeSeconds: f.timeSeconds,
      probabilities: Float32Array.from(f.probabilities, (v, c) => op(v, g.probabilities[c]!)),
      smoothed: Float32Array.from(f.smoothed, (v, c) => op(v, g.smoothed[c]!)),
    };
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', multiple: true, default: [] },
      'choose-data': { type: 'string' },
      'choose-split': { type: 'string', default: 'validation' },
      'choose-holdout': { type: 'boolean', default: false },
      'choose-minutes': { type: 'string', default: '480' },
      'report-data': { type: 'string' },
      'report-split': { type: 'string', default: 'test' },
      'report-holdout': { type: 'boolean', default: false },
      'report-minutes': { type: 'string', default: '120' },
      noise: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'smoothing-ms': { type: 'string', default: '700' },
      'hop-ms': { type: 'string', default: '100' },
    },
  });
  if (values.model.length !== 2 || !values['choose-data'] || !values['report-data']) {
    throw new Error('usage: cascade-probe --model FIRST.onnx --model SECOND.onnx --choose-data DIR [--choose-split S --choose-holdout --choose-minutes M] --report-data DIR [--report-split S --report-holdout --report-minutes M] [--noise DIR --seed N --smoothing-ms MS --hop-ms MS]');
  }
  const recognizers = await Promise.all(values.model.map((m) => Recognizer.create(m)));
  const [first, second] = recognizers as [Recognizer, Recognizer];
  if (first.labels.join() !== second.labels.join()) throw new Error(`${values.model[1]}: labels differ from ${values.model[0]}'s`);
  const timing = { hopMs: Number(values['hop-ms']), smoothingMs: Number(values['smoothing-ms']) };
  const detectors = recognizers.map((r) => createNodeDetector(r, timing));
  const config = detectors[0]!.config;
  const keywords = first.labels.filter((l) => !config.ignoreLabels.includes(l));
  const seed = Number(values.seed);

  const scan = async (label: string, data: string, split: string, holdout: boolean, minutes: number): Promise<StreamSet> => {
    const sources = await modelStreamSources({ labels: first.labels, task: first.manifest.task }, keywords, { data, split: split as Split | 'all', holdout, holdoutTestPercent: holdout ? holdoutTestPercentFor(first.manifest) : undefined, noiseDir: values.noise });
    const count = Math.ceil((minutes * 60) / STREAM_SECONDS);
    const scored: StreamSet['scored'] = { first: [], second: [], min: [], mean: [] };
    let seconds = 0;
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const s = await buildStream(sources, i, { durationSeconds: STREAM_SECONDS, seed });
      const [a, b] = await Promise.all(detectors.map((d) => scanRecording(d, s.samples, { keepPosteriors: true })));
      const base = { durationSeconds: s.durationSeconds, truth: s.truth };
      scored.first.push({ ...base, posteriors: a!.posteriors });
      scored.second.push({ ...base, posteriors: b!.posteriors });
      scored.min.push({ ...base, posteriors: combine(a!.posteriors, b!.posteriors, 'min') });
      scored.mean.push({ ...base, posteriors: combine(a!.posteriors, b!.posteriors, 'mean') });
      seconds += s.durationSeconds;
      const elapsed = (performance.now() - started) / 1000;
      process.stderr.write(`${label}: stream ${i + 1}/${count}, eta ${Math.round((elapsed / (i + 1)) * (count - i - 1))} s\n`);
    }
    return { label, scored, seconds };
  };

  const sweepOptions = detectorSweepOptions(detectors[0]!, first.labels);
  const choose = await scan('choose', values['choose-data'], values['choose-split'], values['choose-holdout'], Number(values['choose-minutes']));
  const report = await scan('report', values['report-data'], values['report-split'], values['report-holdout'], Number(values['report-minutes']));
  console.log(`models: first ${values.model[0]}, second ${values.model[1]}; hop ${config.hopMs} ms, smoothing ${config.smoothingMs} ms`);
  console.log(`thresholds chosen on ${(choose.seconds / 60).toFixed(0)} min (${values['choose-data']}, ${values['choose-split']}), applied to ${(report.seconds / 60).toFixed(0)} min (${values['report-data']}, ${values['report-split']}${values['report-holdout'] ? ', holdout' : ''})`);
  for (const how of COMBINATIONS) {
    const { perKeyword: chosen, fallbackThreshold } = chooseStreamThresholds(choose.scored[how], sweepOptions, keywords);
    if (!chosen) {
      console.log(`${how}: no per-keyword thresholds reach <= ${TARGET_FALSE_ACCEPTS_PER_HOUR} FA/h on the choice streams`);
      continue;
    }
    const total = replayStreams(report.scored[how], sweepOptions, { ...config, thresholds: chosen.thresholds, defaultThreshold: fallbackThreshold });
    const held = detPoint(NaN, total, report.seconds);
    const c = chosen.point;
    console.log(
      `${how}: choice streams FRR ${(100 * c.falseRejectRate).toFixed(2)}% at ${c.falseAcceptsPerHour.toFixed(2)} FA/h; ` +
        `report streams at those thresholds FRR ${(100 * held.falseRejectRate).toFixed(2)}% at ${held.falseAcceptsPerHour.toFixed(2)} FA/h ` +
        `(${held.falseAccepts} false accepts; thresholds ${Object.entries(chosen.thresholds).map(([k, t]) => `${k} ${t}`).join(', ')})`,
    );
  }
  await Promise.all(recognizers.map((r) => r.dispose()));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(`cascade-probe: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
