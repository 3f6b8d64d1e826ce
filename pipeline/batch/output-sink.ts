/**
 * Where a batch run's rows go: a resumable results file (--out, CSV or JSONL, appended and fsync'ed
 * per write) or a text stream (stdout: table, JSONL or CSV, nothing kept in memory).
 */
import { extname } from 'node:path';
import { formatBody, formatHeader, OUTPUT_FORMATS, StreamingTable, type ColumnOptions, type OutputFormat, type ResultRow } from '../output-format.js';
import { readResumeState, ResultLog, type ResumeState } from './result-log.js';

export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * The format when none is given: from the --out extension (.csv is CSV, anything else JSONL), else
 * a table on a terminal and JSONL when stdout is piped.
 */
export function chooseFormat(format: OutputFormat | undefined, out: string | undefined, stdout: TextSink): OutputFormat {
  if (format !== undefined) {
    if (!OUTPUT_FORMATS.includes(format)) throw new RangeError(`format must be one of ${OUTPUT_FORMATS.join(', ')}, got '${String(format)}'`);
    if (format === 'table' && out !== undefined) throw new RangeError(`format 'table' cannot be written to --out ${out} (it is not resumable); use jsonl or csv`);
    return format;
  }
  if (out !== undefined) return extname(out).toLowerCase() === '.csv' ? 'csv' : 'jsonl';
  return stdout.isTTY ? 'table' : 'jsonl';
}

export interface RowSink {
  /** Keys already written by an earlier run of the same --out (empty for stdout). */
  readonly resumed: ResumeState;
  write(rows: readonly ResultRow[]): Promise<void>;
  close(): Promise<void>;
}

/** Opens the sink: for --out, reads back finished files, repairs a torn end, and appends. */
export async function openRowSink(format: OutputFormat, columns: ColumnOptions, out: string | undefined, stdout: TextSink): Promise<RowSink> {
  if (out !== undefined) {
    if (format === 'table') throw new RangeError(`format 'table' cannot be written to --out ${out}; use jsonl or csv`);
    const resumed = await readResumeState(out, format, columns);
    const log = await ResultLog.open(out, format, columns, resumed);
    return {
      resumed,
      write: (rows) => log.commit(log.format(rows)),
      close: () => log.close(),
    };
  }
  const resumed: ResumeState = { done: new Set(), failed: 0, repairedBytes: 0, hasHeader: false };
  const table = format === 'table' ? new StreamingTable(columns) : null;
  let started = false;
  return {
    resumed,
    async write(rows) {
      if (table !== null) {
        if (rows.length > 0) stdout.write(table.format(rows));
        started ||= rows.length > 0;
        return;
      }
      const fmt = format as 'csv' | 'jsonl';
      const head = started ? '' : formatHeader(fmt, columns);
      started = true;
      stdout.write(head + formatBody(rows, fmt, columns));
    },
    async close() {
      // A table or CSV with no rows still shows its header.
      if (!started && table !== null) stdout.write(table.format([]));
      else if (!started && format === 'csv') stdout.write(formatHeader('csv', columns));
    },
  };
}

/** Output settings shared by every batch command (in-process and queue mode). */
export interface BatchOutputOptions {
  format?: OutputFormat;
  out?: string;
  /** Extra best labels per row (0 = none). */
  top?: number;
  stdout?: TextSink;
  stderr?: TextSink;
}

export interface BatchOutput {
  format: OutputFormat;
  out: string | undefined;
  top: number;
  stdout: TextSink;
  stderr: TextSink;
}

/** Defaults and checks of the shared output settings. */
export function resolveBatchOutput(options: BatchOutputOptions): BatchOutput {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const top = options.top ?? 0;
  if (!Number.isInteger(top) || top < 0) throw new RangeError(`top must be a non-negative integer, got ${String(top)}`);
  return { format: chooseFormat(options.format, options.out, stdout), out: options.out, top, stdout, stderr };
}

/** Columns of every batch output; --out files add key/part/parts (ResultLog). */
export const batchColumns = (top: number): ColumnOptions => ({ times: true, top: top > 0, warning: true });

/** Opens the batch sink; a torn end cut from an earlier interrupted --out is reported on stderr. */
export async function openBatchSink(output: BatchOutput): Promise<RowSink> {
  const sink = await openRowSink(output.format, batchColumns(output.top), output.out, output.stdout);
  if (sink.resumed.repairedBytes > 0) output.stderr.write(`${output.out}: cut ${sink.resumed.repairedBytes} bytes of an interrupted write from the end\n`);
  return sink;
}
