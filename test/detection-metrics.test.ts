import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseOperatingPoint, choosePerKeywordThresholds, detCurve, detPoint, matchDetections, sweepThresholds, type DetPoint, type TruthEvent } from '../evaluation/detection-metrics.js';
import type { Detection, PosteriorFrame } from '../pipeline/streaming/types.js';

const det = (label: string, firedAtSeconds: number, score = 0.9): Detection => ({ label, score, firedAtSeconds, startSeconds: firedAtSeconds - 1, endSeconds: firedAtSeconds });
const word = (label: string, startSeconds: number, endSeconds: number): TruthEvent => ({ label, startSeconds, endSeconds });

test('matching: label must agree and the detection must fire within the word plus the tolerance', () => {
  const truth = [word('yes', 10, 10.5), word('no', 20, 20.4), word('up', 30, 30.6), word('go', 40, 40.5)];
  const detections = [
    det('yes', 11.2), // hit: 10.5 + 1.0 tolerance >= 11.2
    det('no', 20.2), // hit: inside the word
    det('down', 30.8), // wrong label: false accept, 'up' missed
    det('go', 41.6), // too late (40.5 + 1.0 < 41.6): false accept, 'go' missed
    det('yes', 11.4), // 'yes' already taken: false accept
    det('stop', 50), // nothing there: false accept
  ];
  const r = matchDetections(detections, truth, 1.0);
  assert.equal(r.hits, 2);
  assert.equal(r.misses, 2);
  assert.equal(r.falseAccepts, 4);
  assert.deepEqual(r.missedTruths.map((t) => t.label), ['up', 'go']);
  assert.deepEqual(r.falseAcceptDetections.map((d) => d.firedAtSeconds), [11.4, 30.8, 41.6, 50]);
  assert.deepEqual(r.matched.map((m) => m.truth.label), ['yes', 'no']);
  // A detection before the word starts does not count.
  assert.equal(matchDetections([det('yes', 9.9)], [word('yes', 10, 10.5)]).hits, 0);
});

test('FRR and false accepts per hour are exact', () => {
  // 3 of 8 words missed, 2 false accepts in 30 minutes.
  const p = detPoint(0.7, { hits: 5, misses: 3, falseAccepts: 2 }, 1800);
  assert.deepEqual(p, { threshold: 0.7, falseRejectRate: 3 / 8, falseAcceptsPerHour: 4, hits: 5, misses: 3, falseAccepts: 2 });
  assert.equal(detPoint(0.5, { hits: 0, misses: 0, falseAccepts: 1 }, 7200).falseAcceptsPerHour, 0.5);
  assert.throws(() => detPoint(0.5, { hits: 0, misses: 0, falseAccepts: 0 }, 0), RangeError);
});

function frame(timeSeconds: number, yes: number, no: number): PosteriorFrame {
  const p = Float32Array.of(1 - yes - no, yes, no);
  return { timeSeconds, probabilities: p, smoothed: p };
}

test('threshold sweep replays stored posteriors: exact counts at each threshold', () => {
  const labels = ['_silence_', 'yes', 'no'];
  // A true 'yes' at 1.0-1.5 s peaking at 0.9; a spurious 'no' bump at 0.6 around 5 s; a 'yes' at 8 s peaking at 0.5.
  const posteriors = [
    frame(1.0, 0.1, 0), frame(1.5, 0.9, 0), frame(2.0, 0.2, 0),
    frame(4.5, 0, 0.1), frame(5.0, 0, 0.6), frame(5.5, 0, 0.1),
    frame(8.5, 0.5, 0), frame(9.0, 0.1, 0),
  ];
  const truth = [word('yes', 1.0, 1.5), word('yes', 8.0, 8.4)];
  const points = sweepThresholds([{ durationSeconds: 3600, posteriors, truth }], {
    labels,
    trigger: { refractoryMs: 1000, ignoreLabels: ['_silence_'] },
    windowSeconds: 1,
    historyLength: 1,
    thresholds: [0.4, 0.55, 0.7, 0.95],
  });
  const summary = points.map((p) => [p.threshold, p.hits, p.misses, p.falseAccepts, p.falseRejectRate, p.falseAcceptsPerHour]);
  assert.deepEqual(summary, [
    [0.4, 2, 0, 1, 0, 1],
    [0.55, 1, 1, 1, 0.5, 1],
    [0.7, 1, 1, 0, 0.5, 0],
    [0.95, 0, 2, 0, 1, 0],
  ]);
  assert.equal(chooseOperatingPoint(points, 0)!.threshold, 0.7);
  assert.equal(chooseOperatingPoint(points, 1)!.threshold, 0.4);
  assert.deepEqual(detCurve(points), [[0, 1], [0, 0.5], [1, 0.5], [1, 0]]);
});

test('operating point: none qualifies, and ties go to fewer false accepts then the lower threshold', () => {
  const p = (threshold: number, falseRejectRate: number, falseAcceptsPerHour: number): DetPoint => ({ threshold, falseRejectRate, falseAcceptsPerHour, hits: 0, misses: 0, falseAccepts: 0 });
  assert.equal(chooseOperatingPoint([p(0.5, 0.1, 3), p(0.9, 0.2, 2)]), null);
  assert.equal(chooseOperatingPoint([p(0.8, 0.2, 0.5), p(0.9, 0.2, 0), p(0.95, 0.2, 0), p(0.99, 0.4, 0)])!.threshold, 0.9);
});

test('per-keyword thresholds catch what one threshold for all cannot, within the false-accept budget', () => {
  const labels = ['_silence_', 'yes', 'no'];
  // 'yes' is said softly once (0.5) and never fires falsely; 'no' has a spurious 0.6 bump at 9 s.
  const posteriors = [
    frame(1.5, 0.5, 0), frame(2.0, 0, 0),
    frame(3.5, 0.9, 0), frame(4.0, 0, 0),
    frame(6.5, 0, 0.9), frame(7.0, 0, 0),
    frame(9.0, 0, 0.6), frame(9.5, 0, 0),
  ];
  const truth = [word('yes', 1.0, 1.5), word('yes', 3.0, 3.5), word('no', 6.0, 6.5)];
  const streams = [{ durationSeconds: 3600, posteriors, truth }];
  const options = { labels, trigger: { refractoryMs: 1000, ignoreLabels: ['_silence_'] }, windowSeconds: 1, historyLength: 1, thresholds: [0.4, 0.55, 0.7, 0.95] };
  const global = chooseOperatingPoint(sweepThresholds(streams, options), 0)!;
  assert.deepEqual([global.threshold, global.hits, global.falseAccepts], [0.7, 2, 0]);
  const perKeyword = choosePerKeywordThresholds(streams, options, ['yes', 'no'], 0)!;
  assert.deepEqual(perKeyword.thresholds, { yes: 0.4, no: 0.7 });
  assert.deepEqual([perKeyword.point.hits, perKeyword.point.misses, perKeyword.point.falseAccepts], [3, 0, 0]);
  // With a budget of one false accept an hour the spurious 'no' may fire: both at 0.4.
  const looser = choosePerKeywordThresholds(streams, options, ['yes', 'no'], 1)!;
  assert.equal(looser.point.hits, 3);
  assert.ok(looser.point.falseAccepts <= 1);
  // A keyword said too rarely to tune ('no', once) keeps the rule's threshold; its false accepts still count.
  const sparse = choosePerKeywordThresholds(streams, options, ['yes', 'no'], 1, { minOccurrences: 2, threshold: 0.55 })!;
  assert.equal(sparse.thresholds.no, 0.55);
  assert.equal(sparse.thresholds.yes, 0.4);
  assert.deepEqual([sparse.point.hits, sparse.point.falseAccepts], [3, 1]);
});
