/**
 * Self-contained report pictures: HTML pages with inline SVG and inline CSS only (no scripts, no
 * CDNs), so a report folder can be opened offline or attached to an issue as it is.
 */

/** Escapes text for HTML/SVG element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A standalone HTML page: the title as heading, then `body` (charts). */
export function htmlPage(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}svg text{font-family:system-ui,sans-serif}</style>',
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Formats a number for axis ticks and labels without long float tails. */
function tickText(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e4 || abs < 1e-3) return value.toExponential(1);
  return Number(value.toPrecision(3)).toString();
}

/** White -> blue ramp; `t` in [0, 1]. */
function heatColor(t: number): string {
  const clamped = Math.min(1, Math.max(0, t));
  const r = Math.round(255 - clamped * (255 - 8));
  const g = Math.round(255 - clamped * (255 - 69));
  const b = Math.round(255 - clamped * (255 - 148));
  return `rgb(${r},${g},${b})`;
}

/**
 * Confusion matrix heat map as an SVG element. `matrix[t][p]` counts clips of true label `t`
 * predicted as `p`. Colour is the row-normalised rate, so rare classes are as readable as common ones.
 */
export function confusionMatrixSvg(labels: readonly string[], matrix: readonly (readonly number[])[]): string {
  const n = labels.length;
  if (matrix.length !== n || matrix.some((row) => row.length !== n)) {
    throw new RangeError(`confusion matrix must be ${n}x${n} to match ${n} labels, got ${matrix.length} rows`);
  }
  const cell = n > 20 ? 24 : 40;
  const longest = labels.reduce((m, l) => Math.max(m, l.length), 0);
  const margin = 30 + Math.min(200, longest * 7);
  const size = margin + n * cell + 20;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="confusion matrix">`,
  );
  // Axis titles.
  parts.push(`<text x="${margin + (n * cell) / 2}" y="14" text-anchor="middle" font-size="13" font-weight="bold">predicted</text>`);
  parts.push(
    `<text x="14" y="${margin + (n * cell) / 2}" text-anchor="middle" font-size="13" font-weight="bold" transform="rotate(-90 14 ${margin + (n * cell) / 2})">true</text>`,
  );
  const fontSize = cell >= 40 ? 11 : 9;
  for (let i = 0; i < n; i++) {
    const label = escapeHtml(labels[i]!);
    const cx = margin + i * cell + cell / 2;
    parts.push(
      `<text x="${cx}" y="${margin - 6}" font-size="${fontSize}" text-anchor="start" transform="rotate(-60 ${cx} ${margin - 6})">${label}</text>`,
    );
    parts.push(`<text x="${margin - 6}" y="${margin + i * cell + cell / 2 + 4}" font-size="${fontSize}" text-anchor="end">${label}</text>`);
  }
  for (let t = 0; t < n; t++) {
    const row = matrix[t]!;
    const rowTotal = row.reduce((a, b) => a + b, 0);
    for (let p = 0; p < n; p++) {
      const count = row[p]!;
      const rate = rowTotal > 0 ? count / rowTotal : 0;
      const x = margin + p * cell;
      const y = margin + t * cell;
      const title = `${labels[t]} -> ${labels[p]}: ${count}${rowTotal > 0 ? ` (${(100 * rate).toFixed(1)}% of ${labels[t]})` : ''}`;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${heatColor(rate)}" stroke="${t === p ? '#333' : '#ddd'}"><title>${escapeHtml(title)}</title></rect>`,
      );
      if (count > 0) {
        parts.push(
          `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" font-size="${fontSize}" text-anchor="middle" fill="${rate > 0.55 ? '#fff' : '#222'}">${count}</text>`,
        );
      }
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** A whole HTML page with the confusion matrix heat map. */
export function confusionMatrixHtml(labels: readonly string[], matrix: readonly (readonly number[])[], title: string): string {
  const total = matrix.reduce((a, row) => a + row.reduce((b, c) => b + c, 0), 0);
  const correct = matrix.reduce((a, row, i) => a + (row[i] ?? 0), 0);
  const summary = `<p>${total} clips, ${correct} correct (${total > 0 ? ((100 * correct) / total).toFixed(2) : '0.00'}%). Rows: true label; columns: predicted label; colour: share of the row.</p>`;
  return htmlPage(title, `${summary}\n${confusionMatrixSvg(labels, matrix)}`);
}

export interface ChartSeries {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface ChartAxes {
  x: string;
  y: string;
  /** Logarithmic axes (DET curves); non-positive values are dropped from a log axis. */
  logX?: boolean;
  logY?: boolean;
}

const SERIES_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

interface AxisScale {
  toPixel(v: number): number;
  ticks: number[];
}

function makeScale(values: number[], log: boolean, pixelFrom: number, pixelTo: number): AxisScale {
  // A loop, not Math.min(...values): DET curves can have more points than the argument limit.
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (values.length === 0) {
    lo = log ? 1 : 0;
    hi = log ? 10 : 1;
  }
  if (log) {
    lo = Math.floor(Math.log10(lo));
    hi = Math.ceil(Math.log10(hi));
    if (hi === lo) hi = lo + 1;
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
    return {
      toPixel: (v) => pixelFrom + ((Math.log10(v) - lo) / (hi - lo)) * (pixelTo - pixelFrom),
      ticks,
    };
  }
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const rawStep = (hi - lo) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rawStep) ?? rawStep;
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= end + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return {
    toPixel: (v) => pixelFrom + ((v - start) / (end - start)) * (pixelTo - pixelFrom),
    ticks,
  };
}

/** Line chart of one or more series as an SVG element. */
export function lineChartSvg(series: readonly ChartSeries[], axes: ChartAxes): string {
  const height = 420;
  const left = 70;
  // Room for the legend: ~7 px per character of the longest series name at 12 px.
  const right = Math.max(170, 50 + 7 * Math.max(0, ...series.map((s) => s.name.length)));
  const width = 550 + right;
  const top = 20;
  const bottom = 50;
  const keep = (p: readonly [number, number]): boolean =>
    Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!axes.logX || p[0] > 0) && (!axes.logY || p[1] > 0);
  const cleaned = series.map((s) => ({ name: s.name, points: s.points.filter(keep) }));
  const xs = cleaned.flatMap((s) => s.points.map((p) => p[0]));
  const ys = cleaned.flatMap((s) => s.points.map((p) => p[1]));
  const xScale = makeScale(xs, axes.logX ?? false, left, width - right);
  const yScale = makeScale(ys, axes.logY ?? false, height - bottom, top);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="line chart">`);
  parts.push(`<rect x="${left}" y="${top}" width="${width - left - right}" height="${height - top - bottom}" fill="none" stroke="#999"/>`);
  for (const t of xScale.ticks) {
    const x = xScale.toPixel(t).toFixed(1);
    parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${height - bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${height - bottom + 16}" font-size="11" text-anchor="middle">${escapeHtml(tickText(t))}</text>`);
  }
  for (const t of yScale.ticks) {
    const y = yScale.toPixel(t).toFixed(1);
    parts.push(`<line x1="${left}" y1="${y}" x2="${width - right}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${(Number(y) + 4).toFixed(1)}" font-size="11" text-anchor="end">${escapeHtml(tickText(t))}</text>`);
  }
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 10}" font-size="13" text-anchor="middle">${escapeHtml(axes.x)}</text>`);
  const yMid = (top + height - bottom) / 2;
  parts.push(`<text x="16" y="${yMid}" font-size="13" text-anchor="middle" transform="rotate(-90 16 ${yMid})">${escapeHtml(axes.y)}</text>`);
  cleaned.forEach((s, i) => {
    const color = SERIES_COLORS[i % SERIES_COLORS.length]!;
    if (s.points.length > 0) {
      const path = s.points.map((p) => `${xScale.toPixel(p[0]).toFixed(1)},${yScale.toPixel(p[1]).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"><title>${escapeHtml(s.name)}</title></polyline>`);
      // Few points are measurements worth marking (learning curves); many points are a curve (DET).
      if (s.points.length <= 20) {
        for (const [px, py] of s.points) {
          parts.push(`<circle cx="${xScale.toPixel(px).toFixed(1)}" cy="${yScale.toPixel(py).toFixed(1)}" r="3" fill="${color}"><title>${escapeHtml(`${s.name}: ${tickText(px)}, ${tickText(py)}`)}</title></circle>`);
        }
      }
    }
    const ly = top + 10 + i * 18;
    parts.push(`<line x1="${width - right + 12}" y1="${ly}" x2="${width - right + 32}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${width - right + 38}" y="${ly + 4}" font-size="12">${escapeHtml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** A whole HTML page with one line chart (training curves, DET curves). */
export function lineChartHtml(title: string, series: readonly ChartSeries[], axes: ChartAxes): string {
  return htmlPage(title, lineChartSvg(series, axes));
}
