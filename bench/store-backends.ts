/**
 * bench/store-backends: the two run-store backends side by side — the file store (lowdb index +
 * JSONL series) and PostgreSQL — in one run, through the public API only:
 *   1. logging throughput: 1 writer process, then 8 at once, each run = startRun + `points` × logMetric + finish;
 *      points/s over the wall time from the start barrier to the last writer's end (the 8-writer pass writes
 *      `runs` runs, the 1-writer pass runs/8: the same load per writer);
 *   2. queries over the 8-writer store, topped up to `query-runs` runs (default: `runs`) with runs of the same
 *      shape written in bulk (file store: its on-disk format directly, then the index once — through the API each
 *      start/finish rewrites the whole index, minutes at 10,000 runs; PostgreSQL: RunStore.importRun): the filter 'params.k = 20 and metrics.fid < 10', a filter
 *      with OR + order + limit, a tag + experiment selection, and readMetrics of one run; the filter also from a new
 *      store handle each time (the file store's handle keeps the parsed index while the file's bytes are unchanged).
 *      Medians of 5.
 * Goals: PostgreSQL ≥ 200,000 points/s from 8 writers; a filtered query over 10,000 runs ≤ 100 ms.
 * Needs a server: SPLAM_PG_URL (eval "$(bash scripts/pg-start.sh)"); each run uses a fresh schema, dropped after.
 * Saves bench/results/store-backends-<runs>x<points>[-f<file runs>][-q<query runs>][-<backend>].json (machine,
 * backends, figures, goals).
 *
 *   npm run bench:store-backends                       (10,000 runs × 1,000 points per backend)
 *   npm run bench:store-backends -- --runs 2000 --query-runs 10000   (logging at 2,000 runs, queries at 10,000)
 *   npm run bench:store-backends -- --runs 10000 --file-runs 2000    (the file store logs 2,000 runs: at 10,000
 *                                                       its API logging takes about half an hour on 2 cores)
 *   npm run bench:store-backends -- --backends postgres (one backend only; no server needed for --backends file)
 *   npm run bench:store-backends -- --quick             (--runs 400 --points 200)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { collectProvenance, newRunId, openStore, type RunRecord, type RunStore } from '../lib/track/index.js';
import { encodePoint } from '../lib/track/metrics-log.js';
import { encodeRecord } from '../lib/track/record.js';
import { indexFile } from '../lib/track/run-index.js';
import { numberArg, ResultTable, saveResult } from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(here);
const QUICK = process.argv.includes('--quick');
type Backend = 'file' | 'postgres';
const ALL_BACKENDS: readonly Backend[] = ['file', 'postgres'];
const usage = (msg: string): never => {
  console.error(`bench:store-backends: ${msg}`);
  process.exit(2);
};
const backendsArg = process.argv.indexOf('--backends');
const BACKENDS = (backendsArg < 0 ? ALL_BACKENDS.join(',') : (process.argv[backendsArg + 1] ?? '')).split(',') as Backend[];
for (const b of BACKENDS) if (!ALL_BACKENDS.includes(b)) usage(`--backends takes a comma-separated list of ${ALL_BACKENDS.join(', ')} (got ${JSON.stringify(b)})`);
const RUNS = numberArg('runs', QUICK ? 400 : 10_000);
/** Runs logged through the API by the file store's 8-writer pass (default: --runs). */
const FILE_RUNS = numberArg('file-runs', RUNS);
const POINTS = numberArg('points', QUICK ? 200 : 1_000);
const loggedRuns = (b: Backend) => (b === 'file' ? FILE_RUNS : RUNS);
const QUERY_RUNS = numberArg('query-runs', Math.max(...BACKENDS.map(loggedRuns)));
const WRITERS = [1, 8];
const PG_URL = process.env.SPLAM_PG_URL;
if (BACKENDS.includes('postgres') && !PG_URL) usage('the postgres backend needs a server: eval "$(bash scripts/pg-start.sh)" (sets SPLAM_PG_URL), or --backends file');
for (const [flag, n] of [['runs', RUNS], ['file-runs', FILE_RUNS]] as const) {
  if (!(Number.isInteger(n) && n >= 8 && n % 8 === 0)) usage(`--${flag} must be a positive multiple of 8 (got ${n})`);
}
for (const b of BACKENDS) {
  if (QUERY_RUNS < loggedRuns(b)) usage(`--query-runs (${QUERY_RUNS}) must be at least the runs ${b} logs (${loggedRuns(b)})`);
}

const root = mkdtempSync(path.join(os.tmpdir(), 'splam-bench-backends-'));
const schemas: string[] = [];

/** A fresh store location of `backend`. */
function location(backend: Backend, tag: string): string {
  if (backend === 'file') return path.join(root, `file-${tag}`);
  const schema = `bench_${tag}_${process.pid}`;
  schemas.push(schema);
  const u = new URL(PG_URL!);
  u.searchParams.set('schema', schema);
  u.searchParams.set('artifacts', path.join(root, `pg-artifacts-${tag}`));
  return u.toString();
}

/** `writers` processes, each `runs` runs × POINTS points, started together. @returns wall seconds. */
async function logPass(loc: string, writers: number, runs: number): Promise<number> {
  await (await openStore(loc)).close(); // create the store (or schema) once, outside the timing
  const children = Array.from({ length: writers }, (_, w) =>
    spawn(process.execPath, ['--import', 'tsx', path.join(here, 'store-writer.ts'), loc, String(w), String(runs), String(POINTS), String(w * runs)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const line = (c: (typeof children)[number], want: string) =>
    new Promise<void>((resolve, reject) => {
      let buf = '';
      c.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.split('\n').includes(want)) resolve();
      });
      c.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`writer exited with ${code}`))));
    });
  await Promise.all(children.map((c) => line(c, 'ready')));
  const t0 = performance.now();
  const done = children.map((c) => line(c, 'done'));
  for (const c of children) c.stdin!.end('go\n'); // EOF after the line: the writer's stdin lets it exit
  await Promise.all(done);
  const s = (performance.now() - t0) / 1000;
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))));
  return s;
}

/** Run i as a writer of store-writer.ts would have logged it (same params, tags, summary and series). */
const provenance = collectProvenance({ skipGit: true });
function synthRun(i: number): { record: RunRecord; series: { key: string; step: number[]; value: number[]; time: number[] }[] } {
  const ks = [10, 20, 40, 80];
  const gammas = ['one', 'uniform', 'beta'];
  const fid = 5 + ((i * 2654435761) % 2 ** 32) / 2 ** 32 * 20;
  const created = Date.now() - (QUERY_RUNS - i) * 1000;
  const step = Array.from({ length: POINTS }, (_, s) => s);
  const value = step.map((s) => fid * Math.exp(-s / 200));
  const id = newRunId(created);
  return {
    record: {
      id, name: id, experiment: `exp-${i % 10}`, status: 'finished', createdAt: created, endedAt: created + 500, heartbeatAt: created + 500,
      pid: 1, pidStart: null, host: 'bench',
      params: { k: ks[i % 4], lr: [1e-4, 3e-4, 1e-3][i % 3], gamma: gammas[i % 3], seed: i, loss: { kind: 'pseudoHuber', c: 0.03 }, ema: { mu: 0.95 } },
      tags: { paper: 'table2', writer: String(i % 8) }, summary: { loss: value[POINTS - 1], fid }, artifacts: [], provenance: { ...provenance, seed: i }, error: null, resumedAt: [],
    },
    series: [{ key: 'loss', step, value, time: step.map((s) => created + s) }],
  };
}

/** Add runs `from`…`to`-1 to the store at `loc` in bulk. @returns seconds. */
async function topUp(backend: Backend, loc: string, from: number, to: number): Promise<number> {
  const t0 = performance.now();
  if (backend === 'file') {
    const index = indexFile(path.join(loc, 'index.json'));
    const data = await index.read();
    if (data === null) throw new Error(`no index in ${loc}`);
    for (let i = from; i < to; i++) {
      const { record, series } = synthRun(i);
      const dir = path.join(loc, 'runs', record.id);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'metrics.jsonl'), series[0].step.map((s, j) => encodePoint('loss', s, series[0].value[j], series[0].time[j])).join(''));
      writeFileSync(path.join(dir, 'heartbeat'), '');
      writeFileSync(path.join(dir, 'run.json'), JSON.stringify(encodeRecord(record), null, 2));
      data.runs[record.id] = record;
    }
    await index.write(data);
  } else {
    const store = await openStore(loc, { create: false });
    // Four at a time (the store's pool has four connections).
    for (let i = from; i < to; i += 4) {
      await Promise.all(Array.from({ length: Math.min(4, to - i) }, (_, j) => store.importRun({ ...synthRun(i + j), artifacts: [] })));
    }
    await store.close();
  }
  return (performance.now() - t0) / 1000;
}

const table = new ResultTable(64);
const note = (label: string, value: string) => table.note(label, value);
const loadavgAtStart = os.loadavg()[0];

const results: Record<string, unknown> = {};
try {
  for (const backend of BACKENDS) {
    console.log(`\n${backend}: logging (${POINTS} points per run)`);
    const logging: Record<string, unknown> = {};
    const logged = loggedRuns(backend);
    let big = '';
    for (const w of WRITERS) {
      const runs = logged / 8; // per writer: the same load for each writer in both passes
      const loc = location(backend, `w${w}`);
      const s = await logPass(loc, w, runs);
      const points = w * runs * POINTS;
      logging[`writers${w}`] = { writers: w, runs: w * runs, points, seconds: s, pointsPerS: points / s, runsPerS: (w * runs) / s };
      note(`${backend}: ${w} writer(s), ${(w * runs).toLocaleString('en')} runs × ${POINTS}, points/s`, Math.round(points / s).toLocaleString('en'));
      if (w === 8) big = loc;
    }
    let topUpS = 0;
    if (QUERY_RUNS > logged) {
      topUpS = await topUp(backend, big, logged, QUERY_RUNS);
      note(`${backend}: bulk top-up to ${QUERY_RUNS.toLocaleString('en')} runs, s`, topUpS.toFixed(1));
    }
    console.log(`${backend}: queries over ${QUERY_RUNS.toLocaleString('en')} runs`);
    const store: RunStore = await openStore(big, { create: false });
    const q: Record<string, number> = {};
    let n = 0;
    const time = (key: string, label: string, fn: () => Promise<unknown>, repeats = 5) => table.time(q, key, `${backend}: ${label}, ms`, fn, repeats);
    const all = await store.listRuns();
    if (all.length !== QUERY_RUNS) throw new Error(`${backend}: ${all.length} runs, expected ${QUERY_RUNS}`);
    await time('filter', "filter 'params.k = 20 and metrics.fid < 10'", async () => (n = (await store.listRuns({ filter: 'params.k = 20 and metrics.fid < 10' })).length));
    const matches = n;
    // The same filter from a new handle each time (openStore + the query): the file store parses its index again
    // (a handle re-parses only when the index file's bytes changed), PostgreSQL connects again.
    await time('filterNewHandle', "the same filter on a new store handle (openStore + query)", async () => {
      const fresh = await openStore(big, { create: false });
      try {
        await fresh.listRuns({ filter: 'params.k = 20 and metrics.fid < 10' });
      } finally {
        await fresh.close();
      }
    });
    await time('filterOrOrderLimit', 'filter with OR + order by metrics.fid + limit 10', () =>
      store.listRuns({ filter: '(params.gamma = "uniform" or params.gamma = "beta") and attributes.status = "finished"', orderBy: 'metrics.fid ASC', limit: 10 }),
    );
    await time('tagExperiment', 'tag writer=3 + experiment exp-3', () => store.listRuns({ tags: { writer: '3' }, experiment: 'exp-3' }));
    await time('listAll', `listRuns() all ${QUERY_RUNS}`, () => store.listRuns(), 3);
    await time('readMetrics', `readMetrics one run (${POINTS} points)`, () => store.readMetrics(all[Math.floor(all.length / 2)].id), 21);
    await store.close();
    results[backend] = { loggedRuns: logged, logging, queryRuns: QUERY_RUNS, topUpS, queriesMs: q, filterMatches: matches };
  }
} finally {
  if (PG_URL && BACKENDS.includes('postgres')) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    results.postgresVersion = (await c.query<{ v: string }>('SHOW server_version')).rows[0].v;
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await c.end();
  }
  rmSync(root, { recursive: true, force: true });
}

type Measured = { logging: { writers8: { pointsPerS: number } }; queriesMs: { filter: number } };
const measured = (b: Backend) => results[b] as Measured | undefined;

const out = {
  bench: 'store-backends',
  command: `npm run bench:store-backends -- ${process.argv.slice(2).join(' ')}`.trim(),
  runs: RUNS,
  fileRuns: BACKENDS.includes('file') ? FILE_RUNS : undefined,
  queryRuns: QUERY_RUNS,
  pointsPerRun: POINTS,
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadavg1AtStart: loadavgAtStart,
    loadavg1AtEnd: os.loadavg()[0],
    date: new Date().toISOString(),
  },
  backends: Object.fromEntries(
    BACKENDS.map((b) => [b, b === 'file' ? 'lowdb index + JSONL series (tmpdir)' : `PostgreSQL ${results.postgresVersion} on 127.0.0.1 (scripts/pg-start.sh), same machine`]),
  ),
  ...results,
  goals: {
    postgres8WritersPointsPerS: { goal: 200_000, measured: measured('postgres')?.logging.writers8.pointsPerS ?? null },
    filterMs: { goal: 100, file: measured('file')?.queriesMs.filter ?? null, postgres: measured('postgres')?.queriesMs.filter ?? null },
  },
  table: table.rows,
};
// One file per size and backend set.
const name = [
  `store-backends-${RUNS}x${POINTS}`,
  BACKENDS.includes('file') && FILE_RUNS !== RUNS ? `-f${FILE_RUNS}` : '',
  QUERY_RUNS > RUNS ? `-q${QUERY_RUNS}` : '',
  BACKENDS.length === 1 ? `-${BACKENDS[0]}` : '',
].join('');
console.log(`\nsaved ${path.relative(process.cwd(), saveResult(name, out))}`);
