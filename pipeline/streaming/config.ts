/**
 * Detector defaults and their validation. Runtime-neutral: no Node imports.
 */
import type { DetectorConfig } from './types.js';

export const DEFAULT_HOP_MS = 100;
export const DEFAULT_SMOOTHING_MS = 300;
export const DEFAULT_THRESHOLD = 0.9;
export const DEFAULT_REFRACTORY_MS = 1000;
export const DEFAULT_IGNORE_LABELS: readonly string[] = Object.freeze(['_silence_', '_unknown_']);

export const DEFAULT_DETECTOR_CONFIG: Readonly<DetectorConfig> = Object.freeze({
  hopMs: DEFAULT_HOP_MS,
  smoothingMs: DEFAULT_SMOOTHING_MS,
  thresholds: {},
  defaultThreshold: DEFAULT_THRESHOLD,
  refractoryMs: DEFAULT_REFRACTORY_MS,
  ignoreLabels: [...DEFAULT_IGNORE_LABELS],
});

function checkNumber(value: unknown, field: string, min: number, max: number, minInclusive = true): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`detector config ${field} must be a finite number, got ${String(value)}`);
  }
  if (minInclusive ? value < min : value <= min) {
    throw new RangeError(`detector config ${field} must be ${minInclusive ? '>=' : '>'} ${min}, got ${value}`);
  }
  if (value > max) throw new RangeError(`detector config ${field} must be <= ${max}, got ${value}`);
  return value;
}

/** Defaults filled in and every field checked; throws RangeError naming the field. */
export function resolveDetectorConfig(partial: Partial<DetectorConfig> = {}, labels?: readonly string[]): DetectorConfig {
  if (partial === null || typeof partial !== 'object') throw new RangeError(`detector config must be an object, got ${String(partial)}`);
  const merged: DetectorConfig = {
    hopMs: partial.hopMs ?? DEFAULT_HOP_MS,
    smoothingMs: partial.smoothingMs ?? DEFAULT_SMOOTHING_MS,
    thresholds: { ...(partial.thresholds ?? {}) },
    defaultThreshold: partial.defaultThreshold ?? DEFAULT_THRESHOLD,
    refractoryMs: partial.refractoryMs ?? DEFAULT_REFRACTORY_MS,
    ignoreLabels: [...(partial.ignoreLabels ?? DEFAULT_IGNORE_LABELS)],
  };
  checkNumber(merged.hopMs, 'hopMs', 0, 60_000, false);
  checkNumber(merged.smoothingMs, 'smoothingMs', 0, 60_000);
  checkNumber(merged.defaultThreshold, 'defaultThreshold', 0, 1);
  checkNumber(merged.refractoryMs, 'refractoryMs', 0, 3_600_000);
  if (typeof merged.thresholds !== 'object' || merged.thresholds === null || Array.isArray(merged.thresholds)) {
    throw new RangeError('detector config thresholds must be an object of label -> number');
  }
  for (const [label, value] of Object.entries(merged.thresholds)) {
    checkNumber(value, `thresholds.${label}`, 0, 1);
    if (labels && !labels.includes(label)) {
      throw new RangeError(`detector config thresholds.${label}: the model has no label ${JSON.stringify(label)} (labels: ${labels.join(', ')})`);
    }
  }
  if (!Array.isArray(merged.ignoreLabels) || merged.ignoreLabels.some((l) => typeof l !== 'string')) {
    throw new RangeError('detector config ignoreLabels must be an array of label strings');
  }
  return merged;
}
