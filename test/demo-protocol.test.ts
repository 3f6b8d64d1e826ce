import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AudioChunkError, DEMO_CLOSE_CODES, decodeAudioChunk, encodeAudioChunk, roundedArray } from '../pipeline/demo/protocol.js';
import { AudioRateLimiter } from '../pipeline/demo/rate-limit.js';
import { requestPath, staticFileTable } from '../pipeline/demo/static-files.js';

test('audio chunks round-trip as little-endian float32', () => {
  const samples = Float32Array.from([0, 0.5, -1, 0.25, 1e-7]);
  const bytes = new Uint8Array(encodeAudioChunk(samples));
  assert.equal(bytes.byteLength, 20);
  assert.deepEqual(Array.from(bytes.subarray(4, 8)), [0, 0, 0, 0x3f]);
  assert.deepEqual(decodeAudioChunk(bytes, 16), samples);
  // A view at an odd offset of a larger buffer (how Node hands messages over) decodes too.
  const padded = new Uint8Array(21);
  padded.set(bytes, 1);
  assert.deepEqual(decodeAudioChunk(padded.subarray(1), 16), samples);
});

test('bad audio chunks are refused with the close code to answer', () => {
  const expectError = (bytes: Uint8Array, code: number, pattern: RegExp) =>
    assert.throws(() => decodeAudioChunk(bytes, 4), (err: unknown) => err instanceof AudioChunkError && err.code === code && pattern.test(err.message));
  expectError(new Uint8Array(0), DEMO_CLOSE_CODES.invalidPayload, /empty/);
  expectError(new Uint8Array(7), DEMO_CLOSE_CODES.invalidPayload, /7 bytes is not a whole number of float32/);
  expectError(new Uint8Array(encodeAudioChunk(Float32Array.from([0, NaN]))), DEMO_CLOSE_CODES.invalidPayload, /sample 1 is NaN/);
  expectError(new Uint8Array(encodeAudioChunk(Float32Array.from([Infinity]))), DEMO_CLOSE_CODES.invalidPayload, /sample 0 is Infinity/);
  expectError(new Uint8Array(20), DEMO_CLOSE_CODES.messageTooBig, /5 samples exceeds the limit of 4/);
});

test('the rate limiter allows 2x real time plus a burst, and refills with time', () => {
  const limiter = new AudioRateLimiter({ sampleRateHz: 16000, realTimeFactor: 2, burstSeconds: 1 });
  assert.equal(limiter.capacity, 32000);
  assert.equal(limiter.admit(32000, 0), true);
  assert.equal(limiter.admit(1, 0), false);
  // 100 ms refills 3200 samples at 2x real time.
  assert.equal(limiter.admit(3200, 100), true);
  assert.equal(limiter.admit(1, 100), false);
  // Real-time streaming never runs dry: 1600 samples every 100 ms for 10 s.
  const steady = new AudioRateLimiter({ sampleRateHz: 16000 });
  for (let t = 0; t < 10_000; t += 100) assert.equal(steady.admit(1600, t), true);
  assert.throws(() => new AudioRateLimiter({ sampleRateHz: 16000, realTimeFactor: 0 }), /realTimeFactor must be > 0/);
});

test('static paths are looked up verbatim in the allow-list', () => {
  const table = staticFileTable('/srv/web', '/models/m.onnx');
  assert.equal(requestPath('/app.js?v=1'), '/app.js');
  assert.equal(requestPath('/%2e%2e/package.json'), '/%2e%2e/package.json');
  assert.equal(requestPath('http://evil/x'), null);
  assert.equal(requestPath(undefined), null);
  assert.equal(table.get('/')?.file, '/srv/web/index.html');
  assert.equal(table.get('/model.onnx')?.file, '/models/m.onnx');
  assert.match(table.get('/ort/ort-wasm-simd-threaded.wasm')!.file, /onnxruntime-web[/\\]dist[/\\]ort-wasm-simd-threaded\.wasm$/);
  for (const path of ['/../package.json', '/%2e%2e/package.json', '/web/app.ts', '/index.html/']) assert.equal(table.get(path), undefined);
});

test('probabilities are rounded to 4 decimals for the wire', () => {
  assert.deepEqual(roundedArray(Float32Array.from([0.123456, 1, 0])), [0.1235, 1, 0]);
});
