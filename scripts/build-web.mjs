#!/usr/bin/env node
/**
 * Bundles the demo page (web/) with esbuild into dist/web/: app.js (page, ESM), worklet.js
 * (AudioWorklet processor), index.html and styles.css. onnxruntime-web's wasm binary is not
 * copied: the demo server serves it from node_modules. Usage: node scripts/build-web.mjs [--dev]
 */
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
const dev = process.argv.includes('--dev');

await mkdir(out, { recursive: true });
const common = {
  bundle: true,
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16.4'],
  minify: !dev,
  sourcemap: dev ? 'inline' : false,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};
await Promise.all([
  build({ ...common, entryPoints: [join(root, 'web', 'app.ts')], outfile: join(out, 'app.js'), format: 'esm' }),
  build({ ...common, entryPoints: [join(root, 'web', 'worklet.ts')], outfile: join(out, 'worklet.js'), format: 'esm' }),
  copyFile(join(root, 'web', 'index.html'), join(out, 'index.html')),
  copyFile(join(root, 'web', 'styles.css'), join(out, 'styles.css')),
]);
console.log(`built the demo page into ${out}`);
