/** Append-only metric series: line format, flush policy, torn lines. */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodePoint, latestByKey, MetricWriter, parseSeries, readSeriesFile, toSeries } from '../../lib/track/metrics-log.js';
import { tempDir } from './helpers.js';

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).length;

test('a point is one JSON line; NaN and ±Infinity round-trip as strings', () => {
  assert.equal(encodePoint('loss', 3, 0.25, 1000), '{"k":"loss","s":3,"v":0.25,"t":1000}\n');
  const text = ['loss', 'a"b'].map((k, i) => encodePoint(k, i, [Number.NaN, -Infinity][i], 5)).join('') + encodePoint('x', 0, Infinity, 6);
  const { points, torn, badLines } = parseSeries(text);
  assert.equal(torn, false);
  assert.deepEqual(badLines, []);
  assert.ok(Number.isNaN(points[0].value));
  assert.equal(points[1].key, 'a"b');
  assert.equal(points[1].value, -Infinity);
  assert.equal(points[2].value, Infinity);
});

test('a torn last line is skipped and reported; a bad middle line is skipped and counted', () => {
  const good = encodePoint('loss', 0, 1, 1) + encodePoint('loss', 1, 2, 2);
  const r1 = parseSeries(good + '{"k":"loss","s":2,"v":');
  assert.equal(r1.points.length, 2);
  assert.equal(r1.torn, true);
  const r2 = parseSeries(encodePoint('loss', 0, 1, 1) + 'garbage\n' + encodePoint('loss', 1, 2, 2));
  assert.deepEqual(r2.badLines, [2]);
  assert.equal(r2.points.length, 2);
  const r3 = parseSeries(good.slice(0, -1)); // whole last point, only the newline missing
  assert.equal(r3.points.length, 2);
  assert.equal(r3.torn, false);
});

test('series group by key and sort by step (stable); latest is the highest step', () => {
  const pts = [
    { key: 'b', step: 2, value: 20, time: 1 },
    { key: 'a', step: 1, value: 1, time: 2 },
    { key: 'b', step: 0, value: 0, time: 3 },
    { key: 'b', step: 2, value: 21, time: 4 },
  ];
  const s = toSeries(pts);
  assert.deepEqual(s.map((x) => x.key), ['a', 'b']);
  assert.deepEqual(s[1].step, [0, 2, 2]);
  assert.deepEqual(s[1].value, [0, 20, 21]);
  assert.deepEqual(toSeries(pts, ['a']).map((x) => x.key), ['a']);
  assert.deepEqual(latestByKey(pts).get('b'), { step: 2, value: 21 });
});

test('the writer buffers points, writes a full batch at once, and writes the rest after the interval', async () => {
  const file = path.join(tempDir(), 'm.jsonl');
  const w = new MetricWriter(file, { batchSize: 10, intervalMs: 50 });
  const t = Date.now();
  for (let i = 0; i < 9; i++) w.append('loss', i, i, t);
  assert.equal(lines(file), 0, 'nothing written below the batch size');
  w.append('loss', 9, 9, t);
  assert.equal(lines(file), 10, 'the 10th point writes the batch synchronously');
  w.append('loss', 10, 10, Date.now());
  await sleep(120);
  assert.equal(lines(file), 11, 'the timer wrote the straggler');
  w.append('loss', 11, 11, Date.now());
  w.append('loss', 12, 12, Date.now() + 60);
  assert.equal(lines(file), 13, 'a point logged after the interval writes the buffer in the logging call');
  w.append('loss', 13, 13, Date.now());
  w.close(true);
  assert.equal(lines(file), 14, 'close flushes');
  assert.equal(w.written, 14);
});

test('a writer reopening a file with a torn last line starts on a new line, so only that line is lost', async () => {
  const file = path.join(tempDir(), 'm.jsonl');
  writeFileSync(file, encodePoint('loss', 0, 1, 1) + '{"k":"loss","s":1,');
  const w = new MetricWriter(file, { batchSize: 1, intervalMs: 1000 });
  w.append('loss', 2, 3, 3);
  w.close(false);
  const r = await readSeriesFile(file);
  assert.deepEqual(r.points.map((p) => p.step), [0, 2]);
  assert.deepEqual(r.badLines, [2]);
  assert.equal(r.torn, false);
  appendFileSync(file, '{"k"');
  assert.equal((await readSeriesFile(file)).torn, true);
  assert.deepEqual(await readSeriesFile(path.join(path.dirname(file), 'none.jsonl')), { points: [], torn: false, badLines: [] }, 'a missing file is an empty series');
});
