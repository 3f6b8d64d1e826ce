/**
 * Runs a command and measures its peak resident memory: with GNU time's `-v` ("Maximum resident
 * set size") where /usr/bin/time exists, otherwise by polling /proc/PID/status's VmHWM (the
 * process's high-water mark; worker threads share the process, so it covers them too).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const GNU_TIME = '/usr/bin/time';
const POLL_MS = 50;

export interface MeasuredRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  peakRssMb: number;
  /** How the peak was read. */
  method: 'time -v' | 'VmHWM';
}

function vmHwmKb(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null; // exited between polls
  }
}

export function runMeasured(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; gnuTime?: boolean } = {}): Promise<MeasuredRun> {
  const useTime = options.gnuTime ?? existsSync(GNU_TIME);
  const [cmd, full] = useTime ? [GNU_TIME, ['-v', command, ...args]] : [command, [...args]];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, full, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let polledKb = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = useTime ? null : setInterval(() => (polledKb = Math.max(polledKb, vmHwmKb(child.pid!) ?? 0)), POLL_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      const wallSeconds = (performance.now() - started) / 1000;
      if (!useTime) {
        resolve({ code, stdout, stderr, wallSeconds, peakRssMb: polledKb / 1024, method: 'VmHWM' });
        return;
      }
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      if (!m) {
        reject(new Error(`${GNU_TIME} -v ${command}: no "Maximum resident set size" line in its output (exit ${code}): ${stderr.slice(-500)}`));
        return;
      }
      resolve({ code, stdout, stderr: stderr.slice(0, stderr.lastIndexOf('\tCommand being timed')), wallSeconds, peakRssMb: Number(m[1]) / 1024, method: 'time -v' });
    });
  });
}
