/**
 * The `kws demo` server: static files from an allow-list (the page, the model, onnxruntime-web's
 * wasm) and a WebSocket stream on which clients send 16 kHz Float32 audio and receive the
 * streaming detector's posteriors and detections as JSON. Every client message is validated; a
 * bad one closes that connection with a code and reason, never the server.
 *
 * Only this server's own names are served: a request whose Host is not the address it listens on
 * (or localhost / 127.0.0.1 / [::1] at its port, or an `allowedHosts` entry) is refused, so a
 * DNS-rebinding page cannot reach it, and a WebSocket whose Origin is another site's is refused,
 * so a page the user happens to visit cannot open the stream or take its slots. A stream that
 * sends no audio for `idleTimeoutMs` is closed, so idle clients cannot hold the slots either.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { basename } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  AudioChunkError,
  DEMO_CLOSE_CODES,
  STREAM_PATH,
  STREAM_SAMPLE_RATE_HZ,
  BYTES_PER_SAMPLE,
  decodeAudioChunk,
  roundedArray,
  type ServerMessage,
} from './demo/protocol.js';
import { AudioRateLimiter } from './demo/rate-limit.js';
import { CONFIG_URL, defaultWebRoot, requestPath, staticFileTable, type StaticFile } from './demo/static-files.js';
import { DEFAULT_MODEL_PATH, Recognizer } from './recognizer.js';
import { createNodeDetector } from './streaming/node.js';
import type { Detection, DetectorConfig, PosteriorFrame } from './streaming/types.js';

/** What the server needs of a streaming detector (one per connection). */
export interface DemoStreamDetector {
  push(chunk16k: Float32Array): Promise<{ detections: Detection[]; posteriors: PosteriorFrame[] }>;
}

export interface DemoServerOptions {
  /** Model file served to the page and used by `createDetector`'s caller (for its name). */
  modelPath: string;
  labels: readonly string[];
  /** Makes a fresh detector for each WebSocket connection. */
  createDetector: () => DemoStreamDetector | Promise<DemoStreamDetector>;
  /** Detector settings, also sent to the page so in-browser mode uses the same ones. */
  detectorConfig?: Partial<DetectorConfig>;
  host?: string;
  /** 0 picks a free port (default 8080). */
  port?: number;
  /** Folder of the built page (default dist/web of this package). */
  webRoot?: string;
  /** Simultaneous WebSocket streams (default 8). */
  maxConnections?: number;
  /** Largest binary message in bytes (default 64 KiB = 16384 samples, about 1 s). */
  maxMessageBytes?: number;
  /** Sustained audio rate limit as a multiple of real time (default 2). */
  realTimeFactor?: number;
  /** Burst allowance of the rate limit in seconds of audio (default 1). */
  burstSeconds?: number;
  /** Audio waiting for the detector before the client is cut off, in seconds (default 3). */
  maxBacklogSeconds?: number;
  /** A stream without audio for this long is closed (default 30000 ms). */
  idleTimeoutMs?: number;
  /** More `host[:port]` names the page may be reached under (e.g. a LAN name when host is 0.0.0.0). */
  allowedHosts?: readonly string[];
  /** Called with one line per notable event (connections, closes); default: nothing. */
  log?: (line: string) => void;
}

export interface DemoServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Open WebSocket streams. */
  connectionCount(): number;
  close(): Promise<void>;
}

const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
const WS_PAYLOAD_SLACK_BYTES = 64 * 1024;
/** Close reasons are limited to 123 bytes by RFC 6455. */
const MAX_REASON_BYTES = 123;

function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > MAX_REASON_BYTES) reason = reason.slice(0, -1);
  return reason;
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
  // Everything is same-origin; wasm compilation needs 'wasm-unsafe-eval'.
  'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' data:; style-src 'self'",
};

export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`demo server port must be an integer in 0..65535, got ${port}`);
  const maxConnections = options.maxConnections ?? 8;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new RangeError(`demo server maxConnections must be a positive integer, got ${maxConnections}`);
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < BYTES_PER_SAMPLE) throw new RangeError(`demo server maxMessageBytes must be an integer >= 4, got ${maxMessageBytes}`);
  const maxChunkSamples = Math.floor(maxMessageBytes / BYTES_PER_SAMPLE);
  const realTimeFactor = options.realTimeFactor ?? 2;
  const burstSeconds = options.burstSeconds ?? 1;
  const maxBacklogSamples = (options.maxBacklogSeconds ?? 3) * STREAM_SAMPLE_RATE_HZ;
  const log = options.log ?? (() => {});
  const modelName = basename(options.modelPath);
  const hopMs = options.detectorConfig?.hopMs ?? 100;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  if (!Number.isFinite(idleTimeoutMs) || idleTimeoutMs <= 0) throw new RangeError(`demo server idleTimeoutMs must be a positive number, got ${idleTimeoutMs}`);
  let boundPort = port;
  /** Host header values naming this server (set once the port is bound). */
  const ownHosts = (): Set<string> => {
    const names = [host.includes(':') ? `[${host}]` : host, 'localhost', '127.0.0.1', '[::1]'];
    return new Set([...names.map((n) => `${n}:${boundPort}`.toLowerCase()), ...(options.allowedHosts ?? []).map((h) => h.toLowerCase())]);
  };
  const hostAllowed = (req: IncomingMessage): boolean => req.headers.host !== undefined && ownHosts().has(req.headers.host.toLowerCase());
  /** Browsers always send Origin on WebSocket requests; other clients (scripts, tests) need not. */
  const originAllowed = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    try {
      const url = new URL(origin);
      return (url.protocol === 'http:' || url.protocol === 'https:') && ownHosts().has(url.host.toLowerCase());
    } catch {
      return false;
    }
  };

  const files = staticFileTable(options.webRoot ?? defaultWebRoot(), options.modelPath);
  const configJson = JSON.stringify({ model: modelName, labels: options.labels, detectorConfig: options.detectorConfig ?? {} });

  async function serveFile(req: IncomingMessage, res: ServerResponse, entry: StaticFile): Promise<void> {
    let size: number;
    try {
      const info = await stat(entry.file);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch {
      sendText(res, 404, `${basename(entry.file)} is missing on the server (build the page with: node scripts/build-web.mjs)\n`);
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': entry.contentType, 'Content-Length': size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(entry.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!hostAllowed(req)) {
      sendText(res, 403, `host ${JSON.stringify(req.headers.host ?? '')} refused: this server answers only to its own address\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendText(res, 405, `method ${req.method} not allowed\n`);
      return;
    }
    const path = requestPath(req.url);
    if (path === CONFIG_URL) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(configJson) });
      res.end(req.method === 'HEAD' ? undefined : configJson);
      return;
    }
    const entry = path === null ? undefined : files.get(path);
    if (!entry) {
      sendText(res, 404, 'not found\n');
      return;
    }
    serveFile(req, res, entry).catch(() => res.destroy());
  }

  const http = createServer(handleRequest);
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  // Slightly oversize messages get a close reason from decodeAudioChunk; ws cuts off far larger
  // ones while they arrive (code 1009, no reason) so they are never buffered whole.
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes + WS_PAYLOAD_SLACK_BYTES, perMessageDeflate: false });
  const streams = new Set<WebSocket>();

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (requestPath(req.url) !== STREAM_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!hostAllowed(req) || !originAllowed(req)) {
      log(`stream ${req.socket.remoteAddress ?? '?'}: refused host ${req.headers.host ?? '-'} origin ${req.headers.origin ?? '-'}`);
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (streams.size >= maxConnections) {
        ws.close(DEMO_CLOSE_CODES.tryAgainLater, closeReason(`server busy: already ${streams.size} streams (max ${maxConnections})`));
        return;
      }
      streams.add(ws);
      handleStream(ws, req.socket.remoteAddress ?? '?');
    });
  });

  function handleStream(ws: WebSocket, peer: string): void {
    let open = true;
    const fail = (code: number, reason: string): void => {
      if (!open) return;
      open = false;
      log(`stream ${peer}: closing ${code} ${reason}`);
      ws.close(code, closeReason(reason));
    };
    let idle: NodeJS.Timeout | undefined;
    const restartIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => fail(DEMO_CLOSE_CODES.policyViolation, `idle: no audio for ${idleTimeoutMs / 1000} s`), idleTimeoutMs);
    };
    restartIdle();
    ws.on('close', () => {
      open = false;
      clearTimeout(idle);
      streams.delete(ws);
    });
    // ws reports protocol errors (oversize, bad frames) here and then closes with the right code.
    ws.on('error', (err) => log(`stream ${peer}: ${err.message}`));

    const limiter = new AudioRateLimiter({ sampleRateHz: STREAM_SAMPLE_RATE_HZ, realTimeFactor, burstSeconds });
    let backlogSamples = 0;
    let streamSamples = 0;
    const send = (message: ServerMessage): void => {
      if (open && ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };

    let detector: DemoStreamDetector | null = null;
    // Messages that arrive while the detector starts wait on the queue, so none is dropped.
    let queue: Promise<void> = (async () => {
      try {
        detector = await options.createDetector();
        send({ type: 'ready', model: modelName, labels: [...options.labels], sampleRateHz: STREAM_SAMPLE_RATE_HZ, hopMs, maxChunkSamples });
      } catch (err) {
        fail(DEMO_CLOSE_CODES.internalError, `detector failed to start: ${(err as Error).message}`);
      }
    })();

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!open) return;
      restartIdle();
      if (!isBinary) {
        fail(DEMO_CLOSE_CODES.unsupportedData, 'text message refused: send binary little-endian float32 audio at 16 kHz');
        return;
      }
      let samples: Float32Array;
      try {
        samples = decodeAudioChunk(toBytes(data), maxChunkSamples);
      } catch (err) {
        if (err instanceof AudioChunkError) fail(err.code, err.message);
        else fail(DEMO_CLOSE_CODES.internalError, `cannot read message: ${(err as Error).message}`);
        return;
      }
      if (!limiter.admit(samples.length, performance.now())) {
        fail(DEMO_CLOSE_CODES.policyViolation, `rate limit: more than ${realTimeFactor}x real time of audio`);
        return;
      }
      if (backlogSamples + samples.length > maxBacklogSamples) {
        fail(DEMO_CLOSE_CODES.policyViolation, `backlog: more than ${maxBacklogSamples / STREAM_SAMPLE_RATE_HZ} s of audio waiting for the detector`);
        return;
      }
      backlogSamples += samples.length;
      queue = queue.then(async () => {
        if (!open || detector === null) return;
        try {
          const result = await detector.push(samples);
          streamSamples += samples.length;
          backlogSamples -= samples.length;
          const chunkEndSeconds = streamSamples / STREAM_SAMPLE_RATE_HZ;
          for (const frame of result.posteriors) {
            send({ type: 'posteriors', timeSeconds: frame.timeSeconds, probabilities: roundedArray(frame.probabilities), smoothed: roundedArray(frame.smoothed) });
          }
          for (const detection of result.detections) send({ type: 'detection', detection, chunkEndSeconds });
        } catch (err) {
          fail(DEMO_CLOSE_CODES.internalError, `detector failed: ${(err as Error).message}`);
        }
      });
    });
  }

  await new Promise<void>((resolvePromise, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolvePromise();
    });
  });
  const address = http.address();
  boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${boundPort}/`,
    host,
    port: boundPort,
    connectionCount: () => streams.size,
    close: async () => {
      for (const ws of streams) ws.terminate();
      wss.close();
      await new Promise<void>((resolvePromise) => http.close(() => resolvePromise()));
    },
  };
}

export interface ModelDemoOptions extends Omit<DemoServerOptions, 'modelPath' | 'labels' | 'createDetector'> {
  /** ONNX model (default: the shipped models/kws12/model.onnx). */
  modelPath?: string;
}

export interface ModelDemo {
  server: DemoServer;
  recognizer: Recognizer;
  /** Stops the server and frees the model. */
  close(): Promise<void>;
}

/** Loads the model once and serves it: one onnxruntime-node StreamingDetector per WebSocket stream. */
export async function startModelDemo(options: ModelDemoOptions = {}): Promise<ModelDemo> {
  const modelPath = options.modelPath ?? DEFAULT_MODEL_PATH;
  const recognizer = await Recognizer.create(modelPath);
  try {
    // Validates the detector settings against the model's labels before any client connects.
    const resolved = createNodeDetector(recognizer, options.detectorConfig).config;
    const server = await startDemoServer({
      ...options,
      // The hop the ready message announces: explicit, else the one the model's thresholds were measured with.
      detectorConfig: { ...options.detectorConfig, hopMs: resolved.hopMs },
      modelPath,
      labels: recognizer.labels,
      createDetector: () => createNodeDetector(recognizer, options.detectorConfig),
    });
    return {
      server,
      recognizer,
      close: async () => {
        await server.close();
        await recognizer.dispose();
      },
    };
  } catch (err) {
    await recognizer.dispose();
    throw err;
  }
}
