import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parallelMap, WorkerError, WorkerPool } from '../../lib/parallel/pool.js';
import type { EchoTask } from './echo-worker.js';

const ECHO = new URL('./echo-worker.ts', import.meta.url);
type Echo = { value: number; threadId: number; setup: unknown };

test('parallelMap returns results in task order although the workers finish out of order, using every worker', async () => {
  // Early tasks are the slow ones, so later tasks finish first.
  const tasks: EchoTask[] = Array.from({ length: 6 }, (_, i) => ({ value: i, delayMs: (6 - i) * 15 }));
  const out = await parallelMap<EchoTask, Echo>(tasks, ECHO, { workers: 2, setup: { tag: 'S' } });
  assert.deepEqual(out.map((r) => r.value), [0, 2, 4, 6, 8, 10]);
  assert.equal(new Set(out.map((r) => r.threadId)).size, 2, 'both workers ran tasks');
  assert.ok(out.every((r) => (r.setup as { tag: string }).tag === 'S'), 'setup data reached every worker');
});

test("a task's error rejects the map with a WorkerError carrying the worker's error name, message and fields", async () => {
  const tasks: EchoTask[] = [{ value: 1 }, { value: 2, fail: 'boom' }, { value: 3 }];
  await assert.rejects(parallelMap(tasks, ECHO, { workers: 2 }), (err: unknown) => {
    assert.ok(err instanceof WorkerError);
    assert.equal(err.code, 'worker_failed');
    assert.equal(err.phase, 'task');
    assert.equal(err.taskIndex, 1);
    assert.equal(err.remote.name, 'ArgumentError');
    assert.equal(err.remote.fields.fn, 'echo');
    assert.equal(err.remote.fields.value, 'boom');
    assert.equal(err.remote.fields.code, 'invalid_argument');
    assert.match(err.message, /on task 1: ArgumentError: echo: argument fail = "boom" is not allowed/);
    assert.match(err.remote.stack ?? '', /echo-worker\.ts/);
    return true;
  });
});

test('a worker whose setup throws, or whose module is missing, fails the start with its message', async () => {
  await assert.rejects(WorkerPool.start(ECHO, { workers: 2, setup: { failSetup: 'no model here' } }), (err: unknown) => {
    assert.ok(err instanceof WorkerError);
    assert.equal(err.phase, 'start');
    assert.equal(err.taskIndex, null);
    assert.match(err.message, /failed while starting: Error: no model here/);
    return true;
  });
  await assert.rejects(WorkerPool.start(new URL('./no-such-module.ts', import.meta.url), { workers: 1 }), /failed while starting: .*no-such-module/);
});

test('a thread that dies mid-task rejects the map (phase exit), and the pool then refuses work', async () => {
  const pool = await WorkerPool.start(ECHO, { workers: 2 });
  try {
    await assert.rejects(pool.map<EchoTask, Echo>([{ value: 1, exit: 3 }]), (err: unknown) => {
      assert.ok(err instanceof WorkerError);
      assert.equal(err.phase, 'exit');
      assert.equal(err.taskIndex, 0);
      assert.match(err.message, /thread exited with code 3/);
      return true;
    });
    assert.equal(pool.size, 1);
    await assert.rejects(pool.map([{ value: 2 }]), /no longer running/);
  } finally {
    await pool.close();
  }
});

test('a pool serves several maps, and close() terminates every thread', async () => {
  const pool = await WorkerPool.start(ECHO, { workers: 2 });
  assert.equal(pool.size, 2);
  assert.ok(pool.startMs > 0);
  assert.deepEqual((await pool.map<EchoTask, Echo>([{ value: 1 }, { value: 2 }, { value: 3 }])).map((r) => r.value), [2, 4, 6]);
  assert.deepEqual(await pool.map([]), []);
  assert.deepEqual((await pool.map<EchoTask, Echo>([{ value: 5 }])).map((r) => r.value), [10]);
  await pool.close();
  assert.equal(pool.size, 0);
  await assert.rejects(pool.map([{ value: 1 }]), /WorkerPool\.map: argument pool = "closed"/);
});

test('after a failed map, the next map on the same pool runs on every worker, including one still busy with a dropped task', async () => {
  const pool = await WorkerPool.start(ECHO, { workers: 2 });
  try {
    // Worker A fails at once; worker B is still running the slow task when the map rejects.
    await assert.rejects(pool.map<EchoTask, Echo>([{ value: 0, fail: 'early' }, { value: 1, delayMs: 250 }]), /on task 0/);
    const out = await pool.map<EchoTask, Echo>(Array.from({ length: 6 }, (_, i) => ({ value: i, delayMs: 100 })));
    assert.deepEqual(out.map((r) => r.value), [0, 2, 4, 6, 8, 10]);
    assert.equal(new Set(out.map((r) => r.threadId)).size, 2, 'worker B took tasks once its dropped task ended');
  } finally {
    await pool.close();
  }
});

test('closing a pool during a map rejects that map instead of leaving it pending', async () => {
  const pool = await WorkerPool.start(ECHO, { workers: 1 });
  const running = pool.map<EchoTask, Echo>([{ value: 1, delayMs: 5_000 }]);
  const rejected = assert.rejects(running, (err: unknown) => {
    assert.ok(err instanceof WorkerError);
    assert.equal(err.phase, 'exit');
    assert.equal(err.taskIndex, 0);
    assert.match(err.message, /the pool was closed before the map finished/);
    return true;
  });
  await pool.close();
  await rejected;
});

test('a bad worker count is rejected before any thread starts', async () => {
  await assert.rejects(WorkerPool.start(ECHO, { workers: 0 }), /WorkerPool\.start: argument workers = 0 is not allowed; expected an integer ≥ 1/);
});

test('after a successful map, a failing map and a failed start, the process ends by itself (no worker left running)', () => {
  const fixture = fileURLToPath(new URL('./exit-fixture.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.error, undefined, `the child did not end within 60 s: ${r.error?.message}`);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(out.values, [2, 4, 6]);
  assert.match(out.failed, /worker \d failed on task 1: ArgumentError/);
  assert.match(out.startFailed, /failed while starting: Error: setup fails/);
});
