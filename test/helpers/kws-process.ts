/** Runs the real `kws` program in `cwd`, its feature cache in `cwd/cache`, and collects its output. */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const kwsBin = join(resolve(fileURLToPath(import.meta.url), '../../../..'), 'bin', 'kws.js');

export function runKws(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [kwsBin, ...args], { cwd, env: { ...process.env, KWS_CACHE_DIR: join(cwd, 'cache') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}
