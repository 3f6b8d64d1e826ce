/** The page's views: the detected command, the posterior bars, the level meter, the detection log. */
import type { PosteriorView } from './engines.js';

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element as T;
}

export interface ShownDetection {
  label: string;
  score: number;
  firedAtSeconds: number;
  startSeconds: number;
  endSeconds: number;
  latencyMs: number;
}

const COMMAND_HOLD_MS = 1500;

export class DemoView {
  readonly #command = byId<HTMLDivElement>('command');
  readonly #commandMeta = byId<HTMLDivElement>('command-meta');
  readonly #bars = byId<HTMLDivElement>('bars');
  readonly #level = byId<HTMLDivElement>('level-fill');
  readonly #levelText = byId<HTMLSpanElement>('level-text');
  readonly #log = byId<HTMLOListElement>('log');
  readonly #status = byId<HTMLParagraphElement>('status');
  #barFills: HTMLDivElement[] = [];
  #barValues: HTMLSpanElement[] = [];
  #pending: PosteriorView | null = null;
  #clearTimer: ReturnType<typeof setTimeout> | undefined;

  setStatus(text: string, kind: 'info' | 'error' = 'info'): void {
    this.#status.textContent = text;
    this.#status.dataset.kind = kind;
  }

  setLabels(labels: readonly string[]): void {
    this.#bars.replaceChildren();
    this.#barFills = [];
    this.#barValues = [];
    for (const label of labels) {
      const row = document.createElement('div');
      row.className = 'bar';
      row.dataset.label = label;
      const name = document.createElement('span');
      name.className = 'bar-label';
      name.textContent = label;
      const track = document.createElement('div');
      track.className = 'bar-track';
      const fill = document.createElement('div');
      fill.className = 'bar-fill';
      track.append(fill);
      const value = document.createElement('span');
      value.className = 'bar-value';
      value.textContent = '0.00';
      row.append(name, track, value);
      this.#bars.append(row);
      this.#barFills.push(fill);
      this.#barValues.push(value);
    }
  }

  /** Draws at most once per animation frame, however often posteriors arrive. */
  showPosteriors(frame: PosteriorView): void {
    const first = this.#pending === null;
    this.#pending = frame;
    if (first) requestAnimationFrame(() => this.#drawPosteriors());
  }

  #drawPosteriors(): void {
    const frame = this.#pending;
    this.#pending = null;
    if (!frame) return;
    for (let i = 0; i < this.#barFills.length; i++) {
      const p = frame.smoothed[i] ?? 0;
      this.#barFills[i]!.style.width = `${(p * 100).toFixed(1)}%`;
      this.#barValues[i]!.textContent = p.toFixed(2);
    }
  }

  showLevel(rms: number): void {
    const db = rms > 0 ? 20 * Math.log10(rms) : -100;
    const fraction = Math.min(1, Math.max(0, (db + 60) / 60));
    this.#level.style.width = `${(fraction * 100).toFixed(0)}%`;
    this.#levelText.textContent = `${db <= -100 ? '-inf' : db.toFixed(0)} dBFS`;
  }

  showDetection(detection: ShownDetection): void {
    this.#command.textContent = detection.label;
    this.#command.classList.add('hit');
    this.#commandMeta.textContent = `score ${detection.score.toFixed(2)} · at ${detection.firedAtSeconds.toFixed(2)} s · latency …`;
    clearTimeout(this.#clearTimer);
    this.#clearTimer = setTimeout(() => this.#command.classList.remove('hit'), COMMAND_HOLD_MS);
    const item = document.createElement('li');
    item.dataset.label = detection.label;
    item.dataset.fired = detection.firedAtSeconds.toFixed(3);
    const label = document.createElement('strong');
    label.textContent = detection.label;
    const meta = document.createElement('span');
    meta.textContent = `${detection.startSeconds.toFixed(2)}–${detection.endSeconds.toFixed(2)} s · score ${detection.score.toFixed(2)} · …`;
    item.append(label, meta);
    this.#log.prepend(item);
  }

  /** Sets the latency of the newest detection once the display has been updated. */
  updateLatestLatency(latencyMs: number): void {
    const text = Number.isFinite(latencyMs) ? `${latencyMs.toFixed(0)} ms` : 'n/a';
    this.#commandMeta.textContent = this.#commandMeta.textContent!.replace(/latency .*$/, `latency ${text}`);
    const latest = this.#log.firstElementChild?.querySelector('span');
    if (latest) latest.textContent = latest.textContent!.replace(/[^·]*$/, ` ${text}`);
    this.#log.firstElementChild?.setAttribute('data-latency-ms', Number.isFinite(latencyMs) ? latencyMs.toFixed(1) : '');
  }

  reset(): void {
    this.#command.textContent = '—';
    this.#command.classList.remove('hit');
    this.#commandMeta.textContent = 'say a keyword';
    this.#log.replaceChildren();
    this.showLevel(0);
  }
}
