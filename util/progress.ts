/**
 * Progress display for long work: a cli-progress bar with ETA on a terminal, and sparse plain
 * lines when stderr is not a TTY (logs, CI), so piped output stays readable.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} {bar} {percentage}% | {value}/{total} | ETA {eta_formatted} | {info}`,
        stream,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    return {
      update(done, fields) {
        const info = fields ? Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(' ') : '';
        bar.update(done, { info });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const started = Date.now();
  let lastPrinted = 0;
  return {
    update(done, fields) {
      const now = Date.now();
      if (done < total && now - lastPrinted < 10_000) return;
      lastPrinted = now;
      const elapsed = (now - started) / 1000;
      const eta = done > 0 ? (elapsed / done) * (total - done) : 0;
      const info = fields ? ' ' + Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(' ') : '';
      stream.write(`${label} ${done}/${total} (${((100 * done) / Math.max(1, total)).toFixed(0)}%) eta ${eta.toFixed(0)}s${info}\n`);
    },
    stop() {},
  };
}
