/**
 * Detector settings given to a batch (`kws transcribe --threshold off=0.9`) are checked against the
 * model's labels before any file is read, so a misspelt keyword stops the batch at once instead of
 * failing every long recording in it.
 */
import { readFile } from 'node:fs/promises';
import { readOnnxManifest } from '../../model/onnx/metadata.js';
import { resolveDetectorConfig } from '../streaming/config.js';
import type { DetectorConfig } from '../streaming/types.js';

/** Throws the detector's own message when `detector` names a label `modelPath`'s model does not have. */
export async function checkDetectorSettings(modelPath: string, detector: Partial<DetectorConfig> | undefined): Promise<void> {
  if (!detector?.thresholds || Object.keys(detector.thresholds).length === 0) return;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(modelPath);
  } catch {
    return; // the model's own loading reports a missing or unreadable file, with its message
  }
  resolveDetectorConfig(detector, readOnnxManifest(bytes, modelPath).labels);
}
