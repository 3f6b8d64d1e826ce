/**
 * Frame stacking: the LSTM reads `frameStack` consecutive feature frames as one step, so it runs
 * floor(T / k) steps of k x F values instead of T steps of F. Frames left over at the end of the
 * window (T mod k of them) are not read. Every runtime does the same: tfjs and the reference take the
 * first floor(T / k) x k frames row-major as [steps, k x F], the ONNX graph slices and reshapes.
 */
import type { ModelArchitecture } from './types.js';

type Stacking = Pick<ModelArchitecture, 'inputFrames' | 'inputDim' | 'frameStack'>;

/** Frames per LSTM step (1: no stacking, also for architectures saved before the field existed). */
export function frameStackOf(a: Pick<ModelArchitecture, 'frameStack'>): number {
  return a.frameStack ?? 1;
}

/** Time steps the first LSTM layer runs. */
export function lstmSteps(a: Stacking): number {
  return Math.floor(a.inputFrames / frameStackOf(a));
}

/** Values per step the first LSTM layer reads. */
export function lstmInputDim(a: Stacking): number {
  return a.inputDim * frameStackOf(a);
}

/** What is wrong with `frameStack` (present but not an integer in [1, inputFrames]), or null. */
export function frameStackProblem(a: Stacking): string | null {
  const k = a.frameStack;
  if (k === undefined || (Number.isInteger(k) && k >= 1 && k <= a.inputFrames)) return null;
  return `frameStack must be an integer from 1 to inputFrames (${a.inputFrames}), got ${JSON.stringify(k)}`;
}

/** Throws a RangeError naming the field when {@link frameStackProblem} finds one. */
export function checkFrameStack(a: Stacking, where = 'architecture'): void {
  const problem = frameStackProblem(a);
  if (problem !== null) throw new RangeError(`${where}.${problem}`);
}
