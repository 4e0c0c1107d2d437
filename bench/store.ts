/**
 * bench/store: what the run store costs.
 *   1. Logging one metric point: buffered `logMetric` (the default flush policy, batch writes amortised), and
 *      `logMetric` + `flush()` per point (one write(2) each).
 *   2. A store of 10,000 runs × 1,000 points (written directly in the store's format: run.json, metrics.jsonl,
 *      heartbeat, then the index in one write): open, list/filter/order over the index, read one run and its
 *      series, compare runs, export, doctor, and start+finish a run (one index rewrite at this size).
 * Prints a table; saves bench/results/store.json with the machine. Medians of several repeats.
 *
 *   npm run bench:store                         (10,000 × 1,000 in a temp folder, removed afterwards)
 *   npm run bench:store -- --runs 1000 --points 100 --keep
 */
import { mkdirSync, rmSync, statSync, writeFileSync, mkdtempSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePoint } from '../lib/track/metrics-log.js';
import { encodeRecord } from '../lib/track/record.js';
import { emptyIndex, indexFile } from '../lib/track/run-index.js';
import { collectProvenance } from '../lib/track/provenance.js';
import { doctorStore, openStore, type RunRecord } from '../lib/track/index.js';
import { newRunId } from '../lib/track/paths.js';
import { medianMs, numberArg, ResultTable } from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RUNS = numberArg('runs', 10_000);
const POINTS = numberArg('points', 1_000);
const KEEP = process.argv.includes('--keep');
const NO_GIT = { gitCommit: null, gitDirty: null, gitBranch: null };

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const root = mkdtempSync(path.join(os.tmpdir(), 'splam-bench-store-'));
const results: Record<string, unknown> = {};
const table = new ResultTable(58);
const note = (label: string, value: string) => table.note(label, value);

try {
  // ---------------------------------------------------------------- 1. logging cost
  console.log('logging one metric point');
  {
    const store = await openStore(path.join(root, 'log'));
    const run = await store.startRun({ provenance: NO_GIT });
    const N = 200_000;
    const buffered = await medianMs(() => {
      for (let i = 0; i < N; i++) run.logMetric('loss', i * 1e-3);
    }, 3);
    await run.flush();
    const M = 5_000;
    const flushed = await medianMs(async () => {
      for (let i = 0; i < M; i++) {
        run.logMetric('loss', i * 1e-3);
        await run.flush();
      }
    }, 3);
    const t0 = performance.now();
    await run.finish();
    const finishMs = performance.now() - t0;
    results.logging = {
      bufferedUsPerPoint: (buffered * 1000) / N,
      flushEveryPointUsPerPoint: (flushed * 1000) / M,
      pointsPerBuffered: N,
      pointsPerFlushed: M,
      finishMs,
      flushPolicy: { batchSize: 256, intervalMs: 100 },
    };
    note('logMetric, buffered (256-point batches), µs/point', ((buffered * 1000) / N).toFixed(3));
    note('logMetric + flush() every point, µs/point', ((flushed * 1000) / M).toFixed(2));
    note('finish (fsync series, commit run.json + index), ms', finishMs.toFixed(2));
  }

  // ---------------------------------------------------------------- 1b. peer: plain lowdb, one write per point
  // The design the store replaces: metric points inside the lowdb document, `db.write()` per point (what a
  // lowdb user does by default). Measured in the same run, with a 1,000-run index beside the series.
  console.log('\npeer: plain lowdb 7 (JSONFile), points stored in the document, db.write() per point');
  {
    const { Low } = await import('lowdb');
    const { JSONFile } = await import('lowdb/node');
    type Doc = { runs: Record<string, { params: Record<string, number>; metrics: { k: string; s: number; v: number; t: number }[] }> };
    const db = new Low<Doc>(new JSONFile<Doc>(path.join(root, 'peer.json')), { runs: {} });
    for (let i = 0; i < 1000; i++) db.data.runs[`run${i}`] = { params: { k: i % 7, lr: 1e-3, seed: i }, metrics: [] };
    await db.write();
    const M = 500;
    const peerMs = await medianMs(async () => {
      for (let i = 0; i < M; i++) {
        db.data.runs.run0.metrics.push({ k: 'loss', s: i, v: i * 1e-3, t: Date.now() });
        await db.write();
      }
    }, 3);
    const peerUs = (peerMs * 1000) / M;
    const ours = results.logging as { bufferedUsPerPoint: number; flushEveryPointUsPerPoint: number };
    results.peerLowdb = { usPerPoint: peerUs, points: M, indexRuns: 1000, ratioBuffered: ours.bufferedUsPerPoint / peerUs, ratioFlushed: ours.flushEveryPointUsPerPoint / peerUs };
    note('peer: lowdb write() per point (1,000-run document), µs/point', peerUs.toFixed(1));
    note('time ratio ours/peer: buffered | flushed every point', `${(ours.bufferedUsPerPoint / peerUs).toExponential(2)} | ${(ours.flushEveryPointUsPerPoint / peerUs).toExponential(2)}`);
  }

  // ---------------------------------------------------------------- 2. a big store
  console.log(`\ngenerating ${RUNS.toLocaleString('en')} runs × ${POINTS.toLocaleString('en')} points`);
  const dir = path.join(root, 'big');
  {
    const store = await openStore(dir); // marker, runs/, empty index
    void store;
  }
  const provenance = collectProvenance({ seed: 0 });
  const t0 = performance.now();
  const index = emptyIndex();
  const rand = rng(1);
  const start = Date.now() - RUNS * 60_000;
  const ks = [10, 20, 40, 80];
  const gammas = ['one', 'uniform', 'beta'];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const created = start + i * 60_000;
    const id = newRunId(created);
    const runDir = path.join(dir, 'runs', id);
    mkdirSync(runDir);
    const fid = 5 + 20 * rand();
    const lines: string[] = new Array(POINTS);
    let last = 0;
    for (let s = 0; s < POINTS; s++) {
      last = fid * Math.exp(-s / 200) + 0.01 * rand();
      lines[s] = encodePoint('loss', s, last, created + s * 50);
    }
    const series = lines.join('');
    bytes += series.length;
    writeFileSync(path.join(runDir, 'metrics.jsonl'), series);
    writeFileSync(path.join(runDir, 'heartbeat'), '');
    const status = rand() < 0.9 ? 'finished' : 'failed';
    const rec: RunRecord = {
      id,
      name: id,
      experiment: `exp-${i % 10}`,
      status,
      createdAt: created,
      endedAt: created + POINTS * 50,
      heartbeatAt: created + POINTS * 50,
      pid: 1,
      pidStart: null,
      host: 'bench',
      params: { k: ks[i % 4], lr: [1e-4, 3e-4, 1e-3][i % 3], gamma: gammas[i % 3], seed: i, loss: { kind: 'pseudoHuber', c: 0.03 }, ema: { mu: 0.95 } },
      tags: { paper: 'table2', seed: String(i) },
      summary: { loss: last, fid },
      artifacts: [],
      provenance: { ...provenance, seed: i },
      error: status === 'failed' ? { name: 'Error', message: 'loss is NaN', stack: null } : null,
      resumedAt: [],
    };
    writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(encodeRecord(rec), null, 2));
    index.runs[id] = rec;
    if ((i + 1) % 2000 === 0) process.stderr.write(`  ${i + 1} runs\n`);
  }
  await indexFile(path.join(dir, 'index.json')).write(index);
  const genS = (performance.now() - t0) / 1000;
  const indexMB = statSync(path.join(dir, 'index.json')).size / 2 ** 20;
  note('generation (direct writes), s', genS.toFixed(1));
  note('index.json size, MB', indexMB.toFixed(1));
  note('metric files total, MB', (bytes / 2 ** 20).toFixed(0));

  console.log('\nqueries');
  const ids = Object.keys(index.runs);
  const probeId = ids[Math.floor(ids.length / 2)];
  const q: Record<string, number> = {};
  const time = (key: string, label: string, fn: () => Promise<unknown>, repeats = 5) => table.time(q, key, label, fn, repeats);
  const store = await openStore(dir);
  await time('openStore', 'openStore (read + check the index), ms', () => openStore(dir));
  await time('readIndex', 'read + parse + check index.json alone, ms', () => indexFile(path.join(dir, 'index.json')).read());
  let n = 0;
  await time('listAll', `listRuns() all ${RUNS} (newest first), ms`, async () => (n = (await store.listRuns()).length));
  if (n !== RUNS) throw new Error(`listed ${n} runs`);
  await time('filter', "listRuns filter 'params.k = 20 and metrics.fid < 10', ms", async () => (n = (await store.listRuns({ filter: 'params.k = 20 and metrics.fid < 10' })).length));
  results.filterMatches = n;
  await time('filterOrOrderLimit', "filter with OR + order by metrics.fid + limit 10, ms", () =>
    store.listRuns({ filter: '(params.gamma = "uniform" or params.gamma = "beta") and attributes.status = "finished"', orderBy: 'metrics.fid ASC', limit: 10 }),
  );
  await time('predicate', 'listRuns typed predicate + experiment + status, ms', () =>
    store.listRuns({ experiment: 'exp-3', status: 'finished', where: (r) => (r.params.k as number) >= 40 && r.summary.fid < 12 }),
  );
  await time('getRun', 'getRun (one run.json), ms', () => store.getRun(probeId), 21);
  await time('readMetrics', `readMetrics one run (${POINTS} points), ms`, () => store.readMetrics(probeId), 21);
  await time('compare5', `compare 5 runs on loss (${POINTS} steps), ms`, () => store.compare(ids.slice(0, 5), 'loss'), 11);
  await time('exportCsvAll', `exportRuns CSV, all ${RUNS} runs, ms`, () => store.exportRuns({}, { format: 'csv' }), 3);
  await time('doctorShallow', `doctor (check only) over ${RUNS} run folders, ms`, () => doctorStore(dir), 3);
  await time('startFinish', `startRun + finish at ${RUNS} runs (index rewrites), ms`, async () => {
    const run = await store.startRun({ provenance: NO_GIT });
    run.logMetric('loss', 1);
    await run.finish();
  }, 5);
  results.bigStore = { runs: RUNS, pointsPerRun: POINTS, generationS: genS, indexMB, metricsMB: bytes / 2 ** 20, queriesMs: q };
} finally {
  if (KEEP) console.log(`\nkept ${root}`);
  else rmSync(root, { recursive: true, force: true });
}

let fsType = 'unknown';
try {
  fsType = '0x' + statfsSync(os.tmpdir()).type.toString(16);
} catch {
  // Node without statfs
}
const out = {
  bench: 'store',
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tmpdir: os.tmpdir(),
    tmpdirFsType: fsType,
    date: new Date().toISOString(),
  },
  ...results,
  table: table.rows,
};
const file = path.join(here, 'results', 'store.json');
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.log(`\nsaved ${path.relative(process.cwd(), file)}`);
