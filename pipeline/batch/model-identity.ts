/**
 * A model file's identity: the SHA-256 of its bytes. Queue results are cached under it, so a
 * result of one model is never served for another, whatever the file is called.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface ModelIdentity {
  path: string;
  /** 64 hex digits. */
  sha256: string;
}

export async function modelIdentity(path: string): Promise<ModelIdentity> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error(`${path}: the model is not a regular file`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path}: model file not found (give --model an .onnx file written by \`kws export\`)`);
    if (code !== undefined) throw new Error(`${path}: cannot read the model (${code})`);
    throw err;
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return { path, sha256: hash.digest('hex') };
}

/** The short form printed to users: 16 hex digits. */
export function shortHash(sha256: string): string {
  return sha256.slice(0, 16);
}
