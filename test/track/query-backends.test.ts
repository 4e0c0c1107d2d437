/**
 * The same query selects the same runs, in the same order, on both backends: the PostgreSQL store reads only the
 * fields a query names (lib/track/postgres/projection.ts) and must agree with the file store on nested and dotted
 * params, JSON null against a missing field, arrays, NaN summaries, tags, ordering with missing values and limits,
 * and the numeric comparisons it pre-filters in SQL (prefilter).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore, newRunId, type Params, type RunQuery, type RunStore } from '../../lib/track/index.js';
import { freshPgUrl, PG_SKIP } from './backends.js';
import { NO_GIT, tempDir } from './helpers.js';

const RUNS: { params: Params; tags: Record<string, string>; summary: Record<string, number> }[] = [
  { params: { k: 20, train: { lr: 1e-3, steps: [100, 200] }, gamma: 'uniform' }, tags: { seed: '1', paper: 't2' }, summary: { fid: 8, loss: 0.1 } },
  { params: { k: 20, train: { lr: 3e-4 }, gamma: null }, tags: { seed: '2' }, summary: { fid: 12 } },
  { params: { k: 10, 'train.lr': 1e-3, gamma: 'one' }, tags: { seed: '3', paper: 't2' }, summary: { fid: Number.NaN, loss: 0.5 } },
  { params: { k: 40, train: { lr: 1e-3, steps: [50] } }, tags: {}, summary: { fid: 5 } },
  { params: { note: "it's 50% \"done\"", k: '20' }, tags: { paper: 't3' }, summary: {} },
];

const QUERIES: RunQuery[] = [
  { filter: 'params.k = 20 and metrics.fid < 10' },
  { filter: 'params.train.lr = 0.001' },
  { filter: 'params.train.steps.0 >= 100' },
  { filter: 'params.gamma IS NULL' },
  { filter: 'params.gamma IS NOT NULL' },
  { filter: 'params.train IS NULL' },
  { filter: 'params.note LIKE "%50\\%%"' },
  { filter: 'tags.paper IN ("t2", "t3") and not metrics.loss > 0.2' },
  { filter: 'metrics.fid != 8' },
  // Numeric comparisons PostgreSQL pre-filters in SQL (a superset): strings that read as numbers, the dotted key.
  { filter: 'params.k > 15' },
  { filter: 'params.train.lr <= 0.001 and params.k >= 10' },
  { filter: 'metrics.fid >= 8 and params.k = 20 and metrics.loss < 1' },
  { filter: 'params.gamma = 1 or params.k = 40' },
  { orderBy: 'metrics.fid ASC' },
  { orderBy: ['params.train.lr DESC', 'metrics.loss'] },
  { orderBy: 'params.k', limit: 2, offset: 1 },
  { tags: { paper: 't2' }, filter: 'params.k >= 10' },
  { experiment: 'q', status: ['finished', 'failed'], orderBy: 'attributes.name DESC' },
  { filter: 'attributes.name LIKE "run-%" and params.train.steps IS NOT NULL', orderBy: 'params.train.steps.0' },
  {},
];

async function fill(store: RunStore, ids: string[]): Promise<void> {
  for (const [i, r] of RUNS.entries()) {
    const run = await store.startRun({ id: ids[i], experiment: 'q', name: `run-${i}`, params: r.params, tags: r.tags, provenance: NO_GIT });
    if (i === 1) await run.fail(new Error('x'));
    else await run.finish(r.summary);
  }
}

test('every query selects the same runs in the same order on the file store and PostgreSQL', { skip: PG_SKIP }, async () => {
  const ids = RUNS.map((_, i) => newRunId(Date.UTC(2026, 0, 1, 0, i)));
  const file = await openStore(tempDir());
  const pg = await openStore(freshPgUrl().url);
  try {
    await fill(file, ids);
    await fill(pg, ids);
    for (const q of QUERIES) {
      const [a, b] = [await file.listRuns(q), await pg.listRuns(q)];
      assert.deepEqual(b.map((r) => r.id), a.map((r) => r.id), `query ${JSON.stringify(q)}`);
      assert.deepEqual(b.map((r) => r.params), a.map((r) => r.params), `whole records: ${JSON.stringify(q)}`);
    }
    assert.deepEqual((await pg.listRuns({ filter: 'params.k = 20 and metrics.fid < 10' })).map((r) => r.name), ['run-0'], 'not vacuous');
  } finally {
    await Promise.all([file.close(), pg.close()]);
  }
});
