/**
 * Weight averaging ("model soup"): the uniform mean of the weights of several models fine-tuned from
 * one starting point (same architecture, labels and features), written as one model with the export's
 * parity proof. Serving it costs what one model costs. Its temperature is the first model's until
 * `kws calibrate` fits one for the averaged weights; detection thresholds are not carried over.
 *
 *   node dist/scripts/average-weights.js --out soup.onnx a.onnx b.onnx [c.onnx ...]
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { exportCheckpointToOnnx } from '../model/export-job.js';
import { weightsFromOnnx } from '../model/onnx/import.js';
import type { ModelManifest, ModelWeights } from '../model/types.js';

/** Element-wise mean of every Float32Array in `trees` (same shapes); other values are taken from the first. */
export function averageTrees<T>(trees: readonly T[], path = 'weights'): T {
  const first = trees[0] as unknown;
  if (first instanceof Float32Array) {
    const out = new Float32Array(first.length);
    for (const t of trees as unknown as Float32Array[]) {
      if (!(t instanceof Float32Array) || t.length !== out.length) throw new Error(`${path}: the models differ in shape (${out.length} vs ${(t as Float32Array | undefined)?.length})`);
      for (let i = 0; i < out.length; i++) out[i]! += t[i]! / trees.length;
    }
    return out as T;
  }
  if (Array.isArray(first)) {
    for (const t of trees) if (!Array.isArray(t) || t.length !== first.length) throw new Error(`${path}: the models differ in length`);
    return first.map((_, i) => averageTrees((trees as unknown as unknown[][]).map((t) => t[i]), `${path}[${i}]`)) as T;
  }
  if (first !== null && typeof first === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) out[key] = averageTrees(trees.map((t) => (t as Record<string, unknown>)[key]), `${path}.${key}`);
    return out as T;
  }
  for (const t of trees) if (JSON.stringify(t) !== JSON.stringify(first)) throw new Error(`${path}: the models differ (${JSON.stringify(first)} vs ${JSON.stringify(t)})`);
  return first as T;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { out: { type: 'string' }, force: { type: 'boolean', default: false } }, allowPositionals: true });
  if (!values.out || positionals.length < 2) throw new Error('usage: average-weights --out soup.onnx a.onnx b.onnx [...]');
  if (existsSync(values.out) && !values.force) throw new Error(`${values.out} exists; pass --force to overwrite it`);
  const models = await Promise.all(positionals.map(async (file) => weightsFromOnnx(new Uint8Array(await readFile(file)), file)));
  const first = models[0]!.manifest;
  for (const [i, { manifest }] of models.entries()) {
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (!same(manifest.labels, first.labels) || !same(manifest.features, first.features) || !same(manifest.architecture, first.architecture)) {
      throw new Error(`${positionals[i]}: labels, features or architecture differ from ${positionals[0]}'s`);
    }
  }
  const weights = averageTrees<ModelWeights>(models.map((m) => m.weights));
  const { detection: _dropped, ...rest } = first;
  const manifest: ModelManifest = { ...rest, name: `${first.name} (mean of ${models.length} models' weights)` };
  const report = await exportCheckpointToOnnx({ manifest, weights, optimizer: [], state: null }, values.out, { parityClips: 16 });
  for (const line of report.lines) process.stdout.write(`${line}\n`);
  process.stdout.write(`${values.out}: the mean of ${positionals.join(', ')}\n`);
  if (!report.ok) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
