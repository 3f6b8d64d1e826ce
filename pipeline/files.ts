/** Expands command-line inputs (wav files and folders) into the list of wav files to read. */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** An input path that does not exist or cannot be read. */
export class InputPathError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'InputPathError';
    this.path = path;
  }
}

const WAV_NAME = /\.wav$/i;

async function walkWavFiles(dir: string, into: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walkWavFiles(full, into);
    else if ((entry.isFile() || entry.isSymbolicLink()) && WAV_NAME.test(entry.name)) into.push(full);
  }
}

/**
 * Files are taken as given (whatever their extension: the user named them); folders are walked
 * recursively and contribute their `*.wav` files (any case), sorted by name. Inputs keep their order,
 * duplicates are dropped. A missing input throws `InputPathError` naming it.
 */
export async function expandWavInputs(inputs: readonly string[]): Promise<string[]> {
  if (!Array.isArray(inputs)) throw new TypeError(`inputs must be an array of paths, got ${typeof inputs}`);
  const files: string[] = [];
  for (const input of inputs) {
    if (typeof input !== 'string' || input.length === 0) throw new TypeError(`input path must be a non-empty string, got ${JSON.stringify(input)}`);
    let info;
    try {
      info = await stat(input);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputPathError(input, code === 'ENOENT' ? 'no such file or directory' : `cannot read (${code ?? String(err)})`);
    }
    if (info.isDirectory()) await walkWavFiles(input, files);
    else files.push(input);
  }
  const seen = new Set<string>();
  return files.filter((f) => {
    const key = resolve(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
