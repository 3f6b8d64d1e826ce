/**
 * The package as a user gets it: `npm pack`, installed into a fresh project outside the repository
 * (offline: `npm install --offline` from npm's cache where it can, otherwise the tarball unpacked and
 * its declared dependencies linked from this checkout's node_modules), then the README's snippet run
 * there in JS on a wav, a μ-law wav, FLAC, MP3 and Opus, and a TypeScript file using the API
 * type-checked with `tsc --strict`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const built = existsSync(join(repoRoot, 'dist', 'index.d.ts'));
const buildSkip = built ? false : 'needs the build with declarations (npm run build)';
/** The tarball stays small: code, the shipped model and its samples only. */
const MAX_TARBALL_BYTES = 3 * 1024 * 1024;

let work = '';
let app = '';
let tarball = '';
let packedFiles: string[] = [];
let installedBy = '';

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): { status: number | null; output: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Unpacks the tarball as node_modules/kws and links the dependencies it declares from this checkout. */
async function linkInstall(): Promise<void> {
  const target = join(app, 'node_modules', 'kws');
  await rm(join(app, 'node_modules'), { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
  for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
    const from = join(repoRoot, 'node_modules', name);
    if (!existsSync(from)) continue; // an optional dependency that did not install here
    await mkdir(dirname(join(app, 'node_modules', name)), { recursive: true });
    await symlink(from, join(app, 'node_modules', name), 'dir');
  }
}

before(async () => {
  if (!built) return;
  work = await mkdtemp(join(tmpdir(), 'kws-package-'));
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], repoRoot);
  assert.equal(packed.status, 0, packed.output);
  const info = JSON.parse(packed.output.slice(packed.output.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info[0]!.filename);
  packedFiles = info[0]!.files.map((f) => f.path);

  app = join(work, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'kws-user', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const installed = run('npm', ['install', '--offline', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', tarball], app, 300_000);
  if (installed.status === 0 && existsSync(join(app, 'node_modules', 'onnxruntime-node'))) {
    installedBy = 'npm install --offline';
  } else {
    await linkInstall();
    const reason = installed.output.split('\n').find((l) => /npm error (code|request)/.test(l)) ?? installed.output.trim().split('\n')[0];
    installedBy = `unpacked and linked (npm install --offline failed: ${reason})`;
  }
  // TypeScript users have Node's types; the package does not depend on them.
  await mkdir(join(app, 'node_modules', '@types'), { recursive: true });
  if (!existsSync(join(app, 'node_modules', '@types', 'node'))) await symlink(join(repoRoot, 'node_modules', '@types', 'node'), join(app, 'node_modules', '@types', 'node'), 'dir');
  process.stdout.write(`installed by: ${installedBy}\n`);
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('npm pack ships the code, declarations and the shipped model, and nothing else', { skip: buildSkip }, () => {
  for (const file of ['package.json', 'bin/kws.js', 'dist/index.js', 'dist/index.d.ts', 'dist/pipeline/streaming/index.d.ts', 'dist/cli/main.js', 'dist/web/app.js', 'models/kws12/model.onnx', 'models/kws12/samples/02-yes.wav']) {
    assert.ok(packedFiles.includes(file), `${file} is in the tarball`);
  }
  const unwanted = packedFiles.filter((f) => /^(data|runs|docs|test|\.ci)\/|^dist\/(test|scripts)\/|\.map$|\.ts$/.test(f) && !f.endsWith('.d.ts'));
  assert.deepEqual(unwanted, []);
  const size = readFileSync(tarball).length;
  assert.ok(size < MAX_TARBALL_BYTES, `tarball is ${size} bytes`);
  process.stdout.write(`tarball: ${packedFiles.length} files, ${(size / 1024).toFixed(0)} KiB\n`);
});

/** The sample clip converted by Debian's tools where they are installed. */
function formatCopies(yes: string): string[] {
  const files = [yes];
  const make = (out: string, command: string, args: string[]): void => {
    if (spawnSync(command, args, { stdio: 'ignore' }).status === 0 && existsSync(out)) files.push(out);
  };
  make(join(app, 'yes-mulaw.wav'), 'sox', [yes, '-e', 'mu-law', '-r', '8000', join(app, 'yes-mulaw.wav')]);
  make(join(app, 'yes.flac'), 'flac', ['--silent', '--force', yes, '-o', join(app, 'yes.flac')]);
  make(join(app, 'yes.mp3'), 'sox', [yes, '-C', '64', join(app, 'yes.mp3')]);
  make(join(app, 'yes.opus'), 'opusenc', ['--quiet', '--bitrate', '32', yes, join(app, 'yes.opus')]);
  return files;
}

test("the README's JS snippet runs in a fresh project: default model found from the package, clips and recordings", { skip: buildSkip }, async () => {
  const samples = join(app, 'node_modules', 'kws', 'models', 'kws12', 'samples');
  const yes = join(app, 'yes.wav');
  await copyFile(join(samples, '02-yes.wav'), yes);
  await copyFile(join(samples, '12-recording-yes-stop-left.wav'), join(app, 'recording.wav'));
  const files = formatCopies(yes);
  await writeFile(
    join(app, 'snippet.mjs'),
    `import { Recognizer, LongAudioError } from 'kws';
import { StreamingDetector } from 'kws/streaming';
const recognizer = await Recognizer.create();
for (const file of process.argv.slice(2)) {
  const { label, score } = await recognizer.recognizeFile(file);
  console.log(JSON.stringify({ file, label, score }));
}
// At 0.95: the model's own threshold (its <= 1 false accept/hour point) misses the recording's yes.
const detections = await recognizer.detectFile('recording.wav', { defaultThreshold: 0.95 });
console.log(JSON.stringify({ detections: detections.map((d) => d.label) }));
try {
  await recognizer.recognizeFile('recording.wav');
} catch (err) {
  console.log(JSON.stringify({ long: err instanceof LongAudioError, message: err.message }));
}
console.log(JSON.stringify({ streaming: typeof StreamingDetector }));
await recognizer.dispose();
`,
  );
  const r = run(process.execPath, ['snippet.mjs', ...files.map((f) => f.slice(app.length + 1))], app);
  assert.equal(r.status, 0, r.output);
  const lines = r.output.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const file of files) {
    const row = lines.find((l) => l.file === file.slice(app.length + 1));
    assert.equal(row?.label, 'yes', `${file}: ${JSON.stringify(row)}`);
  }
  assert.deepEqual(lines.find((l) => 'detections' in l)?.detections, ['yes', 'stop', 'left']);
  const long = lines.find((l) => 'long' in l)!;
  assert.equal(long.long, true);
  assert.match(String(long.message), /recording\.wav: 6\.00 s .* use recognizer\.detectFile/);
  assert.equal(lines.find((l) => 'streaming' in l)?.streaming, 'function');
  process.stdout.write(`recognised 'yes' in ${files.map((f) => f.slice(f.lastIndexOf('.') + 1)).join(', ')}\n`);
});

test('a TypeScript file using the API type-checks with tsc --strict against the emitted declarations', { skip: buildSkip }, async () => {
  await writeFile(
    join(app, 'check.ts'),
    `import {
  DEFAULT_MODEL_PATH, FeatureExtractor, DEFAULT_FEATURE_CONFIG, LongAudioError, Recognizer, WavError, readAudio, runEvaluate,
  exportCheckpointToOnnx, loadCheckpoint, createNodeDetector,
  type DecodedAudio, type Detection, type EvaluationReport, type FileTranscript, type Recognition,
} from 'kws';
import { StreamingDetector, type DetectorConfig } from 'kws/streaming';
import { decodeAudio, type AudioContainer } from 'kws/audio';

const recognizer: Recognizer = await Recognizer.create(DEFAULT_MODEL_PATH, { intraOpThreads: 1 });
const clip: Recognition = await recognizer.recognizeFile('yes.wav');
const top: string = clip.label;
const score: number = clip.scores[top] ?? 0;
const config: Partial<DetectorConfig> = { defaultThreshold: 0.8 };
const detections: Detection[] = await recognizer.detectFile('recording.wav', config);
const transcript: FileTranscript = await recognizer.transcribeFile('recording.wav');
if (transcript.kind === 'recording') console.log(transcript.detections.length);
else console.log(transcript.recognition.label);
const audio: DecodedAudio = await readAudio('yes.wav');
const again: DecodedAudio = await decodeAudio(new Uint8Array(0), 'x.wav').catch((err: unknown) => {
  if (err instanceof WavError) console.log(err.code, err.file);
  return audio;
});
const features = new FeatureExtractor(DEFAULT_FEATURE_CONFIG).extract(audio.samples);
const frames: number = features.frames;
const detector: StreamingDetector = createNodeDetector(recognizer, config);
const container: AudioContainer = 'flac';
try {
  await recognizer.recognizeFile('recording.wav');
} catch (err) {
  if (err instanceof LongAudioError) console.log(err.durationSeconds, err.maxSeconds);
}
const report: Promise<EvaluationReport> | null = null as Promise<EvaluationReport> | null;
void [score, detections, again, frames, detector, container, report, runEvaluate, exportCheckpointToOnnx, loadCheckpoint];
// @ts-expect-error labels are read-only
recognizer.labels.push('maybe');
await recognizer.dispose();
`,
  );
  await writeFile(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'], strict: true, noEmit: true, skipLibCheck: true }, files: ['check.ts'] }, null, 2),
  );
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = run(process.execPath, [tsc, '-p', 'tsconfig.json', '--strict', '--noEmit'], app);
  assert.equal(r.status, 0, r.output);
  // Our own declarations (not the dependencies') checked as a library too.
  const own = run(process.execPath, [tsc, '--strict', '--noEmit', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--lib', 'ES2022', '--types', 'node', '--skipLibCheck', 'false', 'node_modules/kws/dist/index.d.ts'], app);
  const ownErrors = own.output.split('\n').filter((line) => line.startsWith('node_modules/kws/'));
  assert.deepEqual(ownErrors, [], own.output);
});
