/** Runtime-neutral streaming detection (safe to import in the browser). Node glue is in ./node.js. */
export * from './types.js';
export * from './config.js';
export { KeywordTrigger, replayTrigger, type TriggerConfig } from './trigger.js';
export { StreamingDetector, MAX_WINDOWS_PER_BATCH, type DetectorModel, type StreamResult } from './detector.js';
