/**
 * Renders recognition results as an aligned terminal table, JSON lines, or CSV, either all at once
 * (formatRows) or as a stream of chunks (formatHeader + formatBody, StreamingTable).
 */

export type OutputFormat = 'table' | 'jsonl' | 'csv';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'jsonl', 'csv'];

/**
 * One output row: a clip's label and score, one detection in a long recording, or the error that
 * stopped a file. A file gives `parts` rows (1 for a clip, one per detection for a long recording,
 * at least 1), numbered `part` = 1..parts, always written together.
 */
export interface ResultRow {
  file: string;
  label: string | null;
  score: number | null;
  /** Detection start and end in seconds (long recordings only; null for a clip or an error). */
  start?: number | null;
  end?: number | null;
  /** The best `top` labels with their scores, best first (only when asked for). */
  top?: { label: string; score: number }[];
  error: string | null;
  /** Why the label should not be trusted though recognition ran (a clip too short or beyond full scale). */
  warning?: string | null;
  /** Identity of the file's content: hash of resolved path, size and mtime (see batch/file-key.ts). */
  key?: string;
  part?: number;
  parts?: number;
}

/** Optional column groups; the defaults give file, label, score, error. */
export interface ColumnOptions {
  /** A `top` column. */
  top?: boolean;
  /** `start` and `end` columns (seconds). */
  times?: boolean;
  /** A `warning` column after `error`. */
  warning?: boolean;
  /** `key`, `part` and `parts` columns, which make an output file resumable. */
  key?: boolean;
}

function scoreText(score: number | null): string {
  return score === null ? '' : score.toFixed(4);
}

function secondsText(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : value.toFixed(3);
}

function roundMs(value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : Math.round(value * 1000) / 1000;
}

function topText(top: ResultRow['top']): string {
  return (top ?? []).map((t) => `${t.label}:${t.score.toFixed(4)}`).join(' ');
}

function asColumns(options: boolean | ColumnOptions | undefined): ColumnOptions {
  return typeof options === 'boolean' ? { top: options } : (options ?? {});
}

/** Quotes a CSV field when it holds a comma, quote, or line break (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** CSV column names in order for these options. */
export function csvColumns(options: ColumnOptions = {}): string[] {
  return [
    'file',
    'label',
    'score',
    ...(options.times ? ['start', 'end'] : []),
    ...(options.top ? ['top'] : []),
    'error',
    ...(options.warning ? ['warning'] : []),
    ...(options.key ? ['key', 'part', 'parts'] : []),
  ];
}

function csvRecord(row: ResultRow, options: ColumnOptions): string {
  const fields = [
    row.file,
    row.label ?? '',
    scoreText(row.score),
    ...(options.times ? [secondsText(row.start), secondsText(row.end)] : []),
    ...(options.top ? [topText(row.top)] : []),
    row.error ?? '',
    ...(options.warning ? [row.warning ?? ''] : []),
    ...(options.key ? [row.key ?? '', String(row.part ?? 1), String(row.parts ?? 1)] : []),
  ];
  return fields.map(csvField).join(',') + '\r\n';
}

function jsonRecord(row: ResultRow, options: ColumnOptions): string {
  const out: Record<string, unknown> = { file: row.file, label: row.label, score: row.score };
  if (options.times) {
    out.start = roundMs(row.start);
    out.end = roundMs(row.end);
  }
  if (options.top) out.top = row.top ?? [];
  out.error = row.error;
  if (options.warning) out.warning = row.warning ?? null;
  if (options.key) {
    out.key = row.key ?? null;
    out.part = row.part ?? 1;
    out.parts = row.parts ?? 1;
  }
  return JSON.stringify(out) + '\n';
}

/** What goes before the first row: the CSV header line, nothing for JSONL. */
export function formatHeader(format: 'csv' | 'jsonl', options: ColumnOptions = {}): string {
  return format === 'csv' ? csvColumns(options).join(',') + '\r\n' : '';
}

/** Rows only (no header), for appending to a CSV or JSONL output. */
export function formatBody(rows: readonly ResultRow[], format: 'csv' | 'jsonl', options: ColumnOptions = {}): string {
  const record = format === 'csv' ? csvRecord : jsonRecord;
  let text = '';
  for (const row of rows) text += record(row, options);
  return text;
}

export function formatCsv(rows: readonly ResultRow[], options: boolean | ColumnOptions = {}): string {
  const columns = asColumns(options);
  return formatHeader('csv', columns) + formatBody(rows, 'csv', columns);
}

export function formatJsonl(rows: readonly ResultRow[], options: boolean | ColumnOptions = {}): string {
  return formatBody(rows, 'jsonl', asColumns(options));
}

function tableHeader(options: ColumnOptions): string[] {
  return ['FILE', 'LABEL', 'SCORE', ...(options.times ? ['START', 'END'] : []), ...(options.top ? ['TOP'] : []), 'ERROR'];
}

function tableCells(row: ResultRow, options: ColumnOptions): string[] {
  // Line breaks inside a cell would break the table; show them as spaces.
  const flat = (s: string): string => s.replace(/[\r\n]+/g, ' ');
  return [
    flat(row.file),
    flat(row.label ?? '-'),
    row.score === null ? '-' : scoreText(row.score),
    ...(options.times ? [secondsText(row.start), secondsText(row.end)] : []),
    ...(options.top ? [topText(row.top)] : []),
    flat(row.error ?? (options.warning && row.warning ? `warning: ${row.warning}` : '')),
  ];
}

/** Numeric columns are right-aligned; the error goes last so long messages do not break alignment. */
function tableLines(cells: string[][], widths: number[], numeric: Set<number>): string {
  const last = widths.length - 1;
  return cells
    .map((r) =>
      r
        .map((cell, c) => (c === last ? cell : numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => line + '\n')
    .join('');
}

function numericColumns(options: ColumnOptions): Set<number> {
  return new Set(options.times ? [2, 3, 4] : [2]);
}

/** Terminal output: padded columns; error messages go last so long ones do not break alignment. */
export function formatTable(rows: readonly ResultRow[], options: boolean | ColumnOptions = {}): string {
  const columns = asColumns(options);
  const all = [tableHeader(columns), ...rows.map((row) => tableCells(row, columns))];
  const widths = all[0]!.map((_, c) => all.reduce((w, r) => Math.max(w, r[c]!.length), 0));
  return tableLines(all, widths, numericColumns(columns));
}

/**
 * A table printed chunk by chunk (for runs too long to hold in memory): the header comes with the
 * first chunk, and column widths only grow, so later chunks stay aligned with earlier ones unless a
 * cell is wider than anything seen before.
 */
export class StreamingTable {
  readonly #options: ColumnOptions;
  readonly #widths: number[];
  #started = false;

  constructor(options: ColumnOptions = {}) {
    this.#options = options;
    this.#widths = tableHeader(options).map((h) => h.length);
  }

  format(rows: readonly ResultRow[]): string {
    const cells = rows.map((row) => tableCells(row, this.#options));
    const all = this.#started ? cells : [tableHeader(this.#options), ...cells];
    this.#started = true;
    for (const r of all) r.forEach((cell, c) => (this.#widths[c] = Math.max(this.#widths[c]!, cell.length)));
    return tableLines(all, this.#widths, numericColumns(this.#options));
  }
}

export function formatRows(rows: readonly ResultRow[], format: OutputFormat, options: boolean | ColumnOptions = false): string {
  switch (format) {
    case 'table':
      return formatTable(rows, options);
    case 'jsonl':
      return formatJsonl(rows, options);
    case 'csv':
      return formatCsv(rows, options);
    default:
      throw new RangeError(`format must be one of ${OUTPUT_FORMATS.join(', ')}, got '${String(format)}'`);
  }
}
