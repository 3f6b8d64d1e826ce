/** Renders recognition results as an aligned terminal table, JSON lines, or CSV. */

export type OutputFormat = 'table' | 'jsonl' | 'csv';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'jsonl', 'csv'];

/** One input file's outcome: a label and score, or the error that stopped it. */
export interface ResultRow {
  file: string;
  label: string | null;
  score: number | null;
  /** The best `top` labels with their scores, best first (only when asked for). */
  top?: { label: string; score: number }[];
  error: string | null;
}

function scoreText(score: number | null): string {
  return score === null ? '' : score.toFixed(4);
}

function topText(top: ResultRow['top']): string {
  return (top ?? []).map((t) => `${t.label}:${t.score.toFixed(4)}`).join(' ');
}

/** Quotes a CSV field when it holds a comma, quote, or line break (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatCsv(rows: readonly ResultRow[], withTop: boolean): string {
  const header = ['file', 'label', 'score', ...(withTop ? ['top'] : []), 'error'];
  const lines = [header.join(',')];
  for (const row of rows) {
    const fields = [row.file, row.label ?? '', scoreText(row.score), ...(withTop ? [topText(row.top)] : []), row.error ?? ''];
    lines.push(fields.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

export function formatJsonl(rows: readonly ResultRow[], withTop: boolean): string {
  return rows
    .map((row) => {
      const out: Record<string, unknown> = { file: row.file, label: row.label, score: row.score };
      if (withTop) out.top = row.top ?? [];
      out.error = row.error;
      return JSON.stringify(out) + '\n';
    })
    .join('');
}

/** Terminal output: padded columns; error messages go last so long ones do not break alignment. */
export function formatTable(rows: readonly ResultRow[], withTop: boolean): string {
  const header = ['FILE', 'LABEL', 'SCORE', ...(withTop ? ['TOP'] : []), 'ERROR'];
  // Line breaks inside a cell would break the table; show them as spaces.
  const flat = (s: string): string => s.replace(/[\r\n]+/g, ' ');
  const body = rows.map((row) => [
    flat(row.file),
    flat(row.label ?? '-'),
    row.score === null ? '-' : scoreText(row.score),
    ...(withTop ? [topText(row.top)] : []),
    flat(row.error ?? ''),
  ]);
  const all = [header, ...body];
  const widths = header.map((_, c) => all.reduce((w, r) => Math.max(w, r[c]!.length), 0));
  const last = header.length - 1;
  return (
    all
      .map((r) =>
        r
          .map((cell, c) => (c === last ? cell : c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function formatRows(rows: readonly ResultRow[], format: OutputFormat, withTop = false): string {
  switch (format) {
    case 'table':
      return formatTable(rows, withTop);
    case 'jsonl':
      return formatJsonl(rows, withTop);
    case 'csv':
      return formatCsv(rows, withTop);
    default:
      throw new RangeError(`format must be one of ${OUTPUT_FORMATS.join(', ')}, got '${String(format)}'`);
  }
}
