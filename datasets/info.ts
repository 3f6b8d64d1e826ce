/** What a dataset holds, as plain data (for manifests) and as a readable table (for people). */
import type { Dataset, Split } from './types.js';

const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

export type SplitCounts = Record<Split | 'total', number>;

export interface DatasetSummary {
  root: string;
  task: string;
  splitMethod: Dataset['splitMethod'];
  total: SplitCounts;
  /** Clips per label and split, in the task's label order. */
  labels: ({ label: string } & SplitCounts)[];
  /** Distinct speakers per split (clips without a speaker are not counted). */
  speakers: SplitCounts;
  /** Speakers found in more than one split (0 for a speaker-hash split). */
  speakersInSeveralSplits: number;
  /** Clips per source ('speech_commands_v0.01_mini', 'synth:espeak', 'noise', ...). */
  sources: Record<string, number>;
  /** Silence clips that are slices of noise recordings. */
  noiseSlices: number;
  noiseFiles: number;
}

const zero = (): SplitCounts => ({ train: 0, validation: 0, test: 0, total: 0 });

export function datasetSummary(ds: Dataset): DatasetSummary {
  const total = zero();
  const perLabel = new Map<string, SplitCounts>(ds.labels.map((l) => [l, zero()]));
  const speakerSplits = new Map<string, Set<Split>>();
  const sources: Record<string, number> = {};
  let noiseSlices = 0;
  for (const item of ds.items) {
    total[item.split]++;
    total.total++;
    let counts = perLabel.get(item.label);
    if (!counts) perLabel.set(item.label, (counts = zero()));
    counts[item.split]++;
    counts.total++;
    if (item.speaker !== null) {
      const splits = speakerSplits.get(item.speaker) ?? new Set<Split>();
      splits.add(item.split);
      speakerSplits.set(item.speaker, splits);
    }
    sources[item.source] = (sources[item.source] ?? 0) + 1;
    if (item.slice) noiseSlices++;
  }
  const speakers = zero();
  let speakersInSeveralSplits = 0;
  for (const splits of speakerSplits.values()) {
    for (const s of splits) speakers[s]++;
    speakers.total++;
    if (splits.size > 1) speakersInSeveralSplits++;
  }
  const sortedSources = Object.fromEntries(Object.entries(sources).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    root: ds.root,
    task: ds.task,
    splitMethod: ds.splitMethod,
    total,
    labels: [...perLabel].map(([label, counts]) => ({ label, ...counts })),
    speakers,
    speakersInSeveralSplits,
    sources: sortedSources,
    noiseSlices,
    noiseFiles: ds.noiseFiles.length,
  };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const countCells = (c: SplitCounts): string[] => [...SPLITS, 'total' as const].map((s) => String(c[s]));

export function describeDataset(ds: Dataset): string {
  const s = datasetSummary(ds);
  const header = ['', ...SPLITS, 'total'];
  const rows = [
    ...s.labels.map((l) => [l.label, ...countCells(l)]),
    ['all clips', ...countCells(s.total)],
    ['speakers', ...countCells(s.speakers)],
  ];
  const lines = [
    `dataset ${s.root} (task ${s.task}, split by ${s.splitMethod})`,
    table(header, rows),
    `sources: ${Object.entries(s.sources).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    `noise files: ${s.noiseFiles}; silence slices cut from them: ${s.noiseSlices}`,
    `speakers in more than one split: ${s.speakersInSeveralSplits}`,
  ];
  return lines.join('\n');
}
