/**
 * One-way layers: imports flow util -> features -> datasets -> model -> pipeline -> evaluation -> custom -> cli.
 * Every relative import of a source folder (static `import … from`, `export … from`, side-effect
 * `import '…'` and dynamic `import('…')`, type-only ones included) may only reach its own layer or a
 * lower one. scripts/, test/, web/, index.ts and bin/ sit above all layers and may import anything,
 * but no layer may import them. Also: what the browser demo bundles (web/ and everything it reaches)
 * imports no Node.js built-in (type-only imports aside), or esbuild cannot bundle it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');

/** Lowest first: a file may import its own layer and the ones before it. */
const LAYERS = ['util', 'features', 'datasets', 'model', 'pipeline', 'evaluation', 'custom', 'cli'] as const;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Comments removed, so examples in doc comments are not taken for imports. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|\s)\/\/.*$/gm, '$1');
}

export interface ImportRef {
  spec: string;
  /** `import type …` / `export type …`: erased when compiled or bundled. */
  typeOnly: boolean;
}

/** Every module `source` imports or re-exports, in order. */
export function importRefs(source: string): ImportRef[] {
  const code = stripComments(source);
  const found: (ImportRef & { at: number })[] = [];
  const patterns = [
    /(?:^|[;}\s])((?:import|export)\s[^;'"`]*?\bfrom\s*(['"])([^'"]+)\2)/g,
    /(?:^|[;}\s])(import\s*(['"])([^'"]+)\2)/g,
    /\b(import\s*\(\s*(['"])([^'"]+)\2\s*[,)])/g,
  ];
  for (const pattern of patterns) {
    for (const m of code.matchAll(pattern)) {
      found.push({ at: (m.index ?? 0) + m[0].indexOf(m[1]!), spec: m[3]!, typeOnly: /^(?:import|export)\s+type\s/.test(m[1]!) });
    }
  }
  return found.sort((a, b) => a.at - b.at).map(({ spec, typeOnly }) => ({ spec, typeOnly }));
}

export function importSpecifiers(source: string): string[] {
  return importRefs(source).map((r) => r.spec);
}

function layerOf(path: string): number {
  const top = relative(repoRoot, path).split(sep)[0]!;
  return (LAYERS as readonly string[]).indexOf(top);
}

/** The .ts file a relative specifier names ('./x.js' -> x.ts, a folder -> its index.ts). */
function resolveSource(from: string, spec: string): string {
  const target = resolve(dirname(from), spec);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target, join(target, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return target;
}

test('the import scanner sees static, re-export, side-effect and dynamic imports, not comments', () => {
  const source = [
    "import { a } from '../a.js';",
    'import type {',
    '  B,',
    "} from \"./b.js\";",
    "export * from '../c/index.js';",
    "export { d } from './d.js';",
    "import './side-effect.js';",
    "const e = await import('../e.js');",
    "type F = import('./f.js').F;",
    "// import { g } from '../g.js';",
    "/** e.g. `await import('../h.js')` */",
    "const url = 'http://example.com/x.js';",
    "import fs from 'node:fs';",
  ].join('\n');
  assert.deepEqual(importSpecifiers(source), ['../a.js', './b.js', '../c/index.js', './d.js', './side-effect.js', '../e.js', './f.js', 'node:fs']);
  assert.deepEqual(importRefs(source).filter((r) => r.typeOnly).map((r) => r.spec), ['./b.js']);
});

test('imports flow one way: util -> features -> datasets -> model -> pipeline -> evaluation -> cli', () => {
  const violations: string[] = [];
  let checked = 0;
  for (const layer of LAYERS) {
    const folder = join(repoRoot, layer);
    assert.ok(existsSync(folder), `layer folder ${layer}/ is missing`);
    for (const file of sourceFiles(folder)) {
      const rank = layerOf(file);
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        checked++;
        const target = resolveSource(file, spec);
        const targetRank = layerOf(target);
        const where = `${relative(repoRoot, file)} imports '${spec}' (${relative(repoRoot, target)})`;
        if (targetRank < 0) violations.push(`${where}: outside the layered folders (${LAYERS.join(', ')})`);
        else if (targetRank > rank) violations.push(`${where}: ${LAYERS[rank]}/ may not import the higher layer ${LAYERS[targetRank]}/`);
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} relative imports found: is the scanner broken?`);
  assert.deepEqual(violations, [], `lower layers import higher ones:\n  ${violations.join('\n  ')}`);
});

test('modules the browser demo bundles import no Node.js built-in', () => {
  const builtins = new Set(builtinModules);
  const isBuiltin = (spec: string): boolean => spec.startsWith('node:') || builtins.has(spec.split('/')[0]!);
  const violations: string[] = [];
  const seen = new Set<string>();
  const queue = ['app.ts', 'worklet.ts'].map((name) => ({ file: join(repoRoot, 'web', name), chain: `web/${name}` }));
  while (queue.length > 0) {
    const { file, chain } = queue.shift()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    // Type-only imports are erased by esbuild, so they do not reach the bundle.
    for (const { spec } of importRefs(readFileSync(file, 'utf8')).filter((r) => !r.typeOnly)) {
      if (spec.startsWith('.')) {
        const target = resolveSource(file, spec);
        queue.push({ file: target, chain: `${chain} -> ${relative(repoRoot, target)}` });
      } else if (isBuiltin(spec)) {
        violations.push(`${chain} imports '${spec}'`);
      }
    }
  }
  assert.ok(seen.size > 5, `only ${seen.size} modules reached from web/: is the scanner broken?`);
  assert.deepEqual(violations, [], `the web bundle reaches Node.js built-ins:\n  ${violations.join('\n  ')}`);
});
