import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confusionMatrixHtml, escapeHtml, lineChartHtml } from '../util/charts.js';

/** Checks that every opened element is closed in order (void elements excepted). */
function assertBalancedTags(html: string): void {
  const voidTags = new Set(['meta', 'br', 'img', 'link', 'input', 'hr']);
  const stack: string[] = [];
  for (const match of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*?)(\/?)>/g)) {
    const [, closing, rawName, , selfClosing] = match;
    const name = rawName!.toLowerCase();
    if (voidTags.has(name) || selfClosing === '/') continue;
    if (closing === '/') assert.equal(stack.pop(), name, `closing </${name}> does not match`);
    else stack.push(name);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
}

test('escapeHtml escapes markup characters', () => {
  assert.equal(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
});

test('confusionMatrixHtml is a well-formed self-contained page with labels and counts', () => {
  const labels = ['_silence_', 'yes', '<no & "maybe">'];
  const matrix = [
    [5, 0, 1],
    [2, 17, 0],
    [0, 3, 123],
  ];
  const html = confusionMatrixHtml(labels, matrix, 'Model <A> on test');
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assertBalancedTags(html);
  assert.ok(!/<script/i.test(html), 'no scripts');
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(html), 'no external resources');
  assert.ok(html.includes('<title>Model &lt;A&gt; on test</title>'));
  assert.ok(html.includes('>_silence_</text>'));
  assert.ok(html.includes('>yes</text>'));
  assert.ok(html.includes('&lt;no &amp; &quot;maybe&quot;&gt;'));
  assert.ok(!html.includes('<no &'), 'raw label must not leak into markup');
  assert.ok(html.includes('>123</text>'));
  assert.ok(html.includes('>predicted</text>') && html.includes('>true</text>'));
  // 9 cells, and the summary counts all 151 clips with 145 correct.
  assert.equal((html.match(/<rect /g) ?? []).length, 9);
  assert.ok(html.includes('151 clips, 145 correct (96.03%)'));
});

test('confusionMatrixHtml rejects a matrix that does not match the labels', () => {
  assert.throws(() => confusionMatrixHtml(['a', 'b'], [[1, 2]], 't'), RangeError);
});

test('lineChartHtml draws one polyline per series with legend and axis labels', () => {
  const html = lineChartHtml(
    'Training <loss>',
    [
      { name: 'train', points: [[1, 2.3], [2, 1.1], [3, 0.7]] },
      { name: 'validation & more', points: [[1, 2.5], [2, 1.4], [3, 1.0]] },
    ],
    { x: 'epoch', y: 'loss' },
  );
  assertBalancedTags(html);
  assert.equal((html.match(/<polyline /g) ?? []).length, 2);
  assert.ok(html.includes('>train</text>'));
  assert.ok(html.includes('>validation &amp; more</text>'));
  assert.ok(html.includes('>epoch</text>') && html.includes('>loss</text>'));
  assert.ok(html.includes('<title>Training &lt;loss&gt;</title>'));
  for (const m of html.matchAll(/points="([^"]*)"/g)) {
    for (const pair of m[1]!.split(' ')) {
      const [x, y] = pair.split(',').map(Number);
      assert.ok(Number.isFinite(x) && Number.isFinite(y), `finite coordinates, got ${pair}`);
    }
  }
});

test('lineChartHtml on log axes drops non-positive points and uses decade ticks', () => {
  const html = lineChartHtml('DET', [{ name: 'det', points: [[0, 0.5], [0.001, 0.2], [0.01, 0.1], [0.1, 0.02]] }], { x: 'false alarms', y: 'misses', logX: true, logY: true });
  assertBalancedTags(html);
  const points = html.match(/points="([^"]*)"/)![1]!.split(' ');
  assert.equal(points.length, 3);
  assert.ok(html.includes('>0.001</text>') && html.includes('>0.1</text>'));
});
