/**
 * Checkpoint files: one self-describing binary file per checkpoint, written atomically, so a crash
 * mid-write never corrupts the last good one.
 *
 * Layout: 8-byte magic "KWSCKPT1", uint32 LE header length, UTF-8 JSON header, zero padding to a
 * multiple of 4, then float32 LE tensor data at the offsets the header gives.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic.js';
import type { ModelManifest, ModelWeights, LstmDirectionWeights, DenseWeights } from './types.js';
import { lstmInputDim } from './frame-stacking.js';

const MAGIC = 'KWSCKPT1';

export class CheckpointError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

/** A named float32 tensor (flattened) with its shape. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** What training needs to continue exactly where it stopped. */
export interface TrainingState {
  epoch: number;
  bestEpoch: number;
  bestValidationAccuracy: number;
  epochsWithoutImprovement: number;
  rngState: number;
  history: EpochRecord[];
  learningRate: number;
  /** Epochs the cosine learning-rate schedule spans (absent: the plateau schedule). */
  cosineEpochs?: number;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  /** Absent when the run had no validation clips (`--no-early-stopping`). */
  validationLoss?: number;
  validationAccuracy?: number;
  learningRate: number;
  seconds: number;
}

export interface Checkpoint {
  manifest: ModelManifest;
  weights: ModelWeights;
  /** Optimizer slots (Adam moments), present in resumable checkpoints. */
  optimizer: NamedArray[];
  state: TrainingState | null;
}

interface HeaderTensor {
  name: string;
  shape: number[];
  offset: number;
}

interface Header {
  manifest: ModelManifest;
  state: TrainingState | null;
  tensors: HeaderTensor[];
}

function weightArrays(w: ModelWeights): NamedArray[] {
  const out: NamedArray[] = [];
  const lstm = (prefix: string, d: LstmDirectionWeights, inputDim: number, units: number): void => {
    out.push({ name: `${prefix}/kernel`, shape: [inputDim, 4 * units], data: d.kernel });
    out.push({ name: `${prefix}/recurrent_kernel`, shape: [units, 4 * units], data: d.recurrentKernel });
    out.push({ name: `${prefix}/bias`, shape: [4 * units], data: d.bias });
  };
  w.lstm.forEach((layer, i) => {
    lstm(`lstm${i}/forward`, layer.forward, layer.inputDim, layer.units);
    lstm(`lstm${i}/backward`, layer.backward, layer.inputDim, layer.units);
  });
  const dense = (prefix: string, d: DenseWeights): void => {
    out.push({ name: `${prefix}/kernel`, shape: [d.inDim, d.outDim], data: d.kernel });
    out.push({ name: `${prefix}/bias`, shape: [d.outDim], data: d.bias });
  };
  if (w.attention) {
    dense('attention/projection', w.attention.projection);
    dense('attention/score', w.attention.score);
  }
  if (w.hidden) dense('hidden', w.hidden);
  dense('output', w.output);
  return out;
}

function weightsFromArrays(manifest: ModelManifest, byName: Map<string, NamedArray>, file: string): ModelWeights {
  const get = (name: string): NamedArray => {
    const t = byName.get(name);
    if (!t) throw new CheckpointError(file, `tensor '${name}' is missing`);
    return t;
  };
  const arch = manifest.architecture;
  let inputDim = lstmInputDim(arch);
  const lstm = arch.lstmUnits.map((units, i) => {
    const direction = (dir: string): LstmDirectionWeights => ({
      kernel: get(`lstm${i}/${dir}/kernel`).data,
      recurrentKernel: get(`lstm${i}/${dir}/recurrent_kernel`).data,
      bias: get(`lstm${i}/${dir}/bias`).data,
    });
    const layer = { inputDim, units, forward: direction('forward'), backward: direction('backward') };
    inputDim = 2 * units;
    return layer;
  });
  const dense = (prefix: string): DenseWeights => {
    const kernel = get(`${prefix}/kernel`);
    return { inDim: kernel.shape[0]!, outDim: kernel.shape[1]!, kernel: kernel.data, bias: get(`${prefix}/bias`).data };
  };
  const attention = arch.pooling === 'attention' ? { projection: dense('attention/projection'), score: dense('attention/score') } : null;
  return { architecture: arch, lstm, hidden: arch.hiddenUnits > 0 ? dense('hidden') : null, output: dense('output'), ...(attention ? { attention } : {}) };
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const arrays = [...weightArrays(c.weights), ...c.optimizer.map((t) => ({ ...t, name: `optimizer/${t.name}` }))];
  let offset = 0;
  const tensors: HeaderTensor[] = arrays.map((t) => {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length) throw new RangeError(`tensor '${t.name}' has ${t.data.length} values but shape [${t.shape}]`);
    const entry = { name: t.name, shape: t.shape, offset };
    offset += t.data.length * 4;
    return entry;
  });
  const header: Header = { manifest: c.manifest, state: c.state, tensors };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const dataStart = Math.ceil((12 + headerBytes.length) / 4) * 4;
  const out = new Uint8Array(dataStart + offset);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  new DataView(out.buffer).setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  arrays.forEach((t, i) => {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), dataStart + tensors[i]!.offset);
  });
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, file: string): Checkpoint {
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== MAGIC) {
    throw new CheckpointError(file, 'not a kws checkpoint (bad magic)');
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + headerLength > bytes.length) throw new CheckpointError(file, 'truncated header');
  let header: Header;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(12, 12 + headerLength)).toString('utf8')) as Header;
  } catch (err) {
    throw new CheckpointError(file, `unreadable header: ${(err as Error).message}`);
  }
  const dataStart = Math.ceil((12 + headerLength) / 4) * 4;
  const byName = new Map<string, NamedArray>();
  for (const t of header.tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    const start = dataStart + t.offset;
    if (start + count * 4 > bytes.length) throw new CheckpointError(file, `truncated data for tensor '${t.name}'`);
    // Copy into a fresh array: the source may be an unaligned view into a pooled Buffer.
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(start, start + count * 4));
    byName.set(t.name, { name: t.name, shape: t.shape, data });
  }
  const optimizer = [...byName.values()]
    .filter((t) => t.name.startsWith('optimizer/'))
    .map((t) => ({ ...t, name: t.name.slice('optimizer/'.length) }));
  return { manifest: header.manifest, state: header.state, weights: weightsFromArrays(header.manifest, byName, file), optimizer };
}

export async function saveCheckpoint(path: string, c: Checkpoint): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(c));
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new CheckpointError(path, `cannot read checkpoint: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return decodeCheckpoint(bytes, path);
}
