/**
 * Typed access to Meyda 5.6.3's CommonJS build: the global Meyda object (whose settings are
 * read/write module state) and its own window / mel filter bank helpers, so the fast MFCC uses the
 * very same tables as the reference.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The settings and caches of the Meyda singleton that `extract('mfcc', ...)` reads. */
export interface MeydaGlobal {
  bufferSize: number;
  sampleRate: number;
  melBands: number;
  numberOfMFCCCoefficients: number;
  windowingFunction: string;
  /** Cached bank; Meyda rebuilds it only when its length differs from melBands. */
  melFilterBank: number[][] | undefined;
  barkScale: Float32Array | undefined;
  extract(feature: 'mfcc', signal: Float32Array): number[];
}

interface MeydaUtilities {
  createMelFilterBank(numFilters: number, sampleRate: number, bufferSize: number): number[][];
}

type WindowFactory = (size: number) => Float32Array;

export const meyda = require('meyda') as MeydaGlobal;
const utilities = require('meyda/dist/node/utilities.js') as MeydaUtilities;
const windowing = require('meyda/dist/node/windowing.js') as Record<string, WindowFactory>;

/** Meyda's triangular mel filter bank: `numFilters` rows of `bufferSize / 2 + 1` weights. */
export function meydaMelFilterBank(numFilters: number, sampleRate: number, bufferSize: number): number[][] {
  return utilities.createMelFilterBank(numFilters, sampleRate, bufferSize);
}

/** The window Meyda multiplies each frame by; 'rect' means no window (all ones). */
export function meydaWindow(name: string, size: number): Float32Array {
  if (name === 'rect') return new Float32Array(size).fill(1);
  const factory = windowing[name];
  if (typeof factory !== 'function') throw new RangeError(`unknown Meyda windowing function ${JSON.stringify(name)}`);
  return factory(size);
}
