import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openStore } from '../../lib/track/index.js';
import { groupKeys, shortLabels, writeRunReport } from '../../lib/report/build.js';
import { pixelStats, isBlank } from '../../lib/viz/pixels.js';
import { ArgumentError } from '../../lib/errors.js';
import { NO_GIT, tempDir } from '../track/helpers.js';

async function storeWithRuns(): Promise<{ dir: string; ids: string[] }> {
  const dir = tempDir('splam-report-');
  const store = await openStore(dir);
  const ids: string[] = [];
  for (const lr of [1e-3, 3e-4]) {
    const run = await store.startRun({ experiment: 'toy', name: `lr ${lr}`, params: { lr, steps: 50 }, seed: 0, provenance: NO_GIT });
    for (let i = 0; i < 50; i++) run.logMetrics({ 'train/loss': Math.exp(-lr * 1000 * i / 10), 'train/grad_norm': 1 / (1 + i) }, i);
    await run.logArtifact('eval.txt', `final loss ${lr}\n`, { kind: 'text' });
    await run.finish({ 'eval/error': lr * 100 });
    ids.push(run.id);
  }
  await store.close();
  return { dir, ids };
}

test('a run report is an HTML page in the store with one non-blank PNG per metric, its params and text artifacts', async () => {
  const { dir, ids } = await storeWithRuns();
  const store = await openStore(dir);
  try {
    const r = await writeRunReport(store, ids[0]);
    assert.equal(r.kind, 'run');
    assert.equal(r.dir, join(dir, 'reports', ids[0]));
    assert.deepEqual(r.figures, ['fig-1.png', 'fig-2.png'], 'train/loss and train/grad_norm on figures of their own (no headline: no per-step eval rows)');
    const html = readFileSync(r.html, 'utf8');
    assert.match(html, /<img src="fig-1.png"/);
    assert.match(html, /final loss 0.001/, 'text artifact inlined');
    assert.match(html, /<td>lr<\/td><td>0.001000<\/td>|<td>lr<\/td><td>1.000e-3<\/td>/);
    const s = await pixelStats(readFileSync(join(r.dir, 'fig-1.png')));
    assert.ok(!isBlank(s) && s.variance > 10, `figure pixel variance ${s.variance}`);
    assert.ok(!readdirSync(join(dir, 'reports')).some((f) => f.includes('.tmp-')), 'no temporary folder left');
  } finally {
    await store.close();
  }
});

test('an experiment report compares its runs and draws parallel coordinates over the params that differ', async () => {
  const { dir } = await storeWithRuns();
  const store = await openStore(dir);
  try {
    const r = await writeRunReport(store, 'toy');
    assert.equal(r.kind, 'experiment');
    assert.equal(r.runs, 2);
    assert.equal(r.figures.length, 3, 'train/loss and train/grad_norm compared, plus parallel coordinates');
    const html = readFileSync(r.html, 'utf8');
    assert.match(html, /params that differ: lr/);
    await assert.rejects(writeRunReport(store, 'toy', { color: 'nope' }), (e: unknown) => e instanceof ArgumentError && e.arg === '--color');
  } finally {
    await store.close();
  }
});

test('an unknown target is a clear error naming the experiments there are; the CLI exits 2', async () => {
  const { dir } = await storeWithRuns();
  const store = await openStore(dir);
  await assert.rejects(writeRunReport(store, 'missing'), (e: unknown) => e instanceof ArgumentError && /experiments: toy/.test(e.message));
  await store.close();
  const bin = new URL('../../bin/splam.mjs', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [bin, 'report', 'missing', '--store', dir], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /a run id or an experiment/);
  assert.ok(!existsSync(join(dir, 'reports', 'missing')));
});

test('metric keys group by their first segment; dotted param keys shorten without clashing', () => {
  assert.deepEqual(groupKeys(['train/loss', 'eval/a', 'train/gn', 'x']), [
    { group: 'train', keys: ['train/loss', 'train/gn'] },
    { group: 'eval', keys: ['eval/a'] },
    { group: 'x', keys: ['x'] },
  ]);
  assert.deepEqual(shortLabels(['objective.gamma.kind', 'objective.loss.kind', 'seed']), ['gamma.kind', 'loss.kind', 'seed']);
});
