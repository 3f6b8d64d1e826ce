/**
 * Learning-rate schedules. `plateau` (the default) multiplies the rate by a factor after every epoch
 * without a new best on validation; `cosine` anneals it every step from the base rate to 0 over the
 * run's maximum epochs (Loshchilov & Hutter, SGDR, without restarts), whatever validation says. A
 * cosine rate depends on the step number only, so a resumed run continues it exactly.
 */
export const LEARNING_RATE_SCHEDULES = ['plateau', 'cosine'] as const;
export type LearningRateSchedule = (typeof LEARNING_RATE_SCHEDULES)[number];

/** The cosine rate for optimizer step `step` (0-based) of `totalSteps`: base at step 0, near 0 at the last. */
export function cosineLearningRate(base: number, step: number, totalSteps: number): number {
  if (!(totalSteps > 0) || !Number.isInteger(totalSteps)) throw new RangeError(`cosine schedule: totalSteps must be a positive integer, got ${totalSteps}`);
  if (!(step >= 0 && step < totalSteps)) throw new RangeError(`cosine schedule: step ${step} outside 0..${totalSteps - 1}`);
  return 0.5 * base * (1 + Math.cos((Math.PI * step) / totalSteps));
}

/**
 * How a resumed run's schedule differs from the one it was trained with, as `--option saved (asked:
 * given)` phrases (empty: none). The cosine rate is a function of the run's length, so a cosine run
 * resumes only as cosine over the same epochs, a plateau run only as plateau. `savedCosineEpochs`:
 * what the checkpoint's state recorded (undefined: plateau).
 */
export function scheduleDifferences(savedCosineEpochs: number | undefined, schedule: LearningRateSchedule, epochs: number): string[] {
  const saved: LearningRateSchedule = savedCosineEpochs === undefined ? 'plateau' : 'cosine';
  if (saved !== schedule) return [`--lr-schedule ${saved} (asked: ${schedule})`];
  if (savedCosineEpochs !== undefined && savedCosineEpochs !== epochs) return [`--epochs ${savedCosineEpochs} (asked: ${epochs}; the cosine schedule spans the run's epochs)`];
  return [];
}
