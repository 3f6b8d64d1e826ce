/** Rewrites the kws manifest stored in an exported ONNX model file (Node.js only; see metadata.ts). */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../util/atomic.js';
import type { ModelManifest } from '../types.js';
import { LABELS_METADATA_KEY, MANIFEST_METADATA_KEY } from './export.js';
import { OnnxMetadataError, readOnnxManifest, validateManifest } from './metadata.js';
import { onnxClasses } from './proto.js';

/**
 * Rewrites the manifest stored in an ONNX file (the graph and weights untouched), atomically.
 * The labels may not change: they define the model's outputs.
 */
export async function updateOnnxManifest(path: string, update: (manifest: ModelManifest) => ModelManifest): Promise<ModelManifest> {
  const bytes = await readFile(path);
  const current = readOnnxManifest(bytes, path);
  const next = validateManifest(JSON.parse(JSON.stringify(update(current))), path);
  if (next.labels.join('\n') !== current.labels.join('\n')) throw new OnnxMetadataError(path, 'updateOnnxManifest may not change the labels');
  const model = onnxClasses.ModelProto.decode(bytes);
  model.metadataProps = model.metadataProps.filter((p) => p.key !== MANIFEST_METADATA_KEY && p.key !== LABELS_METADATA_KEY);
  model.metadataProps.push(
    onnxClasses.StringStringEntryProto.create({ key: MANIFEST_METADATA_KEY, value: JSON.stringify(next) }),
    onnxClasses.StringStringEntryProto.create({ key: LABELS_METADATA_KEY, value: next.labels.join(',') }),
  );
  await writeFileAtomic(path, onnxClasses.ModelProto.encode(model).finish());
  return next;
}
