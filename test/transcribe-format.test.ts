import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, formatRows, StreamingTable, type ResultRow } from '../pipeline/output-format.js';
import { parseCsv } from './transcribe-csv.js';

const rows: ResultRow[] = [
  { file: 'a/yes_1.wav', label: 'yes', score: 0.91234, top: [{ label: 'yes', score: 0.91234 }, { label: 'no', score: 0.05 }], error: null },
  { file: 'b, "quoted".wav', label: null, score: null, error: 'b, "quoted".wav: not a RIFF file\nsecond line' },
];

test('csvField quotes only when needed', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
});

test('CSV output parses back to the same fields', () => {
  const parsed = parseCsv(formatRows(rows, 'csv', true));
  assert.deepEqual(parsed[0], ['file', 'label', 'score', 'top', 'error']);
  assert.deepEqual(parsed[1], ['a/yes_1.wav', 'yes', '0.9123', 'yes:0.9123 no:0.0500', '']);
  assert.deepEqual(parsed[2], ['b, "quoted".wav', '', '', '', 'b, "quoted".wav: not a RIFF file\nsecond line']);
  assert.equal(parsed.length, 3);
});

test('JSONL output has one object per row', () => {
  const lines = formatRows(rows, 'jsonl').trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.deepEqual(JSON.parse(lines[0]!), { file: 'a/yes_1.wav', label: 'yes', score: 0.91234, error: null });
  assert.deepEqual(JSON.parse(lines[1]!), { file: 'b, "quoted".wav', label: null, score: null, error: rows[1]!.error });
});

test('table output aligns columns and keeps each row on one line', () => {
  const lines = formatRows(rows, 'table').trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^FILE\s+LABEL\s+SCORE\s+ERROR$/);
  const labelColumn = lines[0]!.indexOf('LABEL');
  assert.equal(lines[1]!.slice(labelColumn, labelColumn + 4), 'yes ');
  assert.equal(lines[2]!.slice(labelColumn, labelColumn + 2), '- ');
  assert.ok(lines[2]!.endsWith('not a RIFF file second line'));
});

test('times and key columns: CSV and JSONL carry start/end and key/part/parts', () => {
  const row: ResultRow = { file: 'long.wav', label: 'yes', score: 0.9, start: 1.23456, end: 2.2, error: null, key: 'abc', part: 2, parts: 3 };
  const parsed = parseCsv(formatRows([row], 'csv', { times: true, key: true }));
  assert.deepEqual(parsed, [
    ['file', 'label', 'score', 'start', 'end', 'error', 'key', 'part', 'parts'],
    ['long.wav', 'yes', '0.9000', '1.235', '2.200', '', 'abc', '2', '3'],
  ]);
  assert.deepEqual(JSON.parse(formatRows([row], 'jsonl', { times: true, key: true })), {
    file: 'long.wav', label: 'yes', score: 0.9, start: 1.235, end: 2.2, error: null, key: 'abc', part: 2, parts: 3,
  });
});

test('StreamingTable prints the header once and keeps columns aligned across chunks', () => {
  const table = new StreamingTable({ times: true });
  const first = table.format([rows[0]!]).trimEnd().split('\n');
  const second = table.format([{ file: 'c.wav', label: 'no', score: 0.5, start: 0.5, end: 1.5, error: null }]).trimEnd().split('\n');
  assert.equal(first.length, 2);
  assert.match(first[0]!, /^FILE\s+LABEL\s+SCORE\s+START\s+END\s+ERROR$/);
  assert.equal(second.length, 1);
  assert.equal(second[0]!.indexOf('no'), first[0]!.indexOf('LABEL'));
  assert.ok(second[0]!.includes('0.500') && second[0]!.includes('1.500'));
});

test('an unknown format is a RangeError naming it', () => {
  assert.throws(() => formatRows(rows, 'xml' as never), /got 'xml'/);
});
