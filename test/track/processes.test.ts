/**
 * Crash safety and concurrency with real processes: several writers on one store lose nothing,
 * and a run killed with -9 reads back as crashed with every flushed point.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../lib/track/index.js';
import { spawnTs, tempDir } from './helpers.js';

const WRITERS = 4;
const RUNS = 50;
const POINTS = 500;

test(`${WRITERS} processes × ${RUNS} runs × ${POINTS} points on one store at once: every run and every point present, index parseable`, async () => {
  const dir = tempDir();
  const children = Array.from({ length: WRITERS }, (_, w) => spawnTs('test/track/fixtures/writer.ts', [dir, String(w), String(RUNS), String(POINTS)]));
  const results = await Promise.all(children.map((c) => c.exited));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const created = results.flatMap((r) => JSON.parse(r.stdout.trim()) as string[]);
  assert.equal(new Set(created).size, WRITERS * RUNS, 'ids are unique across processes');

  // The index file itself parses and lists every run.
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { runs: Record<string, unknown> };
  assert.deepEqual(Object.keys(index.runs).sort(), [...created].sort());

  const store = await openStore(dir, { create: false });
  const runs = await store.listRuns();
  assert.equal(runs.length, WRITERS * RUNS);
  for (const r of runs) {
    assert.equal(r.status, 'finished', `${r.id} finished`);
    assert.equal(r.tags.phase, 'logged', `${r.id}: the tag written by a second commit survived the other writers`);
    assert.equal(r.summary.points, POINTS);
  }
  for (let w = 0; w < WRITERS; w++) assert.equal((await store.listRuns({ experiment: `writer-${w}` })).length, RUNS);
  let points = 0;
  for (const r of runs) {
    const [loss] = await store.readMetrics(r.id, ['loss']);
    assert.deepEqual(loss.step, Array.from({ length: POINTS }, (_, s) => s), `${r.id}: steps 0..${POINTS - 1}`);
    const { writer, r: k } = r.params as { writer: number; r: number };
    assert.equal(loss.value[POINTS - 1], writer * 1e6 + k * 1e3 + POINTS - 1, `${r.id}: its own values`);
    points += loss.step.length;
  }
  assert.equal(points, WRITERS * RUNS * POINTS);
  const report = await store.doctor();
  assert.deepEqual(report.issues, [], 'doctor finds nothing to repair');
});

test('a run killed with -9 reads back as crashed (process gone) with every point flushed before the kill', async () => {
  const dir = tempDir();
  const child = spawnTs('test/track/fixtures/killed.ts', [dir, 'kill9']);
  const id = (await child.line('ready ')).slice('ready '.length);
  child.proc.kill('SIGKILL');
  const exit = await child.exited;
  assert.equal(exit.signal, 'SIGKILL');

  const store = await openStore(dir, { create: false });
  const rec = await store.getRun(id);
  assert.equal(rec.status, 'crashed');
  assert.equal(rec.crashReason, 'process_gone');
  assert.equal((await store.listRuns({ status: 'crashed' }))[0]?.id, id, 'queries see the derived status');
  const [loss] = await store.readMetrics(id, ['loss']);
  // 300 flushed explicitly, 50 by the timer; the last 7 were logged just before "ready" and may or may not be on disk.
  assert.ok(loss.step.length >= 350 && loss.step.length <= 357, `got ${loss.step.length} points`);
  assert.deepEqual(loss.step, Array.from({ length: loss.step.length }, (_, s) => s), 'a gap-free prefix, no torn line');

  // doctor persists the crash and completes the summary from the series.
  const report = await store.doctor({ repair: true });
  assert.deepEqual(report.issues.map((i) => [i.code, i.runId]), [['stale_running', id]]);
  const after = await store.getRun(id);
  assert.equal(after.status, 'crashed');
  assert.equal(after.summary.loss, loss.value[loss.value.length - 1]);
  assert.ok(after.endedAt !== null && after.endedAt >= after.createdAt);
  assert.deepEqual((await store.doctor()).issues, [], 'a second doctor finds nothing');
});

test('SIGTERM flushes buffered points before the process dies (exit hook), and the run reads as crashed', async () => {
  const dir = tempDir();
  const child = spawnTs('test/track/fixtures/killed.ts', [dir, 'sigterm']);
  const id = (await child.line('ready ')).slice('ready '.length);
  child.proc.kill('SIGTERM');
  const exit = await child.exited;
  assert.equal(exit.signal, 'SIGTERM', 'the signal still kills the process (signal-exit re-raises it)');
  const store = await openStore(dir, { create: false });
  const [loss] = await store.readMetrics(id, ['loss']);
  assert.equal(loss.step.length, 40, 'all 40 buffered points were flushed on SIGTERM');
  assert.equal((await store.getRun(id)).status, 'crashed');
});

test('two processes resuming one run at the same millisecond: exactly one resumes, the other gets run_active and writes nothing (5 trials)', async () => {
  const TRIALS = 5;
  const base = tempDir();
  const stores: { dir: string; id: string }[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const dir = path.join(base, `s${t}`);
    const store = await openStore(dir);
    const run = await store.startRun({ experiment: 'resume-race', provenance: { gitCommit: null, gitDirty: null, gitBranch: null } });
    for (let s = 0; s < 100; s++) run.logMetric('loss', s, s);
    await run.fail(new Error('interrupted'));
    await store.close();
    stores.push({ dir, id: run.id });
  }
  // All trials at once, each pair released at one shared instant (children take about a second to start).
  const startAt = Date.now() + 4000;
  const pairs = stores.map(({ dir, id }) => [0, 1].map(() => spawnTs('test/track/fixtures/resumer.ts', [dir, id, String(startAt)])));
  const outcomes = await Promise.all(
    pairs.map(async (pair, t) => {
      const lines = await Promise.all(pair.map((c) => Promise.race([c.line('resumed'), c.line('refused')])));
      writeFileSync(path.join(stores[t].dir, 'release'), '');
      const exits = await Promise.all(pair.map((c) => c.exited));
      for (const e of exits) assert.equal(e.code, 0, e.stderr);
      return { lines, pids: pair.map((c) => c.proc.pid) };
    }),
  );
  let late = 0;
  let both = 0;
  for (let t = 0; t < TRIALS; t++) {
    const { lines, pids } = outcomes[t];
    late += lines.filter((l) => l.endsWith(' 1')).length;
    const winners = lines.filter((l) => l.startsWith('resumed'));
    if (winners.length !== 1) {
      both++;
      continue;
    }
    assert.match(lines.find((l) => l.startsWith('refused'))!, /^refused run_active /);
    const store = await openStore(stores[t].dir, { create: false });
    const rec = await store.getRun(stores[t].id);
    assert.equal(rec.status, 'finished');
    assert.equal(rec.resumedAt.length, 1, `trial ${t}: claimed once`);
    assert.equal(rec.summary.winner, pids[lines.indexOf(winners[0])], `trial ${t}: the summary is the winner's`);
    const [loss] = await store.readMetrics(stores[t].id, ['loss']);
    assert.deepEqual(loss.step, Array.from({ length: 105 }, (_, s) => s), `trial ${t}: every step once`);
    await store.close();
  }
  assert.equal(both, 0, `${both} of ${TRIALS} trials resumed the run in both processes (${late} of ${2 * TRIALS} processes reached the barrier late)`);
});
