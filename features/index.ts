export * from './types.js';
export { DEFAULT_FEATURE_CONFIG, WINDOWING_FUNCTIONS, MAX_MFCC_COEFFICIENTS, validateFeatureConfig, framesFor, featureDim } from './config.js';
export { mfccMeyda } from './mfcc-meyda.js';
export { FastMfcc, type MfccConfig } from './mfcc-fast.js';
export { RealFft } from './real-fft.js';
export { appendDeltas, normalize, computeGlobalStats, STD_FLOOR, type GlobalStats } from './postprocess.js';
export { extractFeatures, FeatureExtractor, type ExtractOptions } from './extractor.js';
export * from './audio/index.js';
