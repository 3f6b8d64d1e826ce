/**
 * Keyword detection metrics on long streams: detections matched to ground truth, false rejection
 * rate and false accepts per hour over a threshold sweep (replaying stored smoothed posteriors, so
 * the model runs once), the DET curve, and the threshold for an operating point.
 */
import { replayTrigger, type TriggerConfig } from '../pipeline/streaming/trigger.js';
import type { Detection, PosteriorFrame } from '../pipeline/streaming/types.js';

/** A word placed in a stream: seconds from the stream start. */
export interface TruthEvent {
  label: string;
  startSeconds: number;
  endSeconds: number;
  /** The word as recorded and the clip it came from, for reports. */
  word?: string;
  source?: string;
}

/**
 * A detection matches a true word of its label when it fires within [start, end + tolerance]:
 * the detector fires at the end of a window, after the word, so the tolerance is about a window.
 */
export const DEFAULT_MATCH_TOLERANCE_SECONDS = 1.0;
/** The operating point kws reports: at most this many false accepts per hour. */
export const TARGET_FALSE_ACCEPTS_PER_HOUR = 1;

export interface MatchResult {
  hits: number;
  misses: number;
  falseAccepts: number;
  matched: { detection: Detection; truth: TruthEvent }[];
  falseAcceptDetections: Detection[];
  missedTruths: TruthEvent[];
}

/** Greedy in firing order: each detection takes the earliest unmatched true word it can match. */
export function matchDetections(detections: readonly Detection[], truth: readonly TruthEvent[], toleranceSeconds = DEFAULT_MATCH_TOLERANCE_SECONDS): MatchResult {
  if (!(toleranceSeconds >= 0)) throw new RangeError(`matchDetections: toleranceSeconds must be >= 0, got ${toleranceSeconds}`);
  const order = truth.map((_, i) => i).sort((a, b) => truth[a]!.startSeconds - truth[b]!.startSeconds);
  const used = new Uint8Array(truth.length);
  const matched: MatchResult['matched'] = [];
  const falseAcceptDetections: Detection[] = [];
  const sorted = [...detections].sort((a, b) => a.firedAtSeconds - b.firedAtSeconds);
  for (const d of sorted) {
    const t = order.find((i) => {
      const e = truth[i]!;
      return !used[i] && e.label === d.label && d.firedAtSeconds >= e.startSeconds && d.firedAtSeconds <= e.endSeconds + toleranceSeconds;
    });
    if (t === undefined) falseAcceptDetections.push(d);
    else {
      used[t] = 1;
      matched.push({ detection: d, truth: truth[t]! });
    }
  }
  const missedTruths = truth.filter((_, i) => !used[i]);
  return { hits: matched.length, misses: missedTruths.length, falseAccepts: falseAcceptDetections.length, matched, falseAcceptDetections, missedTruths };
}

export interface DetPoint {
  threshold: number;
  /** Missed true keywords / true keywords (0 when there are none). */
  falseRejectRate: number;
  falseAcceptsPerHour: number;
  hits: number;
  misses: number;
  falseAccepts: number;
}

/** One evaluated stream: the model's stored posteriors and what was really said. */
export interface ScoredStream {
  durationSeconds: number;
  posteriors: readonly PosteriorFrame[];
  truth: readonly TruthEvent[];
}

export interface SweepOptions {
  labels: readonly string[];
  /** Refractory period and ignored labels of the detector; thresholds are swept. */
  trigger: Pick<TriggerConfig, 'refractoryMs' | 'ignoreLabels'>;
  windowSeconds: number;
  /** The detector's smoothing length in evaluations (used for the start/end estimate only). */
  historyLength: number;
  thresholds?: readonly number[];
  toleranceSeconds?: number;
}

/** 0.05 .. 0.95 by 0.05, then finer steps towards 1 where low false-accept rates live (1 - threshold shrinks 1.3-2.5x per step from 0.97 up: where the <= 1 FA/h point lies depends on the model and its temperature). */
export const DEFAULT_SWEEP_THRESHOLDS: readonly number[] = Object.freeze([
  ...Array.from({ length: 19 }, (_, i) => Number((0.05 * (i + 1)).toFixed(2))),
  0.96, 0.97, 0.98, 0.985, 0.99, 0.9925, 0.995, 0.9965, 0.998, 0.999, 0.9995, 0.9998, 0.9999,
]);

export function detPoint(threshold: number, result: Pick<MatchResult, 'hits' | 'misses' | 'falseAccepts'>, durationSeconds: number): DetPoint {
  if (!(durationSeconds > 0)) throw new RangeError(`detPoint: durationSeconds must be > 0, got ${durationSeconds}`);
  const truths = result.hits + result.misses;
  return {
    threshold,
    falseRejectRate: truths > 0 ? result.misses / truths : 0,
    falseAcceptsPerHour: result.falseAccepts / (durationSeconds / 3600),
    hits: result.hits,
    misses: result.misses,
    falseAccepts: result.falseAccepts,
  };
}

/** Hits, misses and false accepts of the trigger `config` replayed over every stream. */
export function replayStreams(streams: readonly ScoredStream[], options: SweepOptions, config: TriggerConfig): Pick<MatchResult, 'hits' | 'misses' | 'falseAccepts'> {
  const total = { hits: 0, misses: 0, falseAccepts: 0 };
  for (const s of streams) {
    const detections = replayTrigger(options.labels, s.posteriors, config, options.windowSeconds, options.historyLength);
    const r = matchDetections(detections, s.truth, options.toleranceSeconds);
    total.hits += r.hits;
    total.misses += r.misses;
    total.falseAccepts += r.falseAccepts;
  }
  return total;
}

/** FRR and FA/h at each threshold (one global threshold for every label), pooled over the streams. */
export function sweepThresholds(streams: readonly ScoredStream[], options: SweepOptions): DetPoint[] {
  const thresholds = options.thresholds ?? DEFAULT_SWEEP_THRESHOLDS;
  const duration = streams.reduce((a, s) => a + s.durationSeconds, 0);
  return thresholds.map((threshold) => {
    if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`sweepThresholds: thresholds must be in [0, 1], got ${threshold}`);
    return detPoint(threshold, replayStreams(streams, options, { ...options.trigger, thresholds: {}, defaultThreshold: threshold }), duration);
  });
}

/** The point with the lowest FRR among those with at most `maxFalseAcceptsPerHour`; ties go to fewer false accepts, then the lower threshold. Null when none qualifies. */
export function chooseOperatingPoint(points: readonly DetPoint[], maxFalseAcceptsPerHour = TARGET_FALSE_ACCEPTS_PER_HOUR): DetPoint | null {
  let best: DetPoint | null = null;
  for (const p of points) {
    if (p.falseAcceptsPerHour > maxFalseAcceptsPerHour) continue;
    if (
      best === null ||
      p.falseRejectRate < best.falseRejectRate ||
      (p.falseRejectRate === best.falseRejectRate && (p.falseAcceptsPerHour < best.falseAcceptsPerHour || (p.falseAcceptsPerHour === best.falseAcceptsPerHour && p.threshold < best.threshold)))
    ) {
      best = p;
    }
  }
  return best;
}

/** DET curve points (false accepts per hour, false rejection rate), ordered by false accepts. */
export function detCurve(points: readonly DetPoint[]): [number, number][] {
  return points.map((p): [number, number] => [p.falseAcceptsPerHour, p.falseRejectRate]).sort((a, b) => a[0] - b[0] || b[1] - a[1]);
}

/** Keywords with fewer than `minOccurrences` true words in the streams are not tuned: they get `threshold`. */
export interface SparseKeywordRule {
  minOccurrences: number;
  threshold: number;
}

export interface PerKeywordOperatingPoint {
  /** Threshold of every keyword (keywords never worth firing get the strictest swept threshold). */
  thresholds: Record<string, number>;
  /** All keywords at these thresholds together, replayed as the detector runs them. */
  point: Omit<DetPoint, 'threshold'>;
}

/**
 * Per-keyword thresholds for the most hits at <= `maxFalseAcceptsPerHour` in total. Each keyword's
 * hits and false accepts are measured alone over the sweep (other keywords ignored), then
 * thresholds are lowered greedily by the best extra hits per extra false accept while the budget
 * allows; the result is replayed with all keywords at once (they share the refractory period) and
 * returned only if it still keeps the budget. Null when no combination does.
 */
export function choosePerKeywordThresholds(
  streams: readonly ScoredStream[],
  options: SweepOptions,
  keywords: readonly string[],
  maxFalseAcceptsPerHour = TARGET_FALSE_ACCEPTS_PER_HOUR,
  sparse?: SparseKeywordRule,
): PerKeywordOperatingPoint | null {
  const candidates = [...new Set([...(options.thresholds ?? DEFAULT_SWEEP_THRESHOLDS), ...(sparse ? [sparse.threshold] : [])])].sort((a, b) => b - a);
  const strictest = candidates[0]!;
  const duration = streams.reduce((a, s) => a + s.durationSeconds, 0);
  const budget = Math.floor((maxFalseAcceptsPerHour * duration) / 3600 + 1e-9);
  const measure = (thresholds: Record<string, number>, ignore: readonly string[]): Pick<MatchResult, 'hits' | 'misses' | 'falseAccepts'> =>
    replayStreams(streams, options, { ...options.trigger, ignoreLabels: [...options.trigger.ignoreLabels, ...ignore], thresholds, defaultThreshold: strictest });
  // table[k][i]: keyword k alone at candidates[i] (strictest first).
  const table = keywords.map((k) => candidates.map((t) => measure({ [k]: t }, keywords.filter((o) => o !== k))));
  // Keywords said too rarely in the streams to tune keep the rule's threshold, and its false accepts.
  const occurrences = (k: string): number => streams.reduce((a, st) => a + st.truth.filter((t) => t.label === k).length, 0);
  const fixed = keywords.map((k) => sparse !== undefined && occurrences(k) < sparse.minOccurrences);
  const level = keywords.map((_, k) => (fixed[k] ? candidates.indexOf(sparse!.threshold) : 0));
  let used = table.reduce((a, rows, k) => a + rows[level[k]!]!.falseAccepts, 0);
  for (;;) {
    let bestMove: { k: number; i: number; gain: number; cost: number } | null = null;
    keywords.forEach((_, k) => {
      if (fixed[k]) return;
      const now = table[k]![level[k]!]!;
      for (let i = level[k]! + 1; i < candidates.length; i++) {
        const next = table[k]![i]!;
        const gain = next.hits - now.hits;
        const cost = next.falseAccepts - now.falseAccepts;
        if (gain <= 0 || used + cost > budget) continue;
        const better = bestMove === null || gain * Math.max(bestMove.cost, 0.5) > bestMove.gain * Math.max(cost, 0.5) || (gain * Math.max(bestMove.cost, 0.5) === bestMove.gain * Math.max(cost, 0.5) && gain > bestMove.gain);
        if (better) bestMove = { k, i, gain, cost };
      }
    });
    if (bestMove === null) break;
    const move: { k: number; i: number; cost: number } = bestMove;
    level[move.k] = move.i;
    used += move.cost;
  }
  const thresholds = Object.fromEntries(keywords.map((k, n) => [k, candidates[level[n]!]!]));
  const { threshold: _unused, ...point } = detPoint(strictest, measure(thresholds, []), duration);
  return point.falseAcceptsPerHour <= maxFalseAcceptsPerHour ? { thresholds, point } : null;
}

/** Keywords said fewer times than this in the streams are not tuned one by one. */
export const SPARSE_KEYWORD_OCCURRENCES = 20;

export interface StreamThresholdChoice {
  sweep: DetPoint[];
  /** One threshold for every keyword at the budget (null: none keeps it). */
  point: DetPoint | null;
  /** The threshold a keyword not tuned on its own gets: the one-threshold point's, else the strictest swept. */
  fallbackThreshold: number;
  perKeyword: PerKeywordOperatingPoint | null;
}

/**
 * The thresholds `kws evaluate-stream` measures and saves: the sweep and its one-threshold operating
 * point, then per-keyword thresholds at the same budget, a keyword said fewer than
 * SPARSE_KEYWORD_OCCURRENCES times keeping the fallback threshold.
 */
export function chooseStreamThresholds(streams: readonly ScoredStream[], options: SweepOptions, keywords: readonly string[], maxFalseAcceptsPerHour = TARGET_FALSE_ACCEPTS_PER_HOUR): StreamThresholdChoice {
  const sweep = sweepThresholds(streams, options);
  const point = chooseOperatingPoint(sweep, maxFalseAcceptsPerHour);
  const fallbackThreshold = point?.threshold ?? Math.max(...(options.thresholds ?? DEFAULT_SWEEP_THRESHOLDS));
  const perKeyword = choosePerKeywordThresholds(streams, options, keywords, maxFalseAcceptsPerHour, { minOccurrences: SPARSE_KEYWORD_OCCURRENCES, threshold: fallbackThreshold });
  return { sweep, point, fallbackThreshold, perKeyword };
}
