/**
 * A file's identity for resuming and de-duplicating work: the resolved path, size and mtime. The
 * same file unchanged gives the same key in every run and on every machine that sees the same path.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';

/** A file to recognise, as listed (`file`), with the stat it was keyed by. */
export interface FileTask {
  file: string;
  key: string;
  size: number;
  mtimeMs: number;
  /** Set when the file could not even be stat'ed; it is then reported, not read. */
  error?: string;
}

/** 24 hex digits of SHA-256 over resolved path, size and mtime (ms). */
export function fileKey(path: string, size: number, mtimeMs: number): string {
  return createHash('sha256').update(`${resolve(path)}\0${size}\0${mtimeMs}`).digest('hex').slice(0, 24);
}

/**
 * Stats `file` and keys it. A file that cannot be stat'ed gets size and mtime -1 (so it is keyed,
 * reported once, and skipped on resume like any finished file) and its error.
 */
export async function fileTask(file: string): Promise<FileTask> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) return { file, key: fileKey(file, -1, -1), size: -1, mtimeMs: -1, error: `${file}: is a directory, not a wav file` };
    return { file, key: fileKey(file, info.size, info.mtimeMs), size: info.size, mtimeMs: info.mtimeMs };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`;
    return { file, key: fileKey(file, -1, -1), size: -1, mtimeMs: -1, error: `${file}: ${problem}` };
  }
}
