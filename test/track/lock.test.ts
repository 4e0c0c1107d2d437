/** The store lock: one holder at a time, stale locks of killed processes taken over, a clear timeout. */
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileLock } from '../../lib/track/lock.js';
import { rejectsStore, tempDir } from './helpers.js';

test('critical sections never overlap, across lock instances on one path, and each section sees the previous one done', async () => {
  const lockPath = path.join(tempDir(), '.store.lock');
  const a = new FileLock(lockPath);
  const b = new FileLock(lockPath);
  let inside = 0;
  let maxInside = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      (i % 2 ? a : b).run(async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await sleep(3);
        order.push(i);
        inside--;
      }),
    ),
  );
  assert.equal(maxInside, 1);
  assert.equal(order.length, 12);
  assert.ok(!existsSync(lockPath), 'released');
});

test('an error inside a section releases the lock and reaches the caller; the next section runs', async () => {
  const lock = new FileLock(path.join(tempDir(), '.store.lock'));
  await assert.rejects(lock.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await lock.run(async () => 7), 7);
});

test('a lock left by a killed process (mtime older than staleMs) is taken over', async () => {
  const lockPath = path.join(tempDir(), '.store.lock');
  mkdirSync(lockPath);
  const old = Date.now() / 1000 - 60;
  utimesSync(lockPath, old, old);
  const t0 = Date.now();
  assert.equal(await new FileLock(lockPath, { staleMs: 10_000, timeoutMs: 5_000 }).run(async () => 'ok'), 'ok');
  assert.ok(Date.now() - t0 < 2_000);
});

test('waiting longer than timeoutMs for a live lock fails with lock_timeout naming the lock', async () => {
  const lockPath = path.join(tempDir(), '.store.lock');
  mkdirSync(lockPath); // fresh mtime: someone holds it
  await rejectsStore(new FileLock(lockPath, { timeoutMs: 150 }).run(async () => 'never'), { code: 'lock_timeout', file: lockPath, message: /timed out after 150 ms/ });
});
