/**
 * The demo server's static files: an exact allow-list from URL path to file and MIME type. URLs
 * are looked up verbatim (never decoded or joined onto a folder), so no request can name a file
 * outside the list, whatever dots or percent-escapes it holds.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  /** Absolute path on disk. */
  file: string;
  contentType: string;
}

/** The folder holding kws's package.json, found from this module's location (works from dist/). */
export function demoPackageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(here, '..', '..', '..');
    dir = parent;
  }
}

/** Where scripts/build-web.mjs writes the bundled page. */
export function defaultWebRoot(): string {
  return join(demoPackageRoot(), 'dist', 'web');
}

/** The single-threaded SIMD wasm binary of onnxruntime-web that the page's bundle loads. */
export const ORT_WASM_FILE = 'ort-wasm-simd-threaded.wasm';
export const ORT_WASM_URL = `/ort/${ORT_WASM_FILE}`;
export const MODEL_URL = '/model.onnx';
export const CONFIG_URL = '/demo-config.json';

function ortWasmPath(): string {
  const require = createRequire(import.meta.url);
  return require.resolve(`onnxruntime-web/${ORT_WASM_FILE}`);
}

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';

/** The allow-list: URL path -> file. `webRoot` holds the built page, `modelPath` the ONNX model. */
export function staticFileTable(webRoot: string, modelPath: string): Map<string, StaticFile> {
  return new Map<string, StaticFile>([
    ['/', { file: join(webRoot, 'index.html'), contentType: HTML }],
    ['/index.html', { file: join(webRoot, 'index.html'), contentType: HTML }],
    ['/app.js', { file: join(webRoot, 'app.js'), contentType: JS }],
    ['/worklet.js', { file: join(webRoot, 'worklet.js'), contentType: JS }],
    ['/styles.css', { file: join(webRoot, 'styles.css'), contentType: 'text/css; charset=utf-8' }],
    [MODEL_URL, { file: resolve(modelPath), contentType: 'application/octet-stream' }],
    [ORT_WASM_URL, { file: ortWasmPath(), contentType: 'application/wasm' }],
  ]);
}

/** The path part of a request target, verbatim (no decoding); null when it is not origin-form. */
export function requestPath(target: string | undefined): string | null {
  if (typeof target !== 'string' || !target.startsWith('/')) return null;
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}
