/** Training curves (loss and accuracy per epoch) as one self-contained HTML page. */
import { lineChartSvg, escapeHtml } from '../util/charts.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { EpochRecord } from './checkpoint.js';

/** A run without validation clips has no validation series to draw. */
function hasPoints(series: { points: [number, number][] }): boolean {
  return series.points.some(([, y]) => Number.isFinite(y));
}

export function trainingCurvesHtml(history: readonly EpochRecord[]): string {
  const points = (pick: (r: EpochRecord) => number | undefined): [number, number][] => history.map((r) => [r.epoch, pick(r) ?? NaN]);
  const cell = (value: number | undefined, text: (v: number) => string): string => (value === undefined ? '–' : text(value));
  const loss = lineChartSvg(
    [
      { name: 'train loss', points: points((r) => r.trainLoss) },
      { name: 'validation loss', points: points((r) => r.validationLoss) },
    ].filter(hasPoints),
    { x: 'epoch', y: 'cross-entropy' },
  );
  const accuracy = lineChartSvg(
    [
      { name: 'train accuracy', points: points((r) => 100 * r.trainAccuracy) },
      { name: 'validation accuracy', points: points((r) => (r.validationAccuracy === undefined ? undefined : 100 * r.validationAccuracy)) },
    ].filter(hasPoints),
    { x: 'epoch', y: 'accuracy (%)' },
  );
  const rows = history
    .map((r) => `<tr><td>${r.epoch}</td><td>${r.trainLoss.toFixed(4)}</td><td>${(100 * r.trainAccuracy).toFixed(2)}</td><td>${cell(r.validationLoss, (v) => v.toFixed(4))}</td><td>${cell(r.validationAccuracy, (v) => (100 * v).toFixed(2))}</td><td>${r.learningRate.toExponential(2)}</td><td>${r.seconds.toFixed(1)}</td></tr>`)
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml('kws training curves')}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style></head>
<body><h1>Training curves</h1><h2>Loss</h2>${loss}<h2>Accuracy</h2>${accuracy}
<h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>train acc %</th><th>val loss</th><th>val acc %</th><th>learning rate</th><th>seconds</th></tr>${rows}</table></body></html>\n`;
}

export async function writeTrainingCurves(path: string, history: readonly EpochRecord[]): Promise<void> {
  await writeFileAtomic(path, trainingCurvesHtml(history));
}
