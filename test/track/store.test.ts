/** The file run store through its typed API. */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ArgumentError } from '../../lib/errors.js';
import type { BackendInfo } from '../../lib/backend.js';
import { doctorStore, FilterError, needsRepair, openStore, withRun, type RunStore } from '../../lib/track/index.js';
import { NO_GIT, rejectsArgument, rejectsStore, tempDir } from './helpers.js';
import { eachBackend } from './backends.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const BACKEND: BackendInfo = { name: 'wasm', tfBackend: 'wasm', tfjsVersion: '4.22.0', forced: false, patchedKernels: ['Conv2DBackpropFilter'], skipped: [] };

async function freshStore(): Promise<{ dir: string; store: RunStore }> {
  const dir = tempDir();
  return { dir, store: await openStore(dir) };
}

// Tests defined with eachBackend run on every backend (test/track/backends.ts): the file store, and PostgreSQL where
// a server is configured (SPLAM_PG_URL). The others are about the file store's own files.
eachBackend('a run records the data model: ids, status, times, params, tags, summary, series, artifacts and provenance', async (b) => {
  const { store } = await b.fresh();
  const run = await store.startRun({ experiment: 'ablation-k', name: 'k=20', params: { k: 20, train: { lr: 1e-3 } }, tags: { seed: 1, quick: true }, seed: 1, backend: BACKEND });
  const started = run.record();
  assert.match(run.id, /^\d{8}-\d{6}-\d{3}-[0-9a-z]{6}$/);
  assert.equal(started.status, 'running');
  assert.equal(started.pid, process.pid);
  assert.deepEqual(started.tags, { seed: '1', quick: 'true' }, 'tag values are strings');
  const p = started.provenance;
  assert.match(p.gitCommit ?? '', /^[0-9a-f]{40}$/, 'the checkout is a git repository');
  assert.equal(typeof p.gitDirty, 'boolean');
  assert.equal(p.node, process.version);
  assert.equal(p.packages['splam-lab'], '0.1.0');
  assert.equal(p.packages['@tensorflow/tfjs'], '4.22.0');
  assert.deepEqual(p.backend, BACKEND);
  assert.ok(p.cpus >= 1);
  assert.equal(p.seed, 1);

  for (let s = 0; s < 5; s++) run.logMetrics({ loss: 1 / (s + 1), 'val/loss': 2 / (s + 1) });
  run.logMetric('fid', Number.NaN, 100);
  await run.logParams({ ema: { mu: 0.95 } });
  await run.setTags({ phase: 'done' });
  await run.logArtifact('samples/grid.png', PNG, { kind: 'png' });
  const done = await run.finish({ fidFinal: 7.25 });

  assert.equal(done.status, 'finished');
  assert.ok(done.endedAt !== null && done.endedAt >= done.createdAt);
  assert.deepEqual(done.params, { k: 20, train: { lr: 1e-3 }, ema: { mu: 0.95 } });
  assert.equal(done.summary.loss, 0.2, 'latest value per key');
  assert.equal(done.summary.fidFinal, 7.25, 'explicit summary merged');
  assert.ok(Number.isNaN(done.summary.fid), 'NaN survives the round trip');
  assert.deepEqual(done.artifacts.map((a) => [a.name, a.kind, a.bytes]), [['samples/grid.png', 'png', PNG.length]]);

  const read = await store.getRun(run.id);
  assert.deepEqual({ ...read, summary: {} }, { ...done, summary: {} });
  const series = await store.readMetrics(run.id);
  assert.deepEqual(series.map((s) => [s.key, s.step]), [['fid', [100]], ['loss', [0, 1, 2, 3, 4]], ['val/loss', [0, 1, 2, 3, 4]]]);
  assert.ok(series[1].time.every((t) => t >= done.createdAt && t <= (done.endedAt as number)));
  assert.deepEqual(Buffer.from(await store.readArtifact(run.id, 'samples/grid.png')), PNG);
  const listed = (await store.listRuns())[0];
  assert.equal(JSON.stringify({ ...listed, summary: 0 }), JSON.stringify({ ...read, summary: 0 }), 'index and run.json agree');
  if (b.name === 'file') assert.ok(existsSync(path.join(store.location, 'runs', run.id, 'metrics.jsonl')));
});

eachBackend('listRuns hands out the caller\'s own records: changing one changes neither the store nor the next answer; another handle\'s change shows at once', async (b) => {
  const { store, location } = await b.fresh();
  const run = await store.startRun({ experiment: 'copies', name: 'a', params: { k: 20 } });
  await run.finish({ fid: 3 });
  const first = await store.listRuns({ experiment: 'copies' });
  (first[0].params as { k: number }).k = 999;
  first[0].summary.fid = -1;
  first[0].name = 'changed';
  const again = await store.listRuns({ experiment: 'copies' });
  assert.notEqual(again[0], first[0]);
  assert.deepEqual([(again[0].params as { k: number }).k, again[0].summary.fid, again[0].name], [20, 3, 'a'], 'the next answer is unchanged');
  // Another handle on the same store (as another process would be) writes; this handle's next query sees it.
  const other = await openStore(location);
  const second = await other.startRun({ experiment: 'copies', name: 'b' });
  await second.finish();
  assert.deepEqual((await store.listRuns({ experiment: 'copies' })).map((r) => r.name).sort(), ['a', 'b']);
  await other.close();
});

test('logging metric points never rewrites the index', async () => {
  const { dir, store } = await freshStore();
  const run = await store.startRun({ provenance: NO_GIT });
  const before = statSync(path.join(dir, 'index.json'), { bigint: true });
  for (let s = 0; s < 2000; s++) run.logMetric('loss', s, s);
  await run.flush();
  const after = statSync(path.join(dir, 'index.json'), { bigint: true });
  assert.equal(after.ino, before.ino);
  assert.equal(after.mtimeNs, before.mtimeNs);
  assert.equal((await store.readMetrics(run.id))[0].step.length, 2000);
  await run.finish();
});

eachBackend('withRun finishes on success and returns the value; on an exception marks the run failed with message and stack, then rethrows', async (b) => {
  const { store } = await b.fresh();
  assert.equal(await withRun(store, { experiment: 'ok', provenance: NO_GIT }, (run) => (run.logMetric('x', 1), 42)), 42);
  let id = '';
  await assert.rejects(
    withRun(store, { experiment: 'boom', provenance: NO_GIT }, async (run) => {
      id = run.id;
      run.logMetric('loss', 0.5);
      throw new RangeError('loss diverged at step 3');
    }),
    RangeError,
  );
  const failed = await store.getRun(id);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error?.name, 'RangeError');
  assert.equal(failed.error?.message, 'loss diverged at step 3');
  assert.match(failed.error?.stack ?? '', /store\.test\.ts/);
  assert.equal(failed.summary.loss, 0.5, 'points logged before the failure are kept');
  assert.deepEqual((await store.listRuns({ status: 'finished' })).map((r) => r.experiment), ['ok']);
});

eachBackend('an ended run refuses further logging with run_closed; resumeRun reopens it and continues its steps', async (b) => {
  const { store } = await b.fresh();
  const run = await store.startRun({ provenance: NO_GIT, params: { k: 4 } });
  run.logMetric('loss', 1);
  run.logMetric('loss', 0.5);
  await run.setSummary({ fid: 9 });
  await run.fail(new Error('killed by the scheduler'));
  assert.throws(() => run.logMetric('loss', 0.1), (e: unknown) => (e as { code?: string }).code === 'run_closed' && (e as { details: { runId: string } }).details.runId === run.id);
  await rejectsStore(run.finish(), { code: 'run_closed', runId: run.id });

  const again = await store.resumeRun(run.id);
  assert.equal((await store.getRun(run.id)).status, 'running');
  assert.equal((await store.getRun(run.id)).error, null);
  await rejectsStore(store.resumeRun(run.id), { code: 'run_active', runId: run.id });
  again.logMetric('loss', 0.25);
  const end = await again.finish();
  assert.deepEqual((await store.readMetrics(run.id, ['loss']))[0].step, [0, 1, 2], 'default steps continue after the resume');
  assert.equal(end.summary.loss, 0.25);
  assert.equal(end.summary.fid, 9, 'explicit summary values survive a resume');
  assert.equal(end.resumedAt.length, 1);
  assert.equal(end.status, 'finished');
});

eachBackend('unknown run ids fail with run_not_found naming the id; malformed ids fail with ArgumentError before touching disk', async (b) => {
  const { store } = await b.fresh();
  const id = '20990101-000000-000-zzzzzz';
  await rejectsStore(store.getRun(id), { code: 'run_not_found', runId: id });
  await rejectsStore(store.readMetrics(id), { code: 'run_not_found', runId: id });
  await rejectsStore(store.resumeRun(id), { code: 'run_not_found', runId: id });
  await rejectsStore(store.deleteRun(id), { code: 'run_not_found', runId: id });
  await rejectsStore(store.compare([id], 'loss'), { code: 'run_not_found', runId: id });
  await rejectsStore(store.readArtifact(id, 'a.png'), { code: 'run_not_found', runId: id });
  await rejectsArgument(store.getRun('../../etc/passwd'), { fn: 'getRun', arg: 'id', value: '../../etc/passwd' });
  await rejectsArgument(store.deleteRun('..'), { fn: 'deleteRun', arg: 'id' });
  await rejectsArgument(store.startRun({ id: 'a/b' }), { fn: 'startRun', arg: 'id' });
  const run = await store.startRun({ id: 'my-run.1', provenance: NO_GIT });
  await rejectsStore(store.startRun({ id: 'my-run.1', provenance: NO_GIT }), { code: 'run_exists', runId: 'my-run.1' });
  await run.finish();
});

eachBackend('bad logged values fail with ArgumentError naming the field', async (b) => {
  const { store } = await b.fresh();
  const run = await store.startRun({ provenance: NO_GIT });
  await rejectsArgument(() => run.logMetric('bad\nkey', 1), { fn: 'logMetric', arg: 'key' });
  await rejectsArgument(() => run.logMetric('__proto__', 1), { fn: 'logMetric', arg: 'key' });
  await rejectsArgument(() => run.logMetric('loss', '1' as unknown as number), { fn: 'logMetric', arg: 'value of loss' });
  await rejectsArgument(() => run.logMetric('loss', 1, -1), { fn: 'logMetric', arg: 'step', value: -1 });
  await rejectsArgument(run.logParams({ lr: Number.NaN }), { fn: 'logParams', arg: 'params.lr' });
  await rejectsArgument(run.logParams({ when: new Date() as unknown as string }), { fn: 'logParams', arg: 'params.when' });
  await rejectsArgument(run.setTags({ t: { nested: 1 } as unknown as string }), { fn: 'setTags', arg: 'tags.t' });
  await rejectsArgument(store.startRun({ experiment: '' }), { fn: 'startRun', arg: 'experiment' });
  await run.finish();
});

eachBackend('artifacts: PNG bytes are checked, figures stored as JSON, and names that escape the run folder are rejected', async (b) => {
  const { store, artifactsDir } = await b.fresh();
  const run = await store.startRun({ provenance: NO_GIT });
  await rejectsArgument(run.logArtifact('x.png', Buffer.from('not a png'), { kind: 'png' }), { fn: 'logArtifact', arg: 'data of x.png' });
  const fig = await run.logArtifact('figs/loss.json', { data: [{ x: [0, 1], y: [1, 0.5] }], layout: {} }, { kind: 'figure' });
  assert.equal(fig.kind, 'figure');
  assert.deepEqual(JSON.parse(Buffer.from(await store.readArtifact(run.id, 'figs/loss.json')).toString()).data[0].y, [1, 0.5]);
  await run.logArtifact('ckpt/weights.bin', new Uint8Array([1, 2, 3]), { kind: 'checkpoint' });
  await run.logArtifact('ckpt/weights.bin', new Uint8Array([4, 5]), { kind: 'checkpoint' });
  assert.deepEqual(run.record().artifacts.filter((a) => a.name === 'ckpt/weights.bin').map((a) => a.bytes), [2], 're-logging replaces');

  for (const bad of ['../run.json', '../../../../tmp/escape', '/etc/passwd', '.hidden', 'a/../../run.json']) {
    await rejectsArgument(run.logArtifact(bad, 'x', { kind: 'text' }), { fn: 'logArtifact', arg: 'name', value: bad });
    await rejectsArgument(store.readArtifact(run.id, bad), { fn: 'readArtifact', arg: 'name', value: bad });
  }
  // A symlink planted inside the artifact folder cannot lead a write or a read outside it.
  const outside = tempDir();
  writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  symlinkSync(outside, path.join(artifactsDir(run.id), 'link'));
  await rejectsArgument(run.logArtifact('link/x.txt', 'x', { kind: 'text' }), { fn: 'logArtifact', arg: 'path' });
  await rejectsArgument(store.readArtifact(run.id, 'link/secret.txt'), { fn: 'readArtifact', arg: 'path' });
  assert.deepEqual(readdirSync(outside), ['secret.txt'], 'nothing was written outside the store');
  await rejectsStore(store.readArtifact(run.id, 'missing.png'), { code: 'artifact_not_found', runId: run.id });
  await run.finish();
});

eachBackend('stored text is data, never code: params and tags that look like code or prototype keys round-trip unchanged', async (b) => {
  const { store } = await b.fresh();
  const params = JSON.parse('{"cmd":"${process.exit(1)}","js":"require(\\"fs\\").rmSync(\\"/\\")","__proto__":{"polluted":true},"constructor":"x"}');
  const run = await store.startRun({ params, tags: { note: "'); DROP TABLE runs; --" }, provenance: NO_GIT });
  await run.finish();
  const rec = await store.getRun(run.id);
  assert.equal(rec.params.cmd, '${process.exit(1)}');
  assert.ok(Object.hasOwn(rec.params, '__proto__'), '__proto__ stays an own key');
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
  assert.equal(Object.getPrototypeOf(rec.params), Object.prototype);
  assert.deepEqual((await store.listRuns({ filter: "tags.note = \"'); DROP TABLE runs; --\"" })).length, 1);
  await assert.rejects(store.listRuns({ filter: 'params.cmd = 1; process.exit(1)' }), FilterError);
});

eachBackend('queries by experiment, status, tags, filter string and typed predicate, with ordering and limits', async (b) => {
  const { store } = await b.fresh();
  const plan = [
    { experiment: 'lcm', k: 10, fid: 14 },
    { experiment: 'splam', k: 20, fid: 8 },
    { experiment: 'splam', k: 20, fid: 11 },
    { experiment: 'splam', k: 40, fid: 9 },
  ];
  for (const [i, p] of plan.entries()) {
    await withRun(store, { experiment: p.experiment, params: { k: p.k }, tags: { i }, provenance: NO_GIT }, (run) => run.setSummary({ fid: p.fid }));
  }
  const crashed = await store.startRun({ experiment: 'splam', params: { k: 20 }, provenance: NO_GIT });
  const fid = (runs: { summary: Record<string, number> }[]) => runs.map((r) => r.summary.fid);
  assert.deepEqual(fid(await store.listRuns({ experiment: 'splam', status: 'finished', orderBy: 'metrics.fid' })), [8, 9, 11]);
  assert.deepEqual(fid(await store.listRuns({ filter: 'params.k = 20 and metrics.fid < 10' })), [8]);
  assert.deepEqual(fid(await store.listRuns({ filter: 'params.k = 10 or metrics.fid < 9', orderBy: 'metrics.fid DESC' })), [14, 8]);
  assert.deepEqual(fid(await store.listRuns({ where: (r) => (r.params.k as number) >= 20 && r.summary.fid > 8.5, orderBy: 'metrics.fid' })), [9, 11]);
  assert.deepEqual(fid(await store.listRuns({ tags: { i: '3' } })), [9]);
  assert.deepEqual(fid(await store.listRuns({ orderBy: 'metrics.fid', limit: 2 })), [8, 9]);
  assert.equal((await store.listRuns({ status: 'running' }))[0].id, crashed.id);
  const exps = await store.listExperiments();
  assert.deepEqual(exps.map((e) => [e.name, e.runs, e.byStatus.running]), [['lcm', 1, 0], ['splam', 4, 1]]);
  await crashed.finish();
});

eachBackend('compare aligns several runs on one metric by step and lists the params that differ', async (backend) => {
  const { store } = await backend.fresh();
  const a = await store.startRun({ name: 'lcm', params: { gamma: 'one', k: 20 }, provenance: NO_GIT });
  const b = await store.startRun({ name: 'splam', params: { gamma: 'uniform', k: 20, extra: 1 }, provenance: NO_GIT });
  for (const s of [0, 10, 20]) a.logMetric('loss', s, s);
  for (const s of [0, 5, 20]) b.logMetric('loss', 100 + s, s);
  await a.finish();
  await b.finish();
  const c = await store.compare([a.id, b.id], 'loss');
  assert.deepEqual(c.steps, [0, 5, 10, 20]);
  assert.deepEqual(c.values, [
    [0, null, 10, 20],
    [100, 105, null, 120],
  ]);
  assert.deepEqual(c.runs.map((r) => r.name), ['lcm', 'splam']);
  assert.deepEqual(c.paramsDiff, { extra: [undefined, 1], gamma: ['one', 'uniform'] });
  await rejectsArgument(store.compare([], 'loss'), { fn: 'compare', arg: 'ids' });
});

eachBackend('export: CSV with one row per run (quoted, formula-safe) or long-format series; JSON with series', async (b) => {
  const { store } = await b.fresh();
  const run = await store.startRun({ experiment: 'e', name: 'a, "quoted" name', params: { k: 20, note: '=HYPERLINK("http://x")', neg: '-3' }, provenance: NO_GIT });
  run.logMetric('loss', 0.5, 0);
  run.logMetric('loss', Number.NaN, 1);
  await run.finish();
  const csv = await store.exportRuns({}, { format: 'csv' });
  const [header, row] = csv.trim().split('\n');
  assert.match(header, /^id,name,experiment,status,created,ended,duration_s,error,git_commit,git_dirty,seed,backend,host,params\.k,params\.neg,params\.note,metrics\.loss$/);
  assert.ok(row.includes('"a, ""quoted"" name"'), 'RFC 4180 quoting');
  assert.ok(row.includes(`"'=HYPERLINK(""http://x"")"`), 'a formula-looking string is defused with a leading quote');
  assert.ok(row.includes(',-3,'), 'numeric strings are left alone');
  assert.ok(row.endsWith(',NaN'));
  const long = await store.exportRuns({}, { format: 'csv', series: true });
  assert.deepEqual(long.trim().split('\n').map((l) => l.split(',').slice(0, 4).join(',')), ['run_id,key,step,value', `${run.id},loss,0,0.5`, `${run.id},loss,1,NaN`]);
  const json = JSON.parse(await store.exportRuns({ filter: 'params.k = 20' }, { format: 'json', series: true }));
  assert.equal(json.length, 1);
  assert.equal(json[0].summary.loss, 'NaN');
  assert.deepEqual(json[0].series[0].value, [0.5, 'NaN']);
  await rejectsArgument(store.exportRuns({}, { format: 'xml' as 'csv' }), { fn: 'exportRuns', arg: 'format' });
});

test('a folder that is not a store is refused and left untouched; a missing one is created only when asked', async () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'thesis.tex'), '\\documentclass{article}');
  await rejectsStore(openStore(dir), { code: 'not_a_store', file: dir, message: /thesis\.tex/ });
  assert.deepEqual(readdirSync(dir), ['thesis.tex']);
  await rejectsStore(openStore(path.join(dir, 'thesis.tex')), { code: 'not_a_store', message: /not a folder/ });
  await rejectsStore(openStore(path.join(dir, 'nope'), { create: false }), { code: 'store_not_found' });
  await rejectsStore(doctorStore(dir), { code: 'not_a_store' });
  const other = tempDir();
  writeFileSync(path.join(other, 'store.json'), JSON.stringify({ format: 'mlflow' }));
  await rejectsStore(openStore(other), { code: 'not_a_store', file: path.join(other, 'store.json') });
  writeFileSync(path.join(other, 'store.json'), JSON.stringify({ format: 'splam-store', version: 99 }));
  await rejectsStore(openStore(other), { code: 'unsupported_version' });
  const withReadme = tempDir();
  writeFileSync(path.join(withReadme, 'README.md'), '# store');
  await openStore(withReadme);
  assert.deepEqual(readdirSync(withReadme).sort(), ['README.md', 'index.json', 'runs', 'store.json'], 'a folder holding only a README becomes a store');
});

test('a torn index is reported as corrupt_index (never overwritten); doctor rebuilds it from the run folders and keeps the damaged file', async () => {
  const { dir, store } = await freshStore();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await withRun(store, { params: { i }, provenance: NO_GIT }, (run) => (run.logMetric('loss', i), run.id)));
  const indexPath = path.join(dir, 'index.json');
  const whole = readFileSync(indexPath, 'utf8');
  const torn = whole.slice(0, Math.floor(whole.length * 0.6));
  writeFileSync(indexPath, torn);

  await rejectsStore(openStore(dir), { code: 'corrupt_index', file: indexPath, message: /splam runs doctor/ });
  await rejectsStore(store.listRuns(), { code: 'corrupt_index' });
  assert.equal(readFileSync(indexPath, 'utf8'), torn, 'still the torn bytes');

  const check = await doctorStore(dir);
  assert.equal(check.index, 'corrupt');
  assert.equal(check.repaired, false);
  assert.deepEqual(check.issues.map((i) => i.code), ['corrupt_index']);
  assert.equal(readFileSync(indexPath, 'utf8'), torn, 'a dry run changes nothing');

  const fixed = await doctorStore(dir, { repair: true });
  assert.equal(fixed.repaired, true);
  assert.equal(fixed.runs, 5);
  assert.ok(fixed.backup !== null && readFileSync(fixed.backup, 'utf8') === torn, 'the damaged index is kept as a backup');
  assert.deepEqual(fixed.actions, [`moved the corrupt index to ${fixed.backup}`, 'rebuilt the index from 5 run folder(s)']);
  const reopened = await openStore(dir);
  assert.deepEqual((await reopened.listRuns()).map((r) => r.id).sort(), [...ids].sort());
  assert.deepEqual((await doctorStore(dir)).issues, []);
});

test('a lost index with runs on disk fails open with missing_index; doctor restores it, and restores a broken run.json from the index', async () => {
  const { dir, store } = await freshStore();
  const id = await withRun(store, { provenance: NO_GIT }, (run) => run.id);
  const indexPath = path.join(dir, 'index.json');
  rmSync(indexPath);
  await rejectsStore(openStore(dir), { code: 'missing_index', file: indexPath });
  const r = await doctorStore(dir, { repair: true });
  assert.deepEqual(r.issues.map((i) => i.code), ['missing_index']);
  assert.equal((await (await openStore(dir)).getRun(id)).id, id);

  const runJson = path.join(dir, 'runs', id, 'run.json');
  writeFileSync(runJson, '{"id": "');
  await rejectsStore(store.getRun(id), { code: 'corrupt_run', file: runJson });
  const r2 = await doctorStore(dir, { repair: true });
  assert.deepEqual(r2.issues.map((i) => [i.code, i.runId]), [['bad_run_record', id]]);
  assert.equal((await store.getRun(id)).status, 'finished', 'run.json restored from the index copy');
});

test('doctor reports torn series tails, stray temp files and foreign entries, and removes only the temp files', async () => {
  const { dir, store } = await freshStore();
  const id = await withRun(store, { provenance: NO_GIT }, (run) => (run.logMetric('loss', 1), run.id));
  appendFileSync(path.join(dir, 'runs', id, 'metrics.jsonl'), '{"k":"loss","s":1,"v"');
  writeFileSync(path.join(dir, `.index.json.${process.pid}.0123456789ab.tmp`), '{');
  mkdirSync(path.join(dir, 'runs', 'not a run'));
  const r = await store.doctor({ repair: true });
  assert.deepEqual(r.issues.map((i) => i.code).sort(), ['foreign_entry', 'stray_temp', 'torn_metrics']);
  assert.deepEqual(r.actions, ['removed 1 temp file(s) left by interrupted writes'], 'only the temp file is a repair');
  assert.equal(needsRepair(await store.doctor()), false, 'what remains is reported, not repairable');
  assert.deepEqual((await store.readMetrics(id))[0].step, [0], 'the torn point is skipped on read');
  assert.ok(!existsSync(path.join(dir, `.index.json.${process.pid}.0123456789ab.tmp`)));
  assert.ok(existsSync(path.join(dir, 'runs', 'not a run')), 'foreign entries are left alone');
});

eachBackend('deleteRun removes the folder and the index entry, and refuses a live run unless forced', async (b) => {
  const { store, artifactsDir } = await b.fresh();
  const done = await withRun(store, { provenance: NO_GIT }, (run) => run.id);
  const live = await store.startRun({ provenance: NO_GIT });
  await rejectsStore(store.deleteRun(live.id), { code: 'run_active', runId: live.id });
  await store.deleteRun(done);
  await store.deleteRun(live.id, { force: true });
  assert.deepEqual(await store.listRuns(), []);
  if (b.name === 'file') assert.deepEqual(readdirSync(path.dirname(path.dirname(artifactsDir(done)))), []);
  assert.ok(!existsSync(artifactsDir(done)) && !existsSync(artifactsDir(live.id)), 'artifact folders removed');
  await rejectsStore(store.getRun(done), { code: 'run_not_found', runId: done });
});

eachBackend('concurrent startRun calls in one process all land (in-process queue + lock), and a live run keeps its heartbeat fresh', async (b) => {
  const { store, artifactsDir } = await b.fresh({ heartbeatMs: 50 });
  const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => store.startRun({ params: { i }, provenance: NO_GIT })));
  assert.equal((await store.listRuns()).length, 20);
  // File store: the heartbeat file's mtime; PostgreSQL: the heartbeat_at column (getRun reports either).
  const beat = async () => (b.name === 'file' ? statSync(path.join(path.dirname(artifactsDir(runs[0].id)), 'heartbeat')).mtimeMs : (await store.getRun(runs[0].id)).heartbeatAt);
  const t0 = await beat();
  await sleep(150);
  assert.ok((await beat()) > t0, 'the heartbeat was touched');
  await Promise.all(runs.map((r) => r.finish()));
  assert.equal((await store.listRuns({ status: 'finished' })).length, 20);
});

eachBackend('a closed store refuses new runs with store_closed; openStore validates its options', async (b) => {
  const { store } = await b.fresh();
  await store.close();
  await rejectsStore(store.startRun(), { code: 'store_closed' });
  await assert.rejects(b.fresh({ flush: { batchSize: 0 } }), (e: unknown) => e instanceof ArgumentError && e.arg === 'batchSize');
});
