/**
 * A measurement, not a serving path: how much averaging several independently trained models would
 * buy, or (with `--shift-ms`) averaging one model over time-shifted copies of each clip (test-time
 * augmentation). Every clip of one split goes through each model's own Recognizer (its own
 * front-end and temperature), once per shift; the report gives each member's top-1 and closed-set
 * accuracy and those of the mean of their probabilities, on the same clips.
 *
 *   node dist/scripts/ensemble-probe.js --data ../shared/data/speech_commands_v0.02_test_half --holdout --split test \
 *     --model models/kws12/model.onnx --model runs/attention-scratch/model.onnx
 *   node dist/scripts/ensemble-probe.js --data DIR --split validation --model models/kws12/model.onnx --shift-ms=-80,0,80
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { holdoutSplitOptions, readSpeechCommands } from '../datasets/speech-commands.js';
import { holdoutTestPercentFor } from '../model/holdout.js';
import { AudioCache, closedSetPrediction, commandLabels, itemSamples, modelLabelFor } from '../evaluation/evaluate.js';
import { Recognizer } from '../pipeline/recognizer.js';

interface Score {
  top1: number;
  closedSet: number;
}

/** Top-1 and closed-set accuracy of per-clip probabilities (`probabilities[k][c]`, labels' order). */
function scoreProbabilities(labels: readonly string[], truth: readonly string[], probabilities: readonly (readonly number[])[]): Score {
  const commands = commandLabels(labels);
  let top = 0;
  let closedRight = 0;
  let closedTotal = 0;
  truth.forEach((label, k) => {
    const p = probabilities[k]!;
    const scores = Object.fromEntries(labels.map((l, c) => [l, p[c]!]));
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
    if (labels[best] === label) top++;
    if (commands.includes(label)) {
      closedTotal++;
      if (closedSetPrediction(scores, commands) === label) closedRight++;
    }
  });
  return { top1: top / truth.length, closedSet: closedTotal === 0 ? NaN : closedRight / closedTotal };
}

/**
 * The clip moved later by `shift` samples (earlier if negative), the same length: what falls off
 * one end is dropped, the other end is filled with zeros.
 */
export function shiftedClip(samples: Float32Array, shift: number): Float32Array {
  if (!Number.isInteger(shift)) throw new RangeError(`shift must be a whole number of samples, got ${shift}`);
  const out = new Float32Array(samples.length);
  if (shift >= 0) out.set(samples.subarray(0, Math.max(0, samples.length - shift)), Math.min(shift, samples.length));
  else out.set(samples.subarray(Math.min(-shift, samples.length)));
  return out;
}

/** `-80,0,80` → [-80, 0, 80]; every entry a finite number of milliseconds. */
export function parseShifts(text: string): number[] {
  const shifts = text.split(',').map((t) => Number(t.trim()));
  if (shifts.length === 0 || shifts.some((v) => !Number.isFinite(v))) throw new Error(`--shift-ms ${text}: give comma-separated milliseconds, e.g. -80,0,80`);
  return shifts;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      split: { type: 'string', default: 'test' },
      holdout: { type: 'boolean', default: false },
      model: { type: 'string', multiple: true, default: [] },
      'shift-ms': { type: 'string', default: '0' },
    },
  });
  const shiftsMs = parseShifts(values['shift-ms']);
  if (!values.data || values.model.length * shiftsMs.length < 2) throw new Error('usage: ensemble-probe --data DIR [--split S] [--holdout] --model A.onnx [--model B.onnx ...] [--shift-ms=-80,0,80] (at least two members)');
  const recognizers = await Promise.all(values.model.map((m) => Recognizer.create(m)));
  const labels = [...recognizers[0]!.labels];
  for (const [i, r] of recognizers.entries()) {
    if (r.labels.join() !== labels.join()) throw new Error(`${values.model[i]}: labels ${r.labels.join(',')} differ from ${values.model[0]}'s ${labels.join(',')}`);
  }
  const labelSet = new Set(labels);
  const readOptions = { task: '12' as const, labels };
  const dataset = await readSpeechCommands(resolve(values.data), values.holdout ? { ...readOptions, ...holdoutSplitOptions(Math.min(...recognizers.map((r) => holdoutTestPercentFor(r.manifest)))) } : readOptions);
  const truth: string[] = [];
  const members = recognizers.flatMap((recognizer, m) => shiftsMs.map((ms) => ({ recognizer, name: `${values.model[m]}${shiftsMs.length > 1 ? ` shifted ${ms} ms` : ''}`, shift: Math.round((ms / 1000) * recognizer.frontEnd.config.sampleRateHz) })));
  const perMember: number[][][] = members.map(() => []);
  const cache = new AudioCache(8);
  for (const item of dataset.items) {
    const label = item.split === values.split ? modelLabelFor(item, labelSet) : null;
    if (label === null) continue;
    const samples = await itemSamples(item, cache);
    for (const [m, { recognizer, shift }] of members.entries()) {
      const [recognition] = await recognizer.recognizeFeatures(recognizer.frontEnd.modelInput(shift === 0 ? samples : shiftedClip(samples, shift)), 1);
      perMember[m]!.push(labels.map((l) => recognition!.scores[l]!));
    }
    truth.push(label);
  }
  const mean = truth.map((_, k) => labels.map((_, c) => perMember.reduce((sum, p) => sum + p[k]![c]!, 0) / perMember.length));
  const line = (name: string, s: Score): string => `${name}: top-1 ${(100 * s.top1).toFixed(2)}%, closed set ${(100 * s.closedSet).toFixed(2)}%`;
  console.log(`${truth.length} clips of ${dataset.root} (${values.split}${values.holdout ? ', holdout re-split' : ''})`);
  members.forEach((member, i) => console.log(line(member.name, scoreProbabilities(labels, truth, perMember[i]!))));
  console.log(line(`mean of the ${members.length}`, scoreProbabilities(labels, truth, mean)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(`ensemble-probe: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
