import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, formatRows, type ResultRow } from '../pipeline/output-format.js';
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

test('an unknown format is a RangeError naming it', () => {
  assert.throws(() => formatRows(rows, 'xml' as never), /got 'xml'/);
});
