/**
 * A file's identity for resuming and de-duplicating work: the resolved path, size and mtime. The
 * same file unchanged gives the same key in every run and on every machine that sees the same path.
 */
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { access, stat } from 'node:fs/promises';
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

/** What a path that is not a regular file is, for its error row. */
function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'a special file';
}

async function directoryProblem(dir: string): Promise<string> {
  try {
    await access(dir, constants.R_OK | constants.X_OK);
    return 'is a directory, not an audio file';
  } catch (err) {
    return `cannot read this folder (${(err as NodeJS.ErrnoException).code ?? String(err)}); its files were not transcribed`;
  }
}

/**
 * Stats `file` (following links) and keys it. Only regular files are read: a folder, FIFO, socket
 * or device, like a file that cannot be stat'ed, gets size and mtime -1 (so it is keyed, reported
 * once, and skipped on resume like any finished file) and its error.
 */
export async function fileTask(file: string): Promise<FileTask> {
  const failed = (problem: string): FileTask => ({ file, key: fileKey(file, -1, -1), size: -1, mtimeMs: -1, error: `${file}: ${problem}` });
  let info: Stats;
  try {
    info = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return failed(code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`);
  }
  if (info.isDirectory()) return failed(await directoryProblem(file));
  if (!info.isFile()) return failed(`is ${kindOf(info)}; only regular files are read`);
  return { file, key: fileKey(file, info.size, info.mtimeMs), size: info.size, mtimeMs: info.mtimeMs };
}
