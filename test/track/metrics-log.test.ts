/** Append-only metric series: line format, flush policy, torn lines. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreError } from '../../lib/errors.js';
import { openStore } from '../../lib/track/index.js';
import { encodePoint, latestByKey, metricsIo, MetricWriter, parseSeries, readSeriesFile, toSeries } from '../../lib/track/metrics-log.js';
import { NO_GIT, rejectsStore, tempDir } from './helpers.js';

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

/**
 * A full disk at the fs layer: the next write(2) of the writer writes `partial` bytes, the one after fails with
 * ENOSPC; `restore()` gives the disk its space back.
 */
function fillDisk(partial: number): { restore: () => void; calls: () => number } {
  const real = metricsIo.writeSync;
  let calls = 0;
  metricsIo.writeSync = (fd, buf, off, len) => {
    calls++;
    if (calls === 1 && partial > 0) return real(fd, buf, off, Math.min(partial, len));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  };
  return { restore: () => void (metricsIo.writeSync = real), calls: () => calls };
}

test('disk full in the middle of a batch: the error names the file and the run; a retried flush writes each point once, no broken line', async () => {
  const file = path.join(tempDir(), 'm.jsonl');
  const w = new MetricWriter(file, { batchSize: 1000, intervalMs: 60_000 }, { runId: 'r1' });
  for (let s = 0; s < 100; s++) w.append('loss', s, s / 7, 1000 + s);
  const disk = fillDisk(1234); // not on a line boundary
  try {
    assert.throws(() => w.flushSync(), (err: unknown) => {
      assert.ok(err instanceof StoreError);
      assert.equal(err.code, 'disk_full');
      assert.equal(err.details.runId, 'r1');
      assert.equal(err.details.file, file);
      assert.match(err.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(run r1\\): the disk is full \\(ENOSPC\\)`));
      return true;
    });
    for (let s = 100; s < 110; s++) w.append('loss', s, s / 7, 1000 + s); // logging goes on meanwhile
    assert.throws(() => w.flushSync(), /disk is full/, 'still full: a second flush fails the same way');
  } finally {
    disk.restore();
  }
  w.flushSync();
  w.close(true);
  const r = await readSeriesFile(file);
  assert.deepEqual(r.points.map((p) => p.step), Array.from({ length: 110 }, (_, s) => s), 'every step once, in order');
  assert.equal(r.torn, false);
  assert.deepEqual(r.badLines, []);
  assert.equal(w.written, 110);
});

test('disk full under a run: flush rejects naming the run; after space comes back finish writes every point once', async () => {
  const dir = tempDir();
  const store = await openStore(dir, { flush: { batchSize: 64, intervalMs: 60_000 } });
  const run = await store.startRun({ experiment: 'full-disk', provenance: NO_GIT });
  for (let s = 0; s < 50; s++) run.logMetric('loss', s, s);
  const disk = fillDisk(777);
  try {
    await rejectsStore(run.flush(), { code: 'disk_full', runId: run.id, file: path.join(dir, 'runs', run.id, 'metrics.jsonl'), message: new RegExp(`run ${run.id}`) });
    await rejectsStore(run.finish(), { code: 'disk_full', runId: run.id });
  } finally {
    disk.restore();
  }
  assert.equal(run.record().status, 'running', 'a finish that could not write its points leaves the run open');
  await run.finish();
  const [loss] = await store.readMetrics(run.id, ['loss']);
  assert.deepEqual(loss.step, Array.from({ length: 50 }, (_, s) => s));
  assert.deepEqual((await store.doctor({ deep: true })).issues, [], 'no torn or bad lines');
  await store.close();
});

test('disk full on a real 64 KiB tmpfs: after space comes back the series holds every point once (skips where mount is not allowed)', async (t) => {
  const mnt = tempDir('splam-tmpfs-');
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mount.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim() || `exit ${mount.status}`}); the injected-ENOSPC tests above cover this path`);
    return;
  }
  try {
    const filler = path.join(mnt, 'filler');
    const store = await openStore(path.join(mnt, 'store'), { flush: { batchSize: 100_000, intervalMs: 60_000 } });
    const run = await store.startRun({ experiment: 'tmpfs', provenance: NO_GIT });
    writeFileSync(filler, Buffer.alloc(16 * 1024));
    let steps = 0;
    let failed: unknown = null;
    while (failed === null && steps < 20_000) {
      for (let i = 0; i < 100; i++) run.logMetric('loss', steps / 3, steps++);
      try {
        await run.flush();
      } catch (err) {
        failed = err;
      }
    }
    assert.ok(failed instanceof StoreError && failed.code === 'disk_full', `the disk filled up: ${String(failed)}`);
    assert.match(failed.message, new RegExp(`\\(run ${run.id}\\): the disk is full \\(ENOSPC\\)`));
    rmSync(filler);
    await run.finish();
    const [loss] = await store.readMetrics(run.id, ['loss']);
    assert.deepEqual(loss.step, Array.from({ length: steps }, (_, s) => s), 'every step once');
    assert.deepEqual((await store.doctor({ deep: true })).issues, [], 'no torn or bad lines');
    await store.close();
  } finally {
    spawnSync('umount', ['-l', mnt]); // lazy: a failed assertion may leave a file open
  }
});
