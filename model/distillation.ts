/**
 * Knowledge distillation (Hinton et al., 2015) from an ensemble of trained kws models: every
 * training batch, exactly as augmented, goes through the teachers (their ONNX files, on
 * onnxruntime-node), and the student learns
 *   target = weight x (mean of the teachers' probabilities) + (1 - weight) x one-hot(label),
 * the teachers' probabilities optionally softened by a softmax temperature.
 * The teachers' probabilities are those of their networks before the prior correction and the
 * temperature (both are applied again to the student after training): the student learns what the
 * teachers learned from the same training prior, not an output already corrected for it.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { INPUT_NAME, LOGITS_NAME } from './onnx/export.js';
import { readOnnxManifest } from './onnx/metadata.js';
import { priorLogitShift } from './prior-correction.js';
import { softmaxRows } from './calibration.js';
import type { FeatureConfig } from '../features/types.js';
import { sameFeatureConfig } from '../features/config.js';

export class DistillationError extends Error {
  constructor(message: string) {
    super(`distillation: ${message}`);
    this.name = 'DistillationError';
  }
}

interface Teacher {
  path: string;
  session: ort.InferenceSession;
  /** Added to the file's logits to undo its baked-in prior correction (zeros without one). */
  uncorrect: Float64Array;
}

export class TeacherEnsemble {
  private constructor(
    readonly paths: string[],
    private readonly teachers: Teacher[],
    private readonly classes: number,
  ) {}

  /**
   * Loads float kws ONNX models whose labels and features are the student's; each runs on one
   * thread (the trainers and the augmentation thread have the cores).
   */
  static async load(paths: string[], labels: string[], features: FeatureConfig): Promise<TeacherEnsemble> {
    if (paths.length === 0) throw new DistillationError('no teacher models given');
    const teachers: Teacher[] = [];
    try {
      for (const path of paths) {
        const bytes = new Uint8Array(await readFile(path).catch((err: Error) => {
          throw new DistillationError(`${path}: cannot read the teacher model (${err.message})`);
        }));
        const manifest = readOnnxManifest(bytes, path);
        if (manifest.quantization) throw new DistillationError(`${path}: an int8 model; give the float model.onnx as teacher`);
        if (manifest.labels.join('\n') !== labels.join('\n')) {
          throw new DistillationError(`${path}: its labels (${manifest.labels.join(', ')}) are not the student's (${labels.join(', ')})`);
        }
        if (!sameFeatureConfig(manifest.features, features)) {
          throw new DistillationError(`${path}: its features (${JSON.stringify(manifest.features)}) are not the student's (${JSON.stringify(features)})`);
        }
        const correction = manifest.training?.priorCorrection;
        const uncorrect = new Float64Array(labels.length);
        if (correction) priorLogitShift(correction).forEach((shift, c) => (uncorrect[c] = -shift));
        const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
        teachers.push({ path, session, uncorrect });
      }
    } catch (err) {
      await Promise.all(teachers.map((t) => t.session.release()));
      throw err;
    }
    return new TeacherEnsemble(paths, teachers, labels.length);
  }

  /**
   * Mean of the teachers' uncorrected probabilities for `count` clips of `frames` x `dim` features,
   * at softmax `temperature` (above 1 softens them: more weight on the classes they rank next).
   */
  async probabilities(x: Float32Array, count: number, frames: number, dim: number, temperature = 1): Promise<Float32Array> {
    if (!(temperature > 0) || !Number.isFinite(temperature)) throw new DistillationError(`the teachers' temperature must be a positive number, got ${temperature}`);
    const sum = new Float64Array(count * this.classes);
    for (const t of this.teachers) {
      const out = await t.session.run({ [INPUT_NAME]: new ort.Tensor('float32', x, [count, frames, dim]) });
      const uncorrected = Float32Array.from(out[LOGITS_NAME]!.data as Float32Array, (z, i) => z + t.uncorrect[i % this.classes]!);
      softmaxRows(uncorrected, this.classes, temperature).forEach((p, i) => (sum[i]! += p));
    }
    return Float32Array.from(sum, (v) => v / this.teachers.length);
  }

  async close(): Promise<void> {
    await Promise.all(this.teachers.map((t) => t.session.release()));
  }
}

/** weight x teacher + (1 - weight) x one-hot(label), row by row ([labels.length, classes]). */
export function distillationTargets(teacher: Float32Array, labels: Int32Array, classes: number, weight: number): Float32Array {
  if (!(weight >= 0 && weight <= 1)) throw new DistillationError(`the distillation weight must be in [0, 1], got ${weight}`);
  if (teacher.length !== labels.length * classes) throw new DistillationError(`${teacher.length} teacher probabilities for ${labels.length} clips of ${classes} classes`);
  const targets = new Float32Array(teacher.length);
  labels.forEach((label, r) => {
    for (let c = 0; c < classes; c++) targets[r * classes + c] = weight * teacher[r * classes + c]! + (c === label ? 1 - weight : 0);
  });
  return targets;
}
