/** The lowdb index: re-read inside the lock before each change, never overwrite what it cannot read. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Memory } from 'lowdb';
import { StoreError } from '../../lib/errors.js';
import { AtomicJsonFile } from '../../lib/track/adapter.js';
import { FileLock, noLock } from '../../lib/track/lock.js';
import { emptyIndex, indexFile, RunIndex, type IndexData } from '../../lib/track/run-index.js';
import type { RunRecord } from '../../lib/track/types.js';
import { rejectsStore, tempDir } from './helpers.js';

const rec = (id: string): RunRecord =>
  ({ id, name: id, experiment: 'e', status: 'finished', createdAt: 1, endedAt: 2, heartbeatAt: 2, pid: 1, pidStart: null, host: 'h', params: {}, tags: {}, summary: { loss: Number.NaN }, artifacts: [], provenance: {}, error: null, resumedAt: [] }) as unknown as RunRecord;

test('update() applies the change to freshly read data (a memory adapter stands in for the file)', async () => {
  const mem = new Memory<IndexData>();
  await mem.write(emptyIndex());
  const index = new RunIndex(mem, noLock);
  await index.update((d) => {
    d.runs.a = rec('a');
  });
  // Another writer changes the stored document behind this RunIndex's back …
  const other = new RunIndex(mem, noLock);
  await other.update((d) => {
    d.runs.b = rec('b');
  });
  // … and the next update still sees it, because it re-reads first.
  await index.update((d) => {
    d.runs.c = rec('c');
  });
  assert.deepEqual(Object.keys((await index.read()).runs).sort(), ['a', 'b', 'c']);
});

test('a missing index fails update() with missing_index instead of writing an empty one over nothing', async () => {
  const index = new RunIndex(new Memory<IndexData>(), noLock, '/s/index.json');
  await rejectsStore(index.update(() => undefined), { code: 'missing_index', file: '/s/index.json', message: /splam runs doctor/ });
  await index.init();
  assert.deepEqual((await index.read()).runs, {}, 'init() creates an empty index only when none exists');
});

test('the file adapter round-trips NaN summaries and writes through a per-process temp file (no temp left)', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'index.json');
  const index = new RunIndex(indexFile(file), new FileLock(path.join(dir, '.lock')), file);
  await index.init();
  await index.update((d) => {
    d.runs.a = rec('a');
  });
  assert.match(readFileSync(file, 'utf8'), /"loss":"NaN"/);
  assert.ok(Number.isNaN((await index.read()).runs.a.summary.loss));
  assert.deepEqual(readdirSync(dir).sort(), ['index.json'], 'no temp files or lock directory remain');
});

test('a torn index is reported as corrupt_index with the file and a doctor hint, and left byte-for-byte untouched', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'index.json');
  const index = new RunIndex(indexFile(file), new FileLock(path.join(dir, '.lock')), file);
  await index.init();
  await index.update((d) => {
    d.runs.a = rec('a');
    d.runs.b = rec('b');
  });
  const whole = readFileSync(file, 'utf8');
  const torn = whole.slice(0, Math.floor(whole.length / 2));
  writeFileSync(file, torn);
  const err = await rejectsStore(index.update((d) => void (d.runs.c = rec('c'))), { code: 'corrupt_index', file, message: /splam runs doctor/ });
  assert.match(err.message, /stops mid-document after \d+ bytes \(truncated or torn write\)/, 'says what is wrong');
  await rejectsStore(index.read(), { code: 'corrupt_index', file });
  assert.equal(readFileSync(file, 'utf8'), torn, 'the torn file was not overwritten');
  writeFileSync(file, '');
  await rejectsStore(index.read(), { code: 'corrupt_index', message: /the file is empty/ });
  writeFileSync(file, JSON.stringify({ format: 'splam-index', version: 1, runs: { x: { id: 'y' } } }));
  await rejectsStore(index.read(), { code: 'corrupt_index', message: /runs\["x"\]: "id" is "y", not "x"/ });
});

test('the generic adapter reads a missing file as null and rethrows other errors', async () => {
  const dir = tempDir();
  assert.equal(await new AtomicJsonFile(path.join(dir, 'none.json')).read(), null);
  await assert.rejects(new AtomicJsonFile(dir).read(), (e: unknown) => !(e instanceof StoreError) && (e as NodeJS.ErrnoException).code === 'EISDIR');
});
