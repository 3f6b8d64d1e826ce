/** Seeded random classifier weights, manifests and clips for the export/reference parity tests. */
import { SeededRandom } from '../../util/random.js';
import { lstmInputDim } from '../../model/frame-stacking.js';
import type { FeatureConfig } from '../../features/types.js';
import type { DenseWeights, LstmDirectionWeights, ModelArchitecture, ModelManifest, ModelWeights } from '../../model/types.js';

function uniform(rng: SeededRandom, count: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  for (let k = 0; k < count; k++) out[k] = (rng.next() * 2 - 1) * scale;
  return out;
}

/** Scale that keeps pre-activations around unit size for unit-size inputs (gates not saturated). */
function scaleFor(fanIn: number): number {
  return Math.sqrt(3 / fanIn);
}

function direction(rng: SeededRandom, inputDim: number, units: number): LstmDirectionWeights {
  return {
    kernel: uniform(rng, inputDim * 4 * units, scaleFor(inputDim + units)),
    recurrentKernel: uniform(rng, units * 4 * units, scaleFor(inputDim + units)),
    bias: uniform(rng, 4 * units, 0.5),
  };
}

function dense(rng: SeededRandom, inDim: number, outDim: number, gain = 1): DenseWeights {
  return { inDim, outDim, kernel: uniform(rng, inDim * outDim, gain * scaleFor(inDim)), bias: uniform(rng, outDim, 0.5) };
}

export interface RandomWeightsOptions {
  /**
   * Multiplies the output layer's scale (default 1). A large value spreads the probabilities, so a
   * random model gives different clips different labels.
   */
  outputGain?: number;
}

export function randomModelWeights(arch: ModelArchitecture, seed: number, options: RandomWeightsOptions = {}): ModelWeights {
  const rng = new SeededRandom(seed);
  let inputDim = lstmInputDim(arch);
  const lstm = arch.lstmUnits.map((units) => {
    const layer = { inputDim, units, forward: direction(rng, inputDim, units), backward: direction(rng, inputDim, units) };
    inputDim = 2 * units;
    return layer;
  });
  const hidden = arch.hiddenUnits > 0 ? dense(rng, inputDim, arch.hiddenUnits) : null;
  const output = dense(rng, hidden ? arch.hiddenUnits : inputDim, arch.numClasses, options.outputGain);
  if (arch.pooling !== 'attention') return { architecture: arch, lstm, hidden, output };
  const units = arch.attentionUnits!;
  // A large score gain makes the frame weights far from uniform, so attention differs from mean pooling.
  const attention = { projection: dense(rng, inputDim, units), score: dense(rng, units, 1, 4) };
  return { architecture: arch, lstm, hidden, output, attention };
}

/** Unit-variance random clips, each [inputFrames * inputDim]. */
export function randomClips(arch: ModelArchitecture, count: number, seed: number): Float32Array[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () => uniform(rng, arch.inputFrames * arch.inputDim, Math.sqrt(3)));
}

export const TEST_FEATURE_CONFIG: FeatureConfig = {
  sampleRateHz: 16000,
  frameLengthSamples: 512,
  hopLengthSamples: 160,
  windowingFunction: 'hanning',
  melBands: 40,
  mfccCoefficients: 13,
  deltas: false,
  deltaWindow: 2,
  clipLengthSamples: 16000,
  normalization: { kind: 'utterance' },
};

export function testManifest(arch: ModelArchitecture, temperature = 1): ModelManifest {
  return {
    formatVersion: 1,
    name: 'parity-test',
    task: 'test',
    labels: Array.from({ length: arch.numClasses }, (_, k) => `class${k}`),
    features: TEST_FEATURE_CONFIG,
    architecture: arch,
    temperature,
    training: {
      data: [{ path: 'none', items: 0, perSplit: {} }],
      seed: 0,
      epochs: 0,
      backend: 'none',
      createdAt: '2024-01-01T00:00:00.000Z',
    },
    metrics: {},
  };
}
