/** Issue 15 item 9: the demo server refuses other sites' pages and foreign Host names, and closes idle streams (real sockets). */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { startModelDemo, type ModelDemo } from '../pipeline/demo-server.js';
import { DEMO_CLOSE_CODES } from '../pipeline/demo/protocol.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
let demo: ModelDemo;
let port = 0;

before(async () => {
  demo = await startModelDemo({ modelPath: join(repoRoot, 'models/kws12/model.onnx'), port: 0, idleTimeoutMs: 800, maxConnections: 2 });
  port = demo.server.port;
});
after(async () => demo?.close());

function upgrade(headers: Record<string, string>): Promise<{ status: number } | { open: WebSocket }> {
  return new Promise((res) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/stream`, { headers });
    ws.once('open', () => res({ open: ws }));
    ws.once('unexpected-response', (_req, response) => res({ status: response.statusCode ?? 0 }));
    ws.once('error', () => {});
  });
}

function httpStatus(host: string): Promise<number> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host } }, (response) => {
      response.resume();
      res(response.statusCode ?? 0);
    });
    req.on('error', rej);
    req.end();
  });
}

test('a WebSocket from another site, or under a foreign Host name, is refused with 403', async () => {
  assert.deepEqual(await upgrade({ origin: 'https://evil.example' }), { status: 403 });
  assert.deepEqual(await upgrade({ origin: `http://127.0.0.1:${port + 1}` }), { status: 403 });
  assert.deepEqual(await upgrade({ host: `evil.example:${port}` }), { status: 403 });
  const own = await upgrade({ origin: `http://localhost:${port}` });
  assert.ok('open' in own);
  own.open.terminate();
  assert.equal(await httpStatus(`rebound.example:${port}`), 403);
  assert.notEqual(await httpStatus(`127.0.0.1:${port}`), 403);
});

test('idle streams are closed, so idle clients cannot hold every slot', async () => {
  const streams = await Promise.all([upgrade({}), upgrade({})]);
  const closes = streams.map((s) => {
    assert.ok('open' in s);
    return new Promise<number>((res) => s.open.once('close', (code) => res(code)));
  });
  const codes = await Promise.all(closes);
  assert.deepEqual(codes, [DEMO_CLOSE_CODES.policyViolation, DEMO_CLOSE_CODES.policyViolation]);
  // The slots are free again.
  const later = await upgrade({});
  assert.ok('open' in later);
  later.open.terminate();
});
