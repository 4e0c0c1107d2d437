/**
 * The PostgreSQL run store's own promises, on the server of scripts/pg-start.sh (SPLAM_PG_URL;
 * skipped without one, failing under CI=true — see backends.ts). The backend-neutral suite runs in store.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { doctorStore, isPostgresUrl, openStore, type RunRecord, type RunStore } from '../../lib/track/index.js';
import { float8Array, int8Array, INSERT_POINTS } from '../../lib/track/postgres/records.js';
import { PgRun, type PgRunHost } from '../../lib/track/postgres/run.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../lib/track/postgres/schema.js';
import type { PgRunStore } from '../../lib/track/postgres/store.js';
import { freshPgUrl, PG_SKIP, PG_URL } from './backends.js';
import { NO_GIT, ROOT, rejectsStore, spawnTs, type Child } from './helpers.js';

const skip = PG_SKIP;

async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(schema: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path="${schema}"` });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

test('postgres:// selects the PostgreSQL store; the schema is created once, versioned, and a newer or foreign one is refused', { skip }, async () => {
  assert.equal(isPostgresUrl('postgres://u@h/db'), true);
  assert.equal(isPostgresUrl('postgresql://u@h/db'), true);
  assert.equal(isPostgresUrl('./store'), false);
  const { url, schema } = freshPgUrl();
  await rejectsStore(openStore(url, { create: false }), { code: 'store_not_found' });
  // Eight openers of a fresh schema at once: the advisory lock lets one create it, the others find it.
  const stores = await Promise.all(Array.from({ length: 8 }, () => openStore(url)));
  assert.equal(stores[0].constructor.name, 'PgRunStore');
  assert.ok(!stores[0].location.includes('password'));
  const versions = await sql<{ version: number }>(schema, 'SELECT version FROM schema_version ORDER BY version');
  assert.deepEqual(versions.map((v) => v.version), MIGRATIONS.map((m) => m.version));
  for (const s of stores) await s.close();

  await sql(schema, 'INSERT INTO schema_version (version, description) VALUES ($1, $2)', [SCHEMA_VERSION + 1, 'from the future']);
  await rejectsStore(openStore(url), { code: 'unsupported_version', message: new RegExp(`version ${SCHEMA_VERSION + 1} store`) });

  const foreign = freshPgUrl();
  await sql('public', `CREATE SCHEMA "${foreign.schema}"; CREATE TABLE "${foreign.schema}".runs (x int)`);
  await rejectsStore(openStore(foreign.url), { code: 'not_a_store', message: /has tables runs but no schema_version/ });
  assert.deepEqual((await sql(foreign.schema, 'SELECT count(*)::int AS n FROM runs'))[0], { n: 0 }, 'nothing was changed');
});

test('a version-1 store (one row per point) migrates to batch rows in place: every point, its order and the run read back the same', { skip }, async () => {
  const { url, schema } = freshPgUrl();
  const v1 = MIGRATIONS.find((m) => m.version === 1)!;
  await sql('public', `CREATE SCHEMA "${schema}"`);
  await sql(schema, `CREATE TABLE schema_version (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); ${v1.sql}; INSERT INTO schema_version (version, description) VALUES (1, 'v1')`);
  // A run written by version 1: its record, and points in per-point rows, one key logged twice at step 3.
  const scratch = freshPgUrl();
  const first = await openStore(scratch.url);
  const run = await first.startRun({ name: 'old', experiment: 'migrate', params: { lr: 1 } });
  await run.finish();
  const rec = await first.getRun(run.id);
  await first.close();
  const row = (await sql(scratch.schema, 'SELECT * FROM runs'))[0];
  const cols = Object.keys(row);
  await sql(schema, `INSERT INTO runs (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, cols.map((c) => (typeof row[c] === 'object' && row[c] !== null ? JSON.stringify(row[c]) : row[c])));
  const points = [['loss', 1, 0.5], ['loss', 2, 0.25], ['acc', 1, 0.1], ['loss', 3, 0.2], ['loss', 3, 0.125]] as const;
  for (const [i, [key, step, value]] of points.entries()) await sql(schema, 'INSERT INTO metrics (run_id, seq, key, step, value, time) VALUES ($1, $2, $3, $4, $5, $6)', [run.id, i, key, step, value, 1000 + i]);

  const store = await openStore(url);
  const versions = await sql<{ version: number }>(schema, 'SELECT version FROM schema_version ORDER BY version');
  assert.deepEqual(versions.map((v) => v.version), MIGRATIONS.map((m) => m.version), 'migrated to the newest version');
  assert.equal((await sql<{ n: number }>(schema, 'SELECT count(*)::int AS n FROM metric_batches'))[0].n, 5, 'one batch row per old point');
  assert.deepEqual((await store.getRun(run.id)).params, rec.params);
  const series = Object.fromEntries((await store.readMetrics(run.id)).map((m) => [m.key, m]));
  assert.deepEqual(series.loss.step, [1, 2, 3, 3]);
  assert.deepEqual(series.loss.value, [0.5, 0.25, 0.2, 0.125], 'equal steps keep their logging order');
  assert.deepEqual(series.acc.value, [0.1]);
  // New points after the old ones continue the seq numbering; a resumed run reads them all.
  const resumed = await store.resumeRun(run.id);
  resumed.logMetric('loss', 0.0625, 4);
  await resumed.finish();
  assert.deepEqual((await store.readMetrics(run.id, ['loss']))[0].value, [0.5, 0.25, 0.2, 0.125, 0.0625]);
  await store.deleteRun(run.id);
  assert.equal((await sql<{ n: number }>(schema, 'SELECT count(*)::int AS n FROM metric_batches'))[0].n, 0, 'deleteRun removes the batches');
  await store.close();
});

test('an unreachable server is one StoreError line naming the server, never the password', { skip }, async () => {
  const err = await rejectsStore(openStore('postgres://splam:s3cret@127.0.0.1:1/splam'), { code: 'store_unreachable', message: /connection refused/ });
  assert.ok(!err.message.includes('s3cret'));
  assert.equal(err.message.split('\n').length, 1);
});

test('crash detection across hosts: a stale heartbeat marks a run crashed; the pid is checked only on the run\'s own host; doctor persists crashed', { skip }, async () => {
  const { url } = freshPgUrl();
  // The writer says it runs on another host, whose pids this process cannot see.
  const writer = await openStore(url, { host: 'node-a', heartbeatMs: 100 });
  const reader = await openStore(url, { heartbeatTimeoutMs: 1_000 });
  const run = await writer.startRun({ provenance: NO_GIT });
  run.logMetric('loss', 0.5);
  await run.flush();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pgWriter = writer as PgRunStore;
  await pgWriter.query('UPDATE runs SET pid = $1 WHERE id = $2', [Number(dead.stdout), run.id]);
  await sleep(1_300);
  assert.equal((await reader.getRun(run.id)).status, 'running', 'a dead pid on another host is not checked; the heartbeat is fresh');
  // Same run recorded on this host: now its (dead) pid is checked.
  const local = await reader.startRun({ provenance: NO_GIT });
  await (reader as PgRunStore).query('UPDATE runs SET pid = $1, pid_start = NULL WHERE id = $2', [Number(dead.stdout), local.id]);
  const l = await reader.getRun(local.id);
  assert.deepEqual([l.status, l.crashReason], ['crashed', 'process_gone']);
  await (reader as PgRunStore).query('UPDATE runs SET pid = $1 WHERE id = $2', [process.pid, local.id]);
  await local.finish();

  await writer.close(); // heartbeats stop; the run stays running in the database
  await sleep(1_300);
  const r = await reader.getRun(run.id);
  assert.deepEqual([r.status, r.crashReason], ['crashed', 'heartbeat_timeout']);
  assert.deepEqual((await reader.listRuns({ status: 'crashed' })).map((x) => x.id), [run.id]);
  const check = await reader.doctor();
  assert.deepEqual(check.issues.map((i) => [i.code, i.runId]), [['stale_running', run.id]]);
  const fixed = await doctorStore(url + '&heartbeatTimeoutMs=1000', { repair: true });
  assert.deepEqual(fixed.actions, ['recorded 1 crashed run(s)']);
  const stored = await reader.getRun(run.id);
  assert.equal(stored.status, 'crashed');
  assert.equal(stored.crashReason, undefined, 'persisted, not derived');
  assert.equal(stored.summary.loss, 0.5, 'summary completed from the series');
  assert.equal(stored.endedAt, r.heartbeatAt);
  assert.deepEqual((await reader.doctor()).issues, []);
  await reader.close();
});

test('a batch whose connection was cut is retried by the next flush: every point lands exactly once', { skip }, async () => {
  const { url, schema } = freshPgUrl();
  const store = await openStore(url, { flush: { batchSize: 50, intervalMs: 10_000 } });
  const run = await store.startRun({ provenance: NO_GIT });
  for (let s = 0; s < 120; s++) run.logMetric('loss', s, s);
  await run.flush();
  // Cut every connection of the store (as a server restart or a network failure would).
  await sql(schema, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'splam-lab' AND pid <> pg_backend_pid()");
  for (let s = 120; s < 300; s++) run.logMetric('loss', s, s);
  for (let attempt = 0; ; attempt++) {
    try {
      await run.flush();
      break;
    } catch (err) {
      assert.ok(attempt < 3, `flush still failing: ${(err as Error).message}`);
      assert.equal((err as { code?: string }).code, 'write_failed');
    }
  }
  await run.finish();
  const [series] = await store.readMetrics(run.id);
  assert.deepEqual(series.step, Array.from({ length: 300 }, (_, i) => i));
  await store.close();
});

test('a batch that committed but whose reply was lost is resent without doubling a point (the retry skips rows already there)', { skip }, async () => {
  const { url } = freshPgUrl();
  const store = (await openStore(url)) as PgRunStore;
  const started = await store.startRun({ provenance: NO_GIT });
  await (started as PgRun).close(false); // the row stays `running`; the handle below logs into it
  // A host whose first points insert commits and then fails, as a connection lost before the reply would.
  let lost = 0;
  const host: PgRunHost = {
    query: async (text, values, name) => {
      const r = await store.query(text, values, name);
      if (text === INSERT_POINTS && lost++ === 0) throw new Error('connection terminated after the insert committed');
      return r;
    },
    commit: (id, mutate) => store.commit(id, mutate),
    end: (id, end) => store.end(id, end),
    artifactPath: (fn, id, name) => store.artifactPath(fn, id, name),
    artifactsDir: (id) => store.artifactsDir(id),
    detach: () => undefined,
  };
  const run = new PgRun(host, started.record(), { heartbeatMs: 60_000, flush: { batchSize: 50, intervalMs: 60_000 } });
  for (let s = 0; s < 120; s++) run.logMetric('loss', s / 4, s);
  await assert.rejects(run.flush(), (err: { code?: string; message: string }) => err.code === 'write_failed' && /kept in memory/.test(err.message));
  await run.flush(); // the retry of the first batch (already stored) and the two after it
  await run.finish();
  const [series] = await store.readMetrics(run.id);
  assert.deepEqual(series.step, Array.from({ length: 120 }, (_, i) => i));
  assert.deepEqual(series.value, Array.from({ length: 120 }, (_, i) => i / 4));
  await store.close();
});

test('binary array parameters: values keep every bit (NaN, ±Infinity, -0, subnormals); steps and times must be safe integers', { skip }, async () => {
  const { url } = freshPgUrl();
  const store = await openStore(url);
  const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 5e-324, Number.MAX_VALUE, 0.1 + 0.2, -1.5e300];
  const run = await store.startRun({ provenance: NO_GIT });
  values.forEach((v, i) => run.logMetric('x', v, 2 ** 53 - 1 - (values.length - 1 - i)));
  await run.finish();
  const [series] = await store.readMetrics(run.id);
  assert.equal(series.value.length, values.length);
  series.value.forEach((v, i) => assert.ok(Object.is(v, values[i]), `value ${i}: ${v} read back, ${values[i]} logged`));
  assert.equal(series.step[values.length - 1], Number.MAX_SAFE_INTEGER);
  await store.close();
  assert.throws(() => int8Array([1, 2.5], 'time'), /time\[1\] = 2\.5 .*expected a safe integer/);
  assert.throws(() => int8Array([2 ** 53], 'step'), /expected a safe integer/);
  assert.equal(float8Array([]).length, 20, 'an empty array is its header');
});

test('SPLAM_STORE=postgres://… and --store postgres://… select the PostgreSQL store in the CLI', { skip }, async () => {
  const { url } = freshPgUrl();
  const store = await openStore(url);
  const run = await store.startRun({ experiment: 'cli', params: { k: 20 }, provenance: NO_GIT });
  run.logMetric('fid', 7);
  await run.finish();
  await store.close();
  const splam = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, ['bin/splam.mjs', ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  const viaEnv = splam(['runs', 'ls', '--json', '-f', 'params.k = 20 and metrics.fid < 10'], { SPLAM_STORE: url });
  assert.equal(viaEnv.status, 0, viaEnv.stderr);
  assert.deepEqual(JSON.parse(viaEnv.stdout).map((r: { id: string }) => r.id), [run.id]);
  const viaFlag = splam(['runs', 'show', run.id, '--json', '--store', url]);
  assert.equal(viaFlag.status, 0, viaFlag.stderr);
  assert.equal(JSON.parse(viaFlag.stdout).summary.fid, 7);
  const doctor = splam(['runs', 'doctor', '--dry-run', '--store', url]);
  assert.equal(doctor.status, 0, doctor.stderr + doctor.stdout);
  const missing = splam(['runs', 'ls', '--store', freshPgUrl().url]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /StoreError: no run store at postgres:/);
});

test('8 writer processes × 25 runs × 1,000 points, 3 killed with -9: no acknowledged point lost, killed runs read as crashed (stale heartbeat)', { skip, timeout: 180_000 }, async () => {
  const { url } = freshPgUrl();
  await (await openStore(url)).close(); // create the schema once
  const WRITERS = 8;
  const RUNS = 25;
  const POINTS = 1_000;
  // Writers 1 and 4 are killed for sure in the middle of a run: they announce `hold` after 300 acknowledged
  // points of their run 1 + w % 3 and go on writing slowly. Writer 6 is killed wherever it is when its 10th run
  // starts (mid-run, or between a finish and the next start).
  const HELD = new Map([[1, 1 + (1 % 3)], [4, 1 + (4 % 3)]]);
  const KILLED = new Set([...HELD.keys(), 6]);
  const t0 = Date.now();
  const children: Child[] = [];
  for (let w = 0; w < WRITERS; w++) {
    const hold = HELD.has(w) ? `${HELD.get(w)}:300` : '-';
    children.push(spawnTs('test/track/fixtures/pg-writer.ts', [url, String(w), String(RUNS), String(POINTS), '100', `writer-host-${w}`, '200', hold]));
  }
  const heldIds = new Map<number, string>();
  const kills = [...KILLED].map(async (w) => {
    const c = children[w];
    if (HELD.has(w)) heldIds.set(w, (await c.line('hold ')).split(' ')[1]);
    else await untilStarts(c, 10);
    c.proc.kill('SIGKILL');
  });
  await Promise.all(kills);
  const results = await Promise.all(children.map((c) => c.exited));
  const elapsed = (Date.now() - t0) / 1000;
  for (let w = 0; w < WRITERS; w++) {
    if (KILLED.has(w)) assert.equal(results[w].signal, 'SIGKILL', `writer ${w} was killed`);
    else assert.equal(results[w].code, 0, `writer ${w}: ${results[w].stderr}`);
  }
  // What each writer printed in whole lines (a kill may cut the last one): acknowledged points per run.
  const acked = new Map<string, number>();
  const finished = new Set<string>();
  const started = new Set<string>();
  for (const r of results) {
    const lines = r.stdout.split('\n');
    lines.pop(); // the text after the last newline: empty, or a line cut by the kill
    for (const l of lines) {
      const [what, id, n] = l.split(' ');
      if (what === 'start') started.add(id);
      if (what === 'ack') acked.set(id, Number(n));
      if (what === 'finished') finished.add(id);
    }
  }
  await sleep(1_000); // the killed writers' heartbeats go stale (limit below: 600 ms, beats every 200 ms)
  const store: RunStore = await openStore(url, { heartbeatTimeoutMs: 600 });
  const runs = await store.listRuns();
  const byId = new Map(runs.map((r) => [r.id, r]));
  for (const id of started) assert.ok(byId.has(id), `started run ${id} is recorded`);
  let points = 0;
  let ackedPoints = 0;
  const unfinished = new Map<number, RunRecord[]>();
  for (const rec of runs) {
    const w = Number(rec.params.writer);
    const [series] = await store.readMetrics(rec.id);
    const steps = series?.step ?? [];
    points += steps.length;
    ackedPoints += acked.get(rec.id) ?? 0;
    // Batches land whole and in order: a prefix 0…n-1 of the run's steps, never a gap or a duplicate.
    assert.deepEqual(steps, Array.from({ length: steps.length }, (_, i) => i), `run ${rec.id}: steps are a gapless prefix`);
    assert.deepEqual(series?.value ?? [], steps.map((s) => w * 1e6 + Number(rec.params.r) * 1e3 + s), `run ${rec.id}: values as written`);
    assert.ok(steps.length >= (acked.get(rec.id) ?? 0), `run ${rec.id}: ${steps.length} points stored, ${acked.get(rec.id)} acknowledged`);
    if (rec.status === 'finished') {
      assert.equal(steps.length, POINTS, `finished run ${rec.id} has every point`);
      continue;
    }
    assert.ok(!finished.has(rec.id), `run ${rec.id} printed finished but reads ${rec.status}`);
    assert.deepEqual([rec.status, rec.crashReason], ['crashed', 'heartbeat_timeout'], `run ${rec.id} of writer ${w}`);
    unfinished.set(w, [...(unfinished.get(w) ?? []), rec]);
  }
  for (let w = 0; w < WRITERS; w++) {
    const mine = runs.filter((r) => Number(r.params.writer) === w);
    if (!KILLED.has(w)) {
      assert.deepEqual([mine.length, unfinished.get(w)?.length ?? 0], [RUNS, 0], `writer ${w}: ${RUNS} finished runs`);
      continue;
    }
    assert.ok((unfinished.get(w)?.length ?? 0) <= 1, `killed writer ${w} left at most one run unfinished`);
    if (HELD.has(w)) {
      const [crashed] = unfinished.get(w) ?? [];
      assert.equal(crashed?.id, heldIds.get(w), `writer ${w}: the run it was killed in reads as crashed`);
      assert.equal(mine.length, HELD.get(w)! + 1, `writer ${w}: its runs up to the held one`);
      assert.ok((acked.get(crashed.id) ?? 0) >= 300);
    }
  }
  assert.ok(ackedPoints > 0 && points >= ackedPoints);
  await store.close();
  console.log(`# ${WRITERS} writers, ${runs.length} runs, ${points} points stored (${ackedPoints} acknowledged) in ${elapsed.toFixed(1)} s; crashed: ${[...unfinished.values()].flat().length}`);
});

/** Resolve once the child has printed `n` start lines. */
function untilStarts(c: Child, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let tail = '';
    const onData = (d: string) => {
      const lines = (tail + d).split('\n');
      tail = lines.pop() ?? '';
      seen += lines.filter((l) => l.startsWith('start ')).length;
      if (seen >= n) {
        c.proc.stdout!.off('data', onData);
        resolve();
      }
    };
    c.proc.stdout!.on('data', onData);
    void c.exited.then(() => reject(new Error(`writer exited before its run ${n} started`)));
  });
}
