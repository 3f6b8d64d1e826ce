/**
 * A resumable results file (CSV or JSONL with key/part/parts columns). Its first line is written
 * and fsync'ed before any row: the CSV header, or for JSONL a marker object naming the columns
 * (`{"kws":"transcribe results","version":1,"columns":[…]}`). Rows are appended as complete lines
 * and fsync'ed at batch boundaries, all rows of one file in one write. On reopening, the keys of
 * fully written files are read back so they can be skipped; anything after the last complete file
 * (a torn line from a kill, or a file whose later rows never made it) is cut off — but only in a
 * file that starts with that first line: any other file is refused untouched.
 */
import { createReadStream } from 'node:fs';
import { open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { formatBody, formatHeader, csvColumns, type ColumnOptions, type ResultRow } from '../output-format.js';

export type LogFormat = 'csv' | 'jsonl';

export const JSONL_MARKER_KIND = 'transcribe results';
export const RESULT_LOG_VERSION = 1;

/** The first line of a results file of this layout (without its line break). */
export function headerLine(format: LogFormat, columns: ColumnOptions): string {
  const names = csvColumns({ ...columns, key: true });
  return format === 'csv' ? names.join(',') : JSON.stringify({ kws: JSONL_MARKER_KIND, version: RESULT_LOG_VERSION, columns: names });
}

function isJsonlMarker(text: string): boolean {
  try {
    const value = JSON.parse(text) as { kws?: unknown };
    return value !== null && typeof value === 'object' && value.kws === JSONL_MARKER_KIND;
  } catch {
    return false;
  }
}

/** The results file exists but cannot be resumed (another layout, or damage before its end). */
export class ResultLogError extends Error {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'ResultLogError';
    this.file = file;
  }
}

interface ParsedRecord {
  key: string;
  part: number;
  parts: number;
  error: boolean;
  /** Byte offset just past the record's line break. */
  end: number;
}

/** Splits one CSV record (no trailing line break) into fields, RFC 4180. */
export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/**
 * Yields each complete record (ending in a line break outside quotes) with its byte end offset;
 * a trailing fragment without a line break is not yielded. Reads in chunks, so memory stays flat.
 */
async function* records(path: string, csv: boolean): AsyncGenerator<{ text: string; end: number }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let offset = 0;
  let quoted = false;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (csv && byte === 0x22) quoted = !quoted;
      else if (byte === 0x0a && !quoted) {
        const piece = chunk.subarray(start, i + 1);
        const whole = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
        offset += pendingBytes + piece.length;
        pending = [];
        pendingBytes = 0;
        start = i + 1;
        yield { text: whole.toString('utf8').replace(/\r?\n$/, ''), end: offset };
      }
    }
    if (start < chunk.length) {
      pending.push(Buffer.from(chunk.subarray(start)));
      pendingBytes += chunk.length - start;
    }
  }
}

function parseRecord(text: string, csv: boolean, columns: string[]): Omit<ParsedRecord, 'end'> | null {
  if (csv) {
    const fields = parseCsvRecord(text);
    if (fields.length !== columns.length) return null;
    const get = (name: string): string => fields[columns.indexOf(name)]!;
    const part = Number(get('part'));
    const parts = Number(get('parts'));
    if (get('key') === '' || !Number.isInteger(part) || !Number.isInteger(parts)) return null;
    return { key: get('key'), part, parts, error: get('error') !== '' };
  }
  try {
    const value = JSON.parse(text) as { key?: unknown; part?: unknown; parts?: unknown; error?: unknown };
    if (typeof value.key !== 'string' || !Number.isInteger(value.part) || !Number.isInteger(value.parts)) return null;
    return { key: value.key, part: value.part as number, parts: value.parts as number, error: value.error !== null && value.error !== undefined };
  } catch {
    return null;
  }
}

export interface ResumeState {
  /** Keys of files whose rows are all in the file. */
  done: Set<string>;
  /** Files among them that were reported with an error. */
  failed: number;
  /** Bytes cut from the end (a torn line or an incomplete file's rows). */
  repairedBytes: number;
  /** Whether the file already holds its header (CSV) or any row. */
  hasHeader: boolean;
}

/**
 * Reads an existing results file for resuming and cuts it back to its last complete file.
 * A record that does not parse is accepted only at the very end (torn by a kill); earlier it means
 * the file is not ours, and a ResultLogError says so rather than appending to it.
 */
export async function readResumeState(path: string, format: LogFormat, columns: ColumnOptions): Promise<ResumeState> {
  const state: ResumeState = { done: new Set(), failed: 0, repairedBytes: 0, hasHeader: false };
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new ResultLogError(path, 'is a directory; --out needs a file name (e.g. results.jsonl or results.csv)');
    if (!info.isFile()) throw new ResultLogError(path, 'is not a regular file; --out needs a file kws can append to and reread');
    size = info.size;
  } catch (err) {
    if (err instanceof ResultLogError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return state;
    throw new ResultLogError(path, `cannot read the existing results (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (size === 0) return state;
  const csv = format === 'csv';
  const names = csvColumns({ ...columns, key: true });
  const header = headerLine(format, columns);
  let safeEnd = 0;
  let bad: { text: string; end: number } | null = null;
  let groupKey: string | null = null;
  let groupError = false;
  let first = true;
  for await (const record of records(path, csv)) {
    if (bad !== null) throw new ResultLogError(path, `line ending at byte ${bad.end} is not a ${format} results row of this run's layout (${JSON.stringify(bad.text.slice(0, 80))}); use a new --out file`);
    if (first) {
      first = false;
      if (record.text !== header) {
        const ours = csv ? record.text.startsWith('file,label,score') : isJsonlMarker(record.text);
        if (ours) throw new ResultLogError(path, `its header '${record.text.slice(0, 160)}' differs from this run's '${header}' (another --top or format?); use a new --out file`);
        throw new ResultLogError(path, `is not a kws results file (its first line is ${JSON.stringify(record.text.slice(0, 80))}, not kws's ${format} header); it was left untouched: use a new --out file`);
      }
      state.hasHeader = true;
      safeEnd = record.end;
      continue;
    }
    const parsed = parseRecord(record.text, csv, names);
    if (parsed === null) {
      bad = record;
      continue;
    }
    if (parsed.part === 1) {
      groupKey = parsed.key;
      groupError = false;
    }
    if (parsed.key !== groupKey) {
      bad = record;
      continue;
    }
    groupError ||= parsed.error;
    if (parsed.part === parsed.parts) {
      state.done.add(parsed.key);
      if (groupError) state.failed++;
      safeEnd = record.end;
      groupKey = null;
    }
  }
  if (!state.hasHeader) {
    throw new ResultLogError(path, `is not a kws results file (${size} bytes without kws's ${format} header line); it was left untouched: use a new --out file`);
  }
  if (safeEnd < size) {
    await truncate(path, safeEnd);
    state.repairedBytes = size - safeEnd;
  }
  return state;
}

/** Appends formatted rows; `commit` writes what was added since the last commit and fsyncs. */
export class ResultLog {
  readonly path: string;
  readonly #handle: FileHandle;
  readonly #format: LogFormat;
  readonly #columns: ColumnOptions;

  private constructor(path: string, handle: FileHandle, format: LogFormat, columns: ColumnOptions) {
    this.path = path;
    this.#handle = handle;
    this.#format = format;
    this.#columns = columns;
  }

  /** Opens `path` for appending after readResumeState; writes the header line when it is new. */
  static async open(path: string, format: LogFormat, columns: ColumnOptions, resume: ResumeState): Promise<ResultLog> {
    const cols = { ...columns, key: true };
    let handle: FileHandle;
    try {
      handle = await open(path, 'a');
    } catch (err) {
      throw new ResultLogError(path, `cannot open for appending (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    const log = new ResultLog(path, handle, format, cols);
    if (!resume.hasHeader) await log.commit(headerLine(format, columns) + (format === 'csv' ? '\r\n' : '\n'));
    return log;
  }

  /** The text for these rows (every file's rows must be complete and together). */
  format(rows: readonly ResultRow[]): string {
    return formatBody(rows, this.#format, this.#columns);
  }

  /** Appends complete lines and flushes them to disk, so a kill afterwards loses none of them. */
  async commit(text: string): Promise<void> {
    if (text.length === 0) return;
    await this.#handle.write(text);
    await this.#handle.sync();
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}
