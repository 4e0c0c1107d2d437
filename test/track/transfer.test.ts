/**
 * Moving runs between stores: `splam runs export --format store` and `splam runs import` copy
 * records, series and artifacts, verified equal — file store → PostgreSQL → file store round trip (needs the server
 * of scripts/pg-start.sh; see backends.ts), and the same between folders; bad input exits 2 writing nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { copyDifference, openStore, readRunCopy, type RunStore } from '../../lib/track/index.js';
import { freshPgUrl, PG_SKIP } from './backends.js';
import { NO_GIT, ROOT, tempDir } from './helpers.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 3]);

function splam(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/splam.mjs', ...args], { cwd: ROOT, env: { ...process.env, SPLAM_STORE: '/nonexistent/default-store' }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A store with a finished run (three keys, NaN, repeated steps, artifacts in folders), a failed one and a live one. */
async function filledStore(): Promise<{ dir: string; ended: string[]; live: string }> {
  const dir = tempDir();
  const store = await openStore(dir);
  const a = await store.startRun({ experiment: 'splam', name: 'k=20, "quoted"', params: { k: 20, train: { lr: 1e-3, steps: [1, 2] }, zeta: null, alpha: 'x' }, tags: { seed: 1, quick: true }, provenance: NO_GIT });
  for (let s = 0; s < 300; s++) a.logMetrics({ loss: 1 / (s + 1), 'eval/fid': 100 - s * 0.25 }, s);
  a.logMetric('loss', Number.NaN, 300);
  a.logMetric('grad', 1, 5);
  a.logMetric('grad', 2, 5); // the same step twice: order kept
  await a.logArtifact('samples/grid.png', PNG, { kind: 'png' });
  await a.logArtifact('figs/loss.json', { data: [{ y: [1, 0.5] }], layout: {} }, { kind: 'figure' });
  await a.logArtifact('checkpoint.bin', Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251)), { kind: 'checkpoint' });
  await a.finish({ fid: 7.5, inf: Number.POSITIVE_INFINITY });
  const b = await store.startRun({ experiment: 'lcm', params: { k: 10 }, provenance: NO_GIT });
  b.logMetric('loss', 3);
  await b.fail(new Error('diverged'));
  const live = await store.startRun({ experiment: 'lcm', params: { k: 50 }, provenance: NO_GIT });
  live.logMetric('loss', 1);
  await live.flush();
  await store.close(); // `live` stays running: this process is alive
  return { dir, ended: [a.id, b.id], live: live.id };
}

/** Every run of `ids` reads the same (record, series, artifact bytes) in both stores. */
async function assertSameRuns(x: RunStore, y: RunStore, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const [cx, cy] = [await readRunCopy(x, await x.getRun(id)), await readRunCopy(y, await y.getRun(id))];
    assert.equal(copyDifference(cx, cy), null, `run ${id}: ${x.location} vs ${y.location}`);
    assert.ok(cx.series.length >= 1 && cx.series.length === cy.series.length);
  }
}

test('file store → PostgreSQL → file store: records, series and artifacts arrive equal; live runs are skipped; a second export skips the equal copies', { skip: PG_SKIP, timeout: 120_000 }, async () => {
  const { dir, ended, live } = await filledStore();
  const { url, artifacts } = freshPgUrl();
  const out = splam(['runs', 'export', '--format', 'store', url, '--store', dir, '--json']);
  assert.equal(out.code, 0, out.stderr);
  const report = JSON.parse(out.stdout);
  assert.deepEqual([...report.copy].sort(), [...ended].sort());
  assert.deepEqual(report.skipped, [{ id: live, reason: 'running' }]);
  assert.equal(report.points, 300 * 2 + 1 + 2 + 1);
  assert.equal(report.artifacts, 3);
  assert.ok(existsSync(path.join(artifacts, ended[0], 'samples', 'grid.png')), 'artifacts in the URL\'s folder');

  const back = tempDir();
  const imp = splam(['runs', 'import', url, '--store', back]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /^copied 2 run\(s\) \(604 points, 3 artifacts, \d+ bytes\) from postgres:\/\/.* to .*; each read back and verified equal\n$/);

  const [src, pg, dst] = [await openStore(dir, { create: false }), await openStore(url, { create: false }), await openStore(back, { create: false })];
  try {
    await assertSameRuns(src, pg, ended);
    await assertSameRuns(src, dst, ended);
    assert.equal((await pg.listRuns()).length, 2);
    const [fid] = await pg.listRuns({ filter: 'metrics.fid < 10 and params.train.lr = 0.001' });
    assert.equal(fid.id, ended[0], 'the same query language finds the copy');
    assert.equal((await dst.getRun(ended[1])).error?.message, 'diverged');
    assert.equal((await dst.getRun(ended[0])).summary.inf, Number.POSITIVE_INFINITY);
  } finally {
    await Promise.all([src.close(), pg.close(), dst.close()]);
  }
  const again = splam(['runs', 'export', '--format', 'store', url, '--store', dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^copied 0 run\(s\)/);
  assert.equal(again.stdout.match(/already there \(equal\)/g)?.length, 2);
});

test('export --format store between folders creates the destination store and copies equal; import back into a store that has them skips them', async () => {
  const { dir, ended } = await filledStore();
  const dest = path.join(tempDir(), 'new-store');
  const out = splam(['runs', 'export', '--format', 'store', dest, '--store', dir, '-e', 'splam']);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^copied 1 run\(s\)/, 'the query selects what is copied');
  const [src, dst] = [await openStore(dir, { create: false }), await openStore(dest, { create: false })];
  try {
    await assertSameRuns(src, dst, [ended[0]]);
    assert.equal((await dst.listRuns()).length, 1);
  } finally {
    await Promise.all([src.close(), dst.close()]);
  }
  const imp = splam(['runs', 'import', dest, '--store', dir]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, new RegExp(`copied 0 run\\(s\\)[^\\n]*\\n  skipped ${ended[0]}: already there \\(equal\\)`));
});

test('bad input exits 2 with one line naming the argument, and writes nothing', async () => {
  const { dir } = await filledStore();
  const junk = tempDir();
  writeFileSync(path.join(junk, 'notes.txt'), 'not a store');
  const fresh = path.join(tempDir(), 'would-be-created');
  const cases: [string[], RegExp][] = [
    [['runs', 'export', '--format', 'store', '--store', dir], /destination/],
    [['runs', 'export', '--format', 'store', junk, '--store', dir], /destination.*not a run store/],
    [['runs', 'export', '--format', 'store', 'postgres://u@127.0.0.1:1/', '--store', dir], /destination = .*database/],
    [['runs', 'export', '--format', 'store', 'postgres://u@127.0.0.1:1/db?schema=Bad-Name', '--store', dir], /destination = .*schema = "Bad-Name"/],
    [['runs', 'export', '--format', 'store', fresh, '--out', path.join(junk, 'x.json'), '--store', dir], /--out/],
    [['runs', 'export', '--format', 'store', dir, '--store', dir], /destination.*the same store/],
    [['runs', 'export', fresh, '--store', dir], /destination.*only with --format store/],
        [['runs', 'import', path.join(junk, 'missing'), '--store', fresh], /source.*no run store there/],
    [['runs', 'import', dir, '--store', junk], /--store.*not a run store/],
  ];
  for (const [args, message] of cases) {
    const r = splam(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
  assert.ok(!existsSync(fresh), 'no store was created');
  assert.deepEqual(readdirSync(junk), ['notes.txt'], 'the foreign folder is untouched');
});

test('a different run under an id the destination already has stops the copy before anything is written', async () => {
  const { dir, ended } = await filledStore();
  const dest = tempDir();
  const other = await openStore(dest);
  const clash = await other.startRun({ id: ended[1], params: { k: 999 }, provenance: NO_GIT });
  await clash.finish();
  await other.close();
  mkdirSync(path.join(dest, 'x'), { recursive: true }); // not a run folder: doctor's business, not ours
  const r = splam(['runs', 'export', '--format', 'store', dest, '--store', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`StoreError: run ${ended[1]} is already in .* and differs \\(the run records differ\\); nothing was copied`));
  const check = await openStore(dest, { create: false });
  try {
    assert.deepEqual((await check.listRuns()).map((x) => x.id), [ended[1]], 'nothing was copied');
  } finally {
    await check.close();
  }
});
