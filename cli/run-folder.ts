/**
 * Checks of `kws train --out RUN` made before any data is loaded: an existing run is never
 * overwritten by accident, a file is not taken for a folder, and a resume with another
 * architecture is refused with the difference named.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../model/checkpoint.js';
import { frameStackOf } from '../model/frame-stacking.js';
import { heldOutTestPercentOf } from '../model/holdout.js';
import { scheduleDifferences, type LearningRateSchedule } from '../model/learning-rate.js';
import { removeStaleTemporaries } from '../util/atomic.js';
import { UsageError } from './exit-codes.js';
import type { Pooling } from '../model/types.js';
import type { FeatureConfig } from '../features/types.js';
import { frontEndDifferences } from './front-end-options.js';

export interface RunFolderRequest {
  out: string;
  resume: boolean;
  force: boolean;
  lstmUnits: number[];
  hiddenUnits: number;
  pooling: Pooling;
  /** Frames per LSTM step asked for (default 1). */
  frameStack?: number;
  /** Learning-rate schedule and maximum epochs asked for (absent: not checked). */
  schedule?: { kind: LearningRateSchedule; epochs: number };
  /** `--class-weights` power asked for (absent: not checked). */
  classWeightPower?: number;
  /** `--mixup` alpha asked for (absent: not checked). */
  mixupAlpha?: number;
  /** `--holdout-test-percent` asked for where --holdout folders are given (absent: not checked). */
  holdoutTestPercent?: number;
  /** The front-end asked for (a model trained from scratch; absent: not checked). */
  features?: FeatureConfig;
  /** The command named in messages (default 'kws train'). */
  command?: string;
}

const RUN_FILES = ['best.ckpt', 'last.ckpt'];

/** Throws a UsageError saying what to do when RUN cannot be used as asked; cleans stale temporaries. */
export async function checkRunFolder(request: RunFolderRequest): Promise<void> {
  const { out } = request;
  if (existsSync(out) && !statSync(out).isDirectory()) {
    throw new UsageError(`--out ${out}: is a file; ${request.command ?? 'kws train'} writes a run folder there (give a new folder name, or an earlier run's folder with --resume)`);
  }
  const held = RUN_FILES.filter((f) => existsSync(join(out, f)));
  if (held.length > 0 && !request.resume && !request.force) {
    throw new UsageError(`--out ${out}: already holds a training run (${held.join(', ')}); ${request.command && request.command !== 'kws train' ? '' : 'pass --resume to continue it, '}--force to replace it, or give a new folder`);
  }
  if (request.resume && request.force) throw new UsageError('--resume and --force contradict each other: continue the run, or replace it');
  const removed = await removeStaleTemporaries(out);
  if (removed.length > 0) process.stderr.write(`${out}: removed ${removed.length} temporary file(s) of an interrupted write (${removed.join(', ')})\n`);
  if (request.resume && existsSync(join(out, 'last.ckpt'))) {
    const last = await loadCheckpoint(join(out, 'last.ckpt'));
    const arch = last.manifest.architecture;
    const differences: string[] = [];
    if (arch.lstmUnits.join(',') !== request.lstmUnits.join(',')) differences.push(`--units ${arch.lstmUnits.join(',')} (asked: ${request.lstmUnits.join(',')})`);
    if (arch.hiddenUnits !== request.hiddenUnits) differences.push(`--hidden ${arch.hiddenUnits} (asked: ${request.hiddenUnits})`);
    if (arch.pooling !== request.pooling) differences.push(`--pooling ${arch.pooling} (asked: ${request.pooling})`);
    if (frameStackOf(arch) !== (request.frameStack ?? 1)) differences.push(`--frame-stack ${frameStackOf(arch)} (asked: ${request.frameStack ?? 1})`);
    if (request.schedule && last.state) differences.push(...scheduleDifferences(last.state.cosineEpochs, request.schedule.kind, request.schedule.epochs));
    const savedPower = last.manifest.training.classWeighting?.power ?? 0;
    if (request.classWeightPower !== undefined && request.classWeightPower !== savedPower) differences.push(`--class-weights ${savedPower} (asked: ${request.classWeightPower})`);
    const savedMixup = last.manifest.training.mixupAlpha ?? 0;
    if (request.mixupAlpha !== undefined && request.mixupAlpha !== savedMixup) differences.push(`--mixup ${savedMixup} (asked: ${request.mixupAlpha})`);
    const savedHoldout = heldOutTestPercentOf(last.manifest);
    if (request.holdoutTestPercent !== undefined && savedHoldout !== null && request.holdoutTestPercent !== savedHoldout) differences.push(`--holdout-test-percent ${savedHoldout} (asked: ${request.holdoutTestPercent})`);
    if (request.features) differences.push(...frontEndDifferences(last.manifest.features, request.features));
    if (differences.length > 0) {
      throw new UsageError(`--resume: ${join(out, 'last.ckpt')} was trained with ${differences.join(', ')}; resume with the run's own settings, or start a new --out`);
    }
  }
}
