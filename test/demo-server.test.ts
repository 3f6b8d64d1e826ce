import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { startModelDemo, type ModelDemo } from '../pipeline/demo-server.js';
import { DEMO_CLOSE_CODES, encodeAudioChunk, type ServerMessage } from '../pipeline/demo/protocol.js';
import { CONFIG_URL } from '../pipeline/demo/static-files.js';
import { writeDemoFixtureModel } from './fixtures/demo-model.js';
import { ensureWebBuilt } from './fixtures/web-build.js';

let dir: string;
let modelPath: string;
let demo: ModelDemo;
let base: string;

before(async () => {
  ensureWebBuilt();
  dir = await mkdtemp(join(tmpdir(), 'kws-demo-server-'));
  modelPath = join(dir, 'model.onnx');
  await writeDemoFixtureModel(modelPath, 5);
  demo = await startModelDemo({ modelPath, port: 0, maxConnections: 4 });
  base = demo.server.url;
});

after(async () => {
  await demo?.close();
  await rm(dir, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  type: string | undefined;
  body: Buffer;
}

/** A GET with the path sent exactly as written (no client-side normalisation). */
function get(path: string, method = 'GET'): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface Stream {
  ws: WebSocket;
  messages: ServerMessage[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once `predicate` holds for the messages received so far. */
  waitFor(predicate: (messages: ServerMessage[]) => boolean): Promise<void>;
}

function openStream(): Stream {
  const ws = new WebSocket(new URL('/stream', base.replace('http', 'ws')));
  const messages: ServerMessage[] = [];
  const waiters: { predicate: (m: ServerMessage[]) => boolean; resolve: () => void }[] = [];
  ws.on('message', (data, isBinary) => {
    assert.equal(isBinary, false);
    messages.push(JSON.parse(String(data)) as ServerMessage);
    for (const w of [...waiters]) if (w.predicate(messages)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  ws.on('error', () => {});
  return {
    ws,
    messages,
    opened: new Promise((resolve) => ws.once('open', () => resolve())),
    closed: new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) }))),
    waitFor: (predicate) => (predicate(messages) ? Promise.resolve() : new Promise((resolve) => waiters.push({ predicate, resolve }))),
  };
}

const ready = (m: ServerMessage[]) => m.some((x) => x.type === 'ready');
const posteriorCount = (m: ServerMessage[]) => m.filter((x) => x.type === 'posteriors').length;

function tone(seconds: number): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * 16000) }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000));
}

test('serves the page, the model and the onnxruntime-web wasm with their MIME types', async () => {
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.equal(index.type, 'text/html; charset=utf-8');
  assert.match(index.body.toString(), /<script type="module" src="\/app.js">/);
  const app = await get('/app.js');
  assert.equal(app.type, 'text/javascript; charset=utf-8');
  assert.ok(app.body.length > 10_000, `app.js is ${app.body.length} bytes`);
  assert.equal((await get('/worklet.js')).type, 'text/javascript; charset=utf-8');
  assert.equal((await get('/styles.css')).type, 'text/css; charset=utf-8');
  const model = await get('/model.onnx');
  assert.equal(model.type, 'application/octet-stream');
  assert.deepEqual(model.body, await readFile(modelPath));
  const wasm = await get('/ort/ort-wasm-simd-threaded.wasm');
  assert.equal(wasm.type, 'application/wasm');
  assert.deepEqual(Array.from(wasm.body.subarray(0, 4)), [0, 0x61, 0x73, 0x6d]);
  const config = JSON.parse((await get('/demo-config.json?x=1')).body.toString()) as { model: string; labels: string[] };
  assert.equal(config.model, 'model.onnx');
  assert.equal(config.labels.length, 12);
  const head = await get('/index.html', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
});

test('refuses traversal, unlisted files and other methods', async () => {
  for (const path of [
    '/../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E%2Fpackage.json',
    '/..%2fpackage.json',
    '/..%5cpackage.json',
    '/web/../../package.json',
    '//etc/passwd',
    '/package.json',
    '/web/app.ts',
    '/dist/web/app.js',
    '/index.html%00.js',
    '/ort/../../package.json',
    '/ort/ort.wasm.min.mjs',
  ]) {
    const res = await get(path);
    assert.equal(res.status, 404, `${path} gave ${res.status}`);
    assert.doesNotMatch(res.body.toString(), /"name": "kws"|root:/);
  }
  const post = await get('/', 'POST');
  assert.equal(post.status, 405);
});

test('a stream gets ready, then posteriors every hop for the audio it sends', async () => {
  const s = openStream();
  await s.waitFor(ready);
  const hello = s.messages[0]!;
  assert.equal(hello.type, 'ready');
  if (hello.type === 'ready') {
    assert.equal(hello.sampleRateHz, 16000);
    assert.equal(hello.hopMs, 100);
    assert.equal(hello.labels.length, 12);
    assert.equal(hello.maxChunkSamples, 16384);
  }
  // 1.5 s in 100 ms chunks: windows end at 1.0, 1.1, ... 1.5 s.
  const audio = tone(1.5);
  for (let at = 0; at < audio.length; at += 1600) s.ws.send(encodeAudioChunk(audio.subarray(at, at + 1600)));
  await s.waitFor((m) => posteriorCount(m) === 6);
  const frames = s.messages.filter((m) => m.type === 'posteriors');
  assert.deepEqual(frames.map((f) => f.type === 'posteriors' && Number(f.timeSeconds.toFixed(3))), [1, 1.1, 1.2, 1.3, 1.4, 1.5]);
  for (const f of frames) if (f.type === 'posteriors') assert.ok(Math.abs(f.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-3);
  s.ws.close();
  await s.closed;
});

test('garbage closes only the offending stream, with the code and reason that name it', async () => {
  const good = openStream();
  await good.waitFor(ready);
  const cases: { send: (ws: WebSocket) => void; code: number; reason: RegExp }[] = [
    { send: (ws) => ws.send('hello'), code: DEMO_CLOSE_CODES.unsupportedData, reason: /text message refused/ },
    { send: (ws) => ws.send(Buffer.alloc(7)), code: DEMO_CLOSE_CODES.invalidPayload, reason: /7 bytes is not a whole number of float32/ },
    { send: (ws) => ws.send(Buffer.alloc(0)), code: DEMO_CLOSE_CODES.invalidPayload, reason: /empty/ },
    { send: (ws) => ws.send(encodeAudioChunk(Float32Array.from([0.1, NaN, 0]))), code: DEMO_CLOSE_CODES.invalidPayload, reason: /sample 1 is NaN/ },
    { send: (ws) => ws.send(Buffer.alloc(64 * 1024 + 4)), code: DEMO_CLOSE_CODES.messageTooBig, reason: /16385 samples exceeds the limit of 16384/ },
    // Far too large: ws stops reading it at the payload cap (no reason text).
    { send: (ws) => ws.send(Buffer.alloc(4 * 1024 * 1024)), code: DEMO_CLOSE_CODES.messageTooBig, reason: /^$/ },
    {
      // 5 s of audio at once: the first second passes (burst of 2x real time), then the limit.
      send: (ws) => {
        const second = tone(1);
        for (let i = 0; i < 5; i++) ws.send(encodeAudioChunk(second));
      },
      code: DEMO_CLOSE_CODES.policyViolation,
      reason: /rate limit: more than 2x real time/,
    },
  ];
  for (const c of cases) {
    const bad = openStream();
    await bad.waitFor(ready);
    c.send(bad.ws);
    const { code, reason } = await bad.closed;
    assert.equal(code, c.code, `expected ${c.code}, got ${code} (${reason})`);
    assert.match(reason, c.reason);
  }
  // The well-behaved stream is still served.
  good.ws.send(encodeAudioChunk(tone(1)));
  await good.waitFor((m) => posteriorCount(m) >= 1);
  good.ws.close();
  await good.closed;
});

test('survives clients that vanish mid-stream and caps the number of streams', async () => {
  for (let i = 0; i < 3; i++) {
    const s = openStream();
    await s.waitFor(ready);
    s.ws.send(encodeAudioChunk(tone(0.9)));
    s.ws.send(Buffer.from([1, 2, 3, 4, 5, 6]).subarray(0, 4));
    s.ws.terminate();
  }
  const streams = [openStream(), openStream(), openStream(), openStream()];
  await Promise.all(streams.map((s) => s.waitFor(ready)));
  const extra = openStream();
  const refused = await extra.closed;
  assert.equal(refused.code, DEMO_CLOSE_CODES.tryAgainLater);
  assert.match(refused.reason, /server busy: already 4 streams \(max 4\)/);
  for (const s of streams) s.ws.close();
  await Promise.all(streams.map((s) => s.closed));
  const after = openStream();
  await after.waitFor(ready);
  after.ws.send(encodeAudioChunk(tone(1)));
  await after.waitFor((m) => posteriorCount(m) === 1);
  after.ws.close();
  await after.closed;
  assert.equal((await get('/')).status, 200);
});

test('kws demo --threshold reaches both inference modes (the served config); a keyword the model lacks is refused before serving', async () => {
  const labels = (JSON.parse((await get(CONFIG_URL)).body.toString('utf8')) as { labels: string[] }).labels;
  const keyword = labels.find((l) => l !== '_silence_' && l !== '_unknown_')!;
  const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, [join(repoRoot, 'bin/kws.js'), 'demo', '--port', '0', '--model', modelPath, '--threshold', `0.95,${keyword}=0.9`], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const m = /open (http:\/\/\S+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`kws demo exited with ${code}: ${stdout}`)));
    });
    const config = await (await fetch(new URL(CONFIG_URL, url))).json() as { detectorConfig: { defaultThreshold?: number; thresholds?: Record<string, number> } };
    assert.equal(config.detectorConfig.defaultThreshold, 0.95);
    assert.deepEqual(config.detectorConfig.thresholds, { [keyword]: 0.9 });
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  const refused = spawn(process.execPath, [join(repoRoot, 'bin/kws.js'), 'demo', '--port', '0', '--model', modelPath, '--threshold', 'nosuch=0.5'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  refused.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const [code] = await once(refused, 'exit') as [number | null];
  assert.notEqual(code, 0);
  assert.match(stderr, /thresholds\.nosuch: the model has no label "nosuch"/);
});
