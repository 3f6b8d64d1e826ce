/**
 * `kws calibrate`: re-fits an exported model's softmax temperature on the validation clips of its
 * data folders (the clips `kws train` selects the epoch on, read with the same options and the
 * model's own training seed), then writes the model again with the parity proof. Given candidate
 * strengths of the prior correction, it first sets the one whose class-balanced accuracy on those
 * clips is highest (only the output bias changes). Detection thresholds measured before are
 * dropped, since they no longer mean the same scores.
 */
import { readFile } from 'node:fs/promises';
import type { Task } from '../datasets/types.js';
import { initBackend } from './backend.js';
import { calibrate, type Calibration, type CalibrationWeighting } from './calibration.js';
import { exportCheckpointToOnnx } from './export-job.js';
import { BiLstmClassifier } from './network.js';
import { weightsFromOnnx } from './onnx/import.js';
import { featuresFor } from './train-job.js';
import { evaluateSet } from './train.js';
import { readTrainingFolders, type TrainingFolderOptions } from './training-folders.js';
import { scoreStrengths, withoutPriorCorrection, withPriorCorrection, type StrengthScore } from './prior-correction.js';
import type { ModelManifest, ModelWeights } from './types.js';

export interface CalibrateJobOptions extends Omit<TrainingFolderOptions, 'task' | 'seed' | 'labels'> {
  modelPath: string;
  outPath: string;
  /** Absent: 'class-balanced' for a model with a prior correction (its target prior is uniform), else 'as-given'. */
  weighting?: CalibrationWeighting;
  cacheDir?: string;
  parityClips?: number;
  /**
   * Candidate strengths of the prior correction (0..2): the one with the highest class-balanced
   * accuracy on the validation clips is baked in (first of equals). Absent: the strength is kept.
   */
  priorStrengths?: number[];
}

export interface CalibrateJobResult {
  ok: boolean;
  previousTemperature: number;
  calibration: Calibration;
  validationClips: number;
  /** Top-1 accuracy on those clips (the figure kws train selects its epoch by). */
  validationAccuracy: number;
  droppedDetection: boolean;
  /** With priorStrengths: each candidate's scores, the strength before and the one chosen. */
  strength?: { candidates: StrengthScore[]; previous: number; chosen: number };
  lines: string[];
}

export async function runCalibrateJob(o: CalibrateJobOptions): Promise<CalibrateJobResult> {
  const { manifest, weights } = weightsFromOnnx(new Uint8Array(await readFile(o.modelPath)), o.modelPath);
  if (manifest.graphInput) {
    throw new Error(`${o.modelPath} is an end-to-end model: calibrate its classifier (model.onnx), then derive the end-to-end file again with kws export --from`);
  }
  if (o.priorStrengths && o.priorStrengths.length > 0 && !manifest.training.priorCorrection) {
    throw new Error(`${o.modelPath} was trained without a prior correction (no training label prior in its manifest): there is no strength to choose`);
  }
  const task: Task = manifest.task === '35' ? '35' : '12';
  const labels = manifest.labels;
  const folders = await readTrainingFolders(
    { ...o, task, seed: manifest.training.seed, ...(manifest.task === 'custom' ? { labels } : {}) },
    labels,
    manifest.features,
  );
  const items = folders.bySplit.validation;
  if (items.length === 0) throw new Error(`no validation clips in ${folders.dirs.join(', ')}: nothing to fit a temperature on`);
  const validation = await featuresFor('validation', items, [...labels], manifest.features, o.cacheDir, o.log);
  await initBackend();
  const run = (w: ModelWeights): { logits: Float32Array; accuracy: number } => {
    const model = BiLstmClassifier.fromWeights(w);
    try {
      return evaluateSet(model, validation, labels.length);
    } finally {
      model.dispose();
    }
  };
  let { logits, accuracy } = run(weights);
  let chosenWeights = weights;
  let correction = manifest.training.priorCorrection;
  let strength: CalibrateJobResult['strength'];
  if (correction && o.priorStrengths && o.priorStrengths.length > 0) {
    const candidates = scoreStrengths(logits, validation.y, labels.length, correction, o.priorStrengths);
    const best = candidates.reduce((a, b) => (b.balancedAccuracy > a.balancedAccuracy ? b : a));
    strength = { candidates, previous: correction.strength, chosen: best.strength };
    if (best.strength !== correction.strength) {
      const next = { ...correction, strength: best.strength };
      chosenWeights = withPriorCorrection(withoutPriorCorrection(weights, correction), next);
      correction = next;
      ({ logits, accuracy } = run(chosenWeights));
    }
  }
  const weighting = o.weighting ?? (manifest.training.priorCorrection ? 'class-balanced' : 'as-given');
  const calibration = calibrate(logits, validation.y, labels.length, weighting);
  const { detection, ...rest } = manifest;
  const next: ModelManifest = {
    ...rest,
    temperature: calibration.temperature,
    training: { ...manifest.training, temperatureFit: weighting, ...(correction ? { priorCorrection: correction } : {}) },
    metrics: { ...manifest.metrics, validationEceUncalibrated: calibration.eceBefore, validationEce: calibration.eceAfter },
  };
  const report = await exportCheckpointToOnnx({ manifest: next, weights: chosenWeights, optimizer: [], state: null }, o.outPath, { parityClips: o.parityClips ?? 16 });
  return {
    ok: report.ok,
    previousTemperature: manifest.temperature,
    calibration,
    validationClips: validation.count,
    validationAccuracy: accuracy,
    droppedDetection: detection !== undefined,
    ...(strength ? { strength } : {}),
    lines: report.lines,
  };
}
