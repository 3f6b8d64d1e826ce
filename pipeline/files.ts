/** Expands command-line inputs (wav files, folders, glob patterns, `-` for a list on stdin) into the list of files to read. */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { glob, isDynamicPattern } from 'tinyglobby';
import { isAudioFileName } from '../features/audio/index.js';

/** An input path that does not exist or cannot be read. */
export class InputPathError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'InputPathError';
    this.path = path;
  }
}


/**
 * Adds the audio files under `dir`, sorted. A folder that cannot be listed is added itself, and so
 * is an audio-named entry of any type (a FIFO, a socket): fileTask turns each into an error row
 * instead of stopping the walk or blocking on a read.
 */
async function walkAudioFiles(dir: string, into: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    into.push(dir);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walkAudioFiles(full, into);
    else if (isAudioFileName(entry.name)) into.push(full);
  }
}

/**
 * Files are taken as given (whatever their extension: the user named them); folders are walked
 * recursively and contribute their audio files (`*.wav`, `*.opus`, `*.ogg`, any case), sorted by name. Inputs keep their order,
 * duplicates are dropped. A missing input throws `InputPathError` naming it.
 */
export async function expandWavInputs(inputs: readonly string[]): Promise<string[]> {
  return expandInputs(inputs);
}

/** The input that stands for "read a list of paths from stdin". */
export const STDIN_INPUT = '-';

export interface ExpandOptions {
  /** Where `-` reads its list of paths, one per line (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

/** Paths listed one per line (blank lines skipped, CR stripped); taken as given, not stat'ed here. */
export async function readPathList(stream: NodeJS.ReadableStream): Promise<string[]> {
  const paths: string[] = [];
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim().length > 0) paths.push(line);
  }
  return paths;
}

/**
 * Like expandWavInputs, plus: an input with glob magic (`*`, `?`, `[..]`, `{a,b}`, `**`) expands to
 * the matching files, sorted (none matching is an InputPathError); `-` reads paths from stdin, which
 * are kept as given without a stat, so a missing one becomes an error row later instead of stopping
 * a long list.
 */
export async function expandInputs(inputs: readonly string[], options: ExpandOptions = {}): Promise<string[]> {
  if (!Array.isArray(inputs)) throw new TypeError(`inputs must be an array of paths, got ${typeof inputs}`);
  const files: string[] = [];
  for (const input of inputs) {
    if (typeof input !== 'string' || input.length === 0) throw new TypeError(`input path must be a non-empty string, got ${JSON.stringify(input)}`);
    if (input === STDIN_INPUT) {
      const listed = await readPathList(options.stdin ?? process.stdin);
      if (listed.length === 0) throw new InputPathError(input, 'stdin listed no paths');
      files.push(...listed);
      continue;
    }
    if (isDynamicPattern(input)) {
      let info;
      try {
        info = await stat(input);
      } catch {
        info = null;
      }
      // A real file whose name merely looks like a pattern is taken literally.
      if (info === null) {
        const matches = await glob(input, { onlyFiles: true, absolute: isAbsolute(input), expandDirectories: false, dot: false });
        if (matches.length === 0) throw new InputPathError(input, 'no files match this pattern');
        matches.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        files.push(...matches);
        continue;
      }
    }
    let info;
    try {
      info = await stat(input);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputPathError(input, code === 'ENOENT' ? 'no such file or directory' : `cannot read (${code ?? String(err)})`);
    }
    if (info.isDirectory()) {
      const before = files.length;
      await walkAudioFiles(input, files);
      if (files.length === before) throw new InputPathError(input, 'no audio files (*.wav, *.opus, *.ogg) in this folder or below');
    } else files.push(input);
  }
  const seen = new Set<string>();
  return files.filter((f) => {
    const key = resolve(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
