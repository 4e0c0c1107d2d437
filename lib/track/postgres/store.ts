/**
 * The PostgreSQL run store: the {@link RunStore} interface over a PostgreSQL database, for many
 * processes on many hosts. Selected by a `postgres://` location (`SPLAM_STORE=postgres://…`, `--store
 * postgres://…`; URL parameters: url.ts). Records live in `runs` (jsonb params/summary/tags), points in
 * `metric_batches` (one row of arrays per flushed batch, read through the `metrics` view), tags in `tags`; the schema is created and migrated by the store
 * (schema.ts). Artifacts stay files, in the folder the URL names (`?artifacts=`, a shared filesystem across
 * hosts): `<artifacts>/<run id>/<name>`.
 *
 * Queries use the same language as the file store: the query's experiment, status and tags narrow the rows in
 * SQL, then lib/track/query.ts (filter.ts) selects, orders and limits the fetched records in JS, and only the
 * selected runs are fetched whole. Crash detection: a `running` run is `crashed` when its heartbeat (stamped by
 * the database clock) is older than the staleness limit, or — on its own host only — when its process is gone.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdir, readFile, realpath, rm, readdir, stat } from 'node:fs/promises';
import pg from 'pg';
import { ArgumentError, StoreError } from '../../errors.js';
import { compareRuns, exportRunsOf } from '../compare.js';
import { DEFAULT_FLUSH, type FlushPolicy } from '../metrics-log.js';
import { checkArtifactName, checkRunId, inside, newRunId, RUN_ID_PATTERN } from '../paths.js';
import { collectProvenance } from '../provenance.js';
import { compileQuery } from '../query.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_HEARTBEAT_TIMEOUT_MS, deriveStatus, isProcessAlive, processStartTime, type LivenessProbe } from '../status.js';
import { RUN_STATUSES, type DoctorIssue, type DoctorReport, type ExperimentInfo, type ExportOptions, type MetricComparison, type MetricSeries, type Run, type RunCopy, type RunQuery, type RunRecord, type RunStatus, type RunStore, type StartRunOptions } from '../types.js';
import { checkMetricKey, checkName, checkParams, checkRunName, checkTags, cloneJson } from '../validate.js';
import { ALL_COLUMNS, END_RUN, endValues, INSERT_POINTS, INSERT_RUN, LIGHT_COLUMNS, NOW_MS, pointValues, recordValues, rowToRecord, textArray, UPDATE_RUN, type RunRow } from './records.js';
import type { RunEnd } from '../run-base.js';
import { PgRun, type PgRunHost } from './run.js';
import { writeFileAtomic } from '../atomic.js';
import { checkImport } from '../store.js';
import { ATTRIBUTE_COLUMNS, prefilter, projectionOf, type Projection } from './projection.js';
import { ident, migrate } from './schema.js';
import { parsePgLocation, type PgLocation } from './url.js';

/** Options of {@link openPostgresStore}: the file store's, where they apply, and the PostgreSQL ones. */
export interface PgStoreOptions {
  /** Create the schema in an empty database (default true); with false, a database without a store fails with `store_not_found`. */
  create?: boolean;
  /** When buffered points are sent (default 1,000 points or 100 ms). */
  flush?: Partial<FlushPolicy>;
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  /** The host name recorded for runs of this process, and the host whose pids this process can check. */
  host?: string;
  /** Connections of this process (default 4). */
  poolSize?: number;
  /** The environment the artifact folder's default comes from ($SPLAM_ARTIFACTS). */
  env?: NodeJS.ProcessEnv;
  // Accepted and ignored: the file store's lock options.
  lockTimeoutMs?: number;
  lockStaleMs?: number;
}

/** Where sweeps keep their plans in the artifact folder (lib/scale/plan.ts's SWEEPS_DIR): not a run's folder. */
const SWEEPS_FOLDER = 'sweeps';

/** Points per INSERT when importing a run. */
const IMPORT_BATCH = 10_000;

/** PostgreSQL's batches are larger than the file store's: one INSERT costs a round trip, not a write(2). */
export const PG_DEFAULT_FLUSH: FlushPolicy = { batchSize: 1_000, intervalMs: DEFAULT_FLUSH.intervalMs };

/** bigint columns (epoch ms, steps) as numbers; everything else as node-postgres parses it. */
const TYPES = {
  getTypeParser: ((oid: number, format?: string) => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

/**
 * startRun's statement: INSERT_RUN with heartbeat_at = the database clock; $7 holds the tag keys and $18 their
 * values instead (so every parameter is used and typed).
 */
const START_RUN = `WITH r AS (
    INSERT INTO runs (${ALL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, ${NOW_MS}, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING heartbeat_at
  ), t AS (
    INSERT INTO tags (run_id, key, value) SELECT $1, * FROM unnest($7::text[], $18::text[])
  )
  SELECT heartbeat_at FROM r`;

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function notFound(id: string): StoreError {
  return new StoreError('run_not_found', `no run with id ${JSON.stringify(id)} in this store`, { runId: id });
}

/** A connection failure as one StoreError line naming the server (never the password). */
function connectError(loc: PgLocation, err: unknown): StoreError {
  const e = err as NodeJS.ErrnoException & { code?: string };
  const why = e.code === 'ECONNREFUSED' ? 'connection refused (is the server running? bash scripts/pg-start.sh)' : e.code === '3D000' ? `database ${JSON.stringify(loc.database)} does not exist` : (e.message ?? String(err));
  return new StoreError('store_unreachable', `cannot open the run store at ${loc.display}: ${why}`, { file: loc.display, cause: err });
}

/**
 * Open (by default: create) the PostgreSQL run store at `url`.
 * @throws StoreError `store_unreachable`, `store_not_found` (create: false), `not_a_store`, `unsupported_version`
 */
export async function openPostgresStore(url: string, opts: PgStoreOptions = {}): Promise<PgRunStore> {
  const loc = parsePgLocation(url, opts.env ?? process.env);
  const full = {
    create: opts.create ?? true,
    flush: { ...PG_DEFAULT_FLUSH, ...opts.flush },
    heartbeatMs: opts.heartbeatMs ?? loc.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? loc.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    host: opts.host ?? loc.host ?? os.hostname(),
    poolSize: opts.poolSize ?? 4,
  };
  for (const [k, v] of Object.entries({ ...full.flush, heartbeatMs: full.heartbeatMs, heartbeatTimeoutMs: full.heartbeatTimeoutMs, poolSize: full.poolSize })) {
    if (typeof v !== 'number' || !(v >= 1)) throw new ArgumentError('openStore', k, v, 'a number ≥ 1');
  }
  const pool = new pg.Pool({
    connectionString: loc.connectionString,
    max: full.poolSize,
    types: TYPES,
    application_name: 'splam-lab',
    options: `-c search_path=${ident(loc.schema)}`,
    allowExitOnIdle: true,
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', () => undefined); // an idle client lost its server: the next query reconnects or fails
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw connectError(loc, err);
  }
  try {
    await migrate(client, loc.schema, full.create, loc.display);
  } catch (err) {
    client.release();
    await pool.end().catch(() => undefined);
    throw err;
  }
  client.release();
  return new PgRunStore(loc, pool, full);
}

type Resolved = { create: boolean; flush: FlushPolicy; heartbeatMs: number; heartbeatTimeoutMs: number; host: string; poolSize: number };

export class PgRunStore implements RunStore, PgRunHost {
  readonly pgLocation: PgLocation;
  readonly #pool: pg.Pool;
  readonly #opts: Resolved;
  readonly #open = new Map<string, PgRun>();
  #closed = false;

  constructor(loc: PgLocation, pool: pg.Pool, opts: Resolved) {
    this.pgLocation = loc;
    this.#pool = pool;
    this.#opts = opts;
  }

  get location(): string {
    return this.pgLocation.display;
  }

  /** The artifact folder of this store. */
  get artifactsRoot(): string {
    return this.pgLocation.artifacts;
  }

  #check(): void {
    if (this.#closed) throw new StoreError('store_closed', `the store at ${this.location} was closed`, { file: this.location });
  }

  // ------------------------------------------------------------------ PgRunHost

  query(sql: string, values?: unknown[], name?: string): Promise<{ rows: any[]; rowCount: number | null }> {
    return this.#pool.query(name === undefined ? { text: sql, values } : { text: sql, values, name });
  }

  async #transaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** Write the record's row and, when they changed (`before`: the tags stored until now), its rows of `tags`. */
  async #writeRecord(c: pg.PoolClient, rec: RunRecord, insert: boolean, before?: RunRecord['tags']): Promise<void> {
    await c.query({ text: insert ? INSERT_RUN : UPDATE_RUN, values: recordValues(rec), name: insert ? 'splam_insert_run' : 'splam_update_run' });
    if (!insert && before !== undefined && sameTags(before, rec.tags)) return; // finish, summaries, artifacts: tags as they were
    if (!insert) await c.query('DELETE FROM tags WHERE run_id = $1', [rec.id]);
    const keys = Object.keys(rec.tags);
    if (keys.length > 0) {
      await c.query('INSERT INTO tags (run_id, key, value) SELECT $1, * FROM unnest($2::text[], $3::text[])', [rec.id, textArray(keys), textArray(keys.map((k) => rec.tags[k]))]);
    }
  }

  commit(id: string, mutate: (rec: RunRecord) => void): Promise<RunRecord> {
    return this.#transaction(async (c) => {
      const r = await c.query<RunRow>({ text: `SELECT ${ALL_COLUMNS} FROM runs WHERE id = $1 FOR UPDATE`, values: [id], name: 'splam_lock_run' });
      if (r.rows.length === 0) throw notFound(id);
      const rec = rowToRecord(r.rows[0]);
      const before = { ...rec.tags };
      mutate(rec);
      await this.#writeRecord(c, rec, false, before);
      return rec;
    });
  }

  /**
   * finish/fail: set the fields an end sets in one UPDATE (one round trip; the row lock is the UPDATE's). The same
   * outcome as {@link commit} with a mutation setting them — they do not depend on what the row held, and the
   * tags stay as they are — without its four statements (BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT).
   */
  async end(id: string, end: RunEnd): Promise<RunRecord> {
    const r = await this.query(END_RUN, endValues(id, end), 'splam_end_run');
    if (r.rows.length === 0) throw notFound(id);
    return rowToRecord(r.rows[0] as RunRow);
  }

  artifactsDir(id: string): string {
    return inside('artifactsDir', this.pgLocation.artifacts, checkRunId('artifactsDir', id));
  }

  artifactPath(fn: string, id: string, name: string): string {
    return inside(fn, this.artifactsDir(id), checkArtifactName(fn, name));
  }

  detach(run: PgRun): void {
    if (this.#open.get(run.id) === run) this.#open.delete(run.id);
  }

  /** The liveness probe, with the database clock as "now". */
  async #probe(): Promise<LivenessProbe> {
    const now = Number((await this.query(`SELECT ${NOW_MS} AS now`, [], 'splam_now')).rows[0].now);
    return { now, host: this.#opts.host, heartbeatTimeoutMs: this.#opts.heartbeatTimeoutMs, isAlive: isProcessAlive, heartbeatOf: () => null };
  }

  // ------------------------------------------------------------------ writes

  async startRun(opts: StartRunOptions = {}): Promise<Run> {
    this.#check();
    const fn = 'startRun';
    const experiment = checkName(fn, 'experiment', opts.experiment ?? 'default');
    const params = opts.params === undefined ? {} : cloneJson(checkParams(fn, opts.params));
    const tags = opts.tags === undefined ? {} : checkTags(fn, opts.tags);
    if (opts.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed))) throw new ArgumentError(fn, 'seed', opts.seed, 'a finite number');
    if (opts.id !== undefined) checkRunId(fn, opts.id);
    if (opts.name !== undefined) checkRunName(fn, opts.name);
    const skipGit = opts.provenance !== undefined && 'gitCommit' in opts.provenance;
    const provenance = { ...collectProvenance({ backend: opts.backend ?? null, seed: opts.seed ?? null, skipGit }), ...opts.provenance };
    let id = opts.id ?? newRunId();
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const rec: RunRecord = {
        id,
        name: opts.name ?? id,
        experiment,
        status: 'running',
        createdAt: now,
        endedAt: null,
        heartbeatAt: now,
        pid: process.pid,
        pidStart: processStartTime(process.pid),
        host: this.#opts.host,
        params,
        tags,
        summary: {},
        artifacts: [],
        provenance,
        error: null,
        resumedAt: [],
      };
      try {
        // One statement (one round trip, one commit): the row with its heartbeat in the database's clock (the one
        // staleness is judged by), and its tags (their foreign key is checked at the statement's end).
        const keys = Object.keys(tags);
        const values = recordValues(rec);
        values[6] = textArray(keys);
        values.push(textArray(keys.map((k) => tags[k])));
        const res = await this.query(START_RUN, values, 'splam_start_run');
        rec.heartbeatAt = Number(res.rows[0].heartbeat_at);
      } catch (err) {
        if ((err as { code?: string }).code !== '23505') throw this.#dbError('startRun', err, id);
        if (opts.id !== undefined) throw new StoreError('run_exists', `a run with id ${JSON.stringify(id)} already exists`, { runId: id });
        if (attempt >= 10) throw new StoreError('run_id_clash', `could not draw an unused run id after ${attempt + 1} tries`, { runId: id });
        id = newRunId();
        continue;
      }
      const run = new PgRun(this, rec, { heartbeatMs: this.#opts.heartbeatMs, flush: this.#opts.flush });
      this.#open.set(id, run);
      return run;
    }
  }

  #dbError(fn: string, err: unknown, id?: string): unknown {
    if (err instanceof StoreError || err instanceof ArgumentError) return err;
    const e = err as { code?: string; message?: string };
    if (e.code === '22P05' || /unsupported Unicode escape|\\u0000/.test(e.message ?? '')) {
      return new ArgumentError(fn, 'params', 'a string holding \\u0000', 'JSON without NUL characters (PostgreSQL jsonb cannot hold \\u0000)');
    }
    return new StoreError('write_failed', `${fn}${id ? ` (run ${id})` : ''}: ${e.message ?? String(err)}`, { runId: id, file: this.location, cause: err });
  }

  /**
   * Write a whole ended run from another store in one transaction: its row, tags and points (in series order,
   * batches of {@link IMPORT_BATCH}), and its artifact files — written before the commit, removed again when the
   * transaction fails. An artifact folder already there (a leftover) is refused, never overwritten.
   */
  async importRun(copy: RunCopy): Promise<void> {
    this.#check();
    const rec = checkImport(copy);
    const id = rec.id;
    const dir = this.artifactsDir(id);
    const files = copy.artifacts.map((a) => ({ file: this.artifactPath('importRun', id, a.name), bytes: a.bytes }));
    const taken = await stat(dir).then(
      () => true,
      () => false,
    );
    if (taken) throw new StoreError('run_exists', `an artifact folder ${dir} already exists for run ${id}`, { runId: id, file: dir });
    let wrote = false;
    try {
      await this.#transaction(async (c) => {
        await this.#writeRecord(c, rec, true);
        let seq = 0;
        for (const s of copy.series) {
          for (let i = 0; i < s.step.length; i += IMPORT_BATCH) {
            const n = Math.min(IMPORT_BATCH, s.step.length - i);
            const seqs = Array.from({ length: n }, (_, j) => seq + j);
            seq += n;
            await c.query(INSERT_POINTS, pointValues(id, { seq: seqs, key: new Array<string>(n).fill(s.key), step: s.step.slice(i, i + n), value: s.value.slice(i, i + n), time: s.time.slice(i, i + n) }));
          }
        }
        if (files.length > 0) {
          wrote = true;
          for (const f of files) {
            await mkdir(path.dirname(f.file), { recursive: true });
            await writeFileAtomic(f.file, f.bytes);
          }
        }
      });
    } catch (err) {
      if (wrote) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      if ((err as { code?: string }).code === '23505') throw new StoreError('run_exists', `a run with id ${JSON.stringify(id)} already exists in ${this.location}`, { runId: id });
      throw this.#dbError('importRun', err, id);
    }
  }

  async resumeRun(id: string): Promise<Run> {
    this.#check();
    checkRunId('resumeRun', id);
    const probe = await this.#probe();
    const now = Date.now();
    const rec = await this.commit(id, (r) => {
      const current = deriveStatus(r, probe);
      if (current.status === 'running') {
        throw new StoreError('run_active', `run ${id} is still running (pid ${current.pid} on ${current.host}); it cannot be resumed twice`, { runId: id });
      }
      r.status = 'running';
      r.endedAt = null;
      r.error = null;
      r.heartbeatAt = probe.now;
      r.pid = process.pid;
      r.pidStart = processStartTime(process.pid);
      r.host = this.#opts.host;
      r.resumedAt = [...r.resumedAt, now];
    });
    const latestRows = (
      await this.query('SELECT DISTINCT ON (key) key, step, value FROM metrics WHERE run_id = $1 ORDER BY key, step DESC, seq DESC', [id])
    ).rows as { key: string; step: number; value: number }[];
    const latest = new Map(latestRows.map((r) => [r.key, { step: r.step, value: r.value }]));
    const maxSeq = (await this.query('SELECT max(seq0 + cardinality(keys) - 1) AS m FROM metric_batches WHERE run_id = $1', [id])).rows[0].m as number | null;
    const explicit = Object.fromEntries(Object.entries(rec.summary).filter(([k]) => !latest.has(k)));
    const run = new PgRun(this, rec, { heartbeatMs: this.#opts.heartbeatMs, flush: this.#opts.flush, nextSeq: maxSeq === null ? 0 : maxSeq + 1, latest, explicit });
    this.#open.set(id, run);
    return run;
  }

  async deleteRun(id: string, opts: { force?: boolean } = {}): Promise<void> {
    this.#check();
    checkRunId('deleteRun', id);
    const current = await this.getRun(id);
    if (current.status === 'running' && !opts.force) {
      throw new StoreError('run_active', `run ${id} is running (pid ${current.pid} on ${current.host}); pass force to delete it anyway`, { runId: id });
    }
    await this.#open.get(id)?.close(false);
    await this.#transaction(async (c) => {
      await c.query('DELETE FROM metric_batches WHERE run_id = $1', [id]);
      await c.query('DELETE FROM runs WHERE id = $1', [id]); // tags cascade
    });
    await rm(this.artifactsDir(id), { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ reads

  async getRun(id: string): Promise<RunRecord> {
    checkRunId('getRun', id);
    const [rows, probe] = await Promise.all([this.query(`SELECT ${ALL_COLUMNS} FROM runs WHERE id = $1`, [id], 'splam_get_run'), this.#probe()]);
    if (rows.rows.length === 0) throw notFound(id);
    return deriveStatus(rowToRecord(rows.rows[0] as RunRow), probe);
  }

  /**
   * The records a query may select: experiment, stored status, tags and the filter's numeric comparisons
   * (projection.ts `prefilter`, a superset) narrow the rows in SQL (a derived `crashed` run is stored as
   * `running`). Columns: all, the light ones (no provenance), or a query's projection (partial records).
   */
  async #candidates(query: RunQuery, cols: 'full' | 'light' | Projection): Promise<{ records: RunRecord[]; probe: LivenessProbe }> {
    const where: string[] = [];
    const values: unknown[] = [];
    const list = <T>(v: T | readonly T[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? (v as readonly T[]) : [v as T]);
    const exps = list(query.experiment);
    if (exps) {
      values.push(textArray(exps as string[]));
      where.push(`experiment = ANY($${values.length}::text[])`);
    }
    const statuses = list(query.status);
    if (statuses) {
      const stored = new Set<RunStatus>(statuses as RunStatus[]);
      if (stored.has('crashed')) stored.add('running');
      values.push(textArray([...stored]));
      where.push(`status = ANY($${values.length}::text[])`);
    }
    for (const [k, v] of Object.entries(query.tags ?? {})) {
      values.push(k, String(v));
      where.push(`id IN (SELECT run_id FROM tags WHERE key = $${values.length - 1} AND value = $${values.length})`);
    }
    const pre = prefilter(query, values.length + 1);
    values.push(...pre.values);
    where.push(...pre.sql);
    let select = cols === 'full' ? ALL_COLUMNS : LIGHT_COLUMNS;
    if (typeof cols === 'object') {
      const extra = cols.columns(values.length + 1);
      values.push(...extra.values);
      select = [ATTRIBUTE_COLUMNS, ...extra.sql].join(', ');
    }
    const sql = `SELECT ${select} FROM runs${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const [res, probe] = await Promise.all([this.query(sql, values), this.#probe()]);
    const toRecord =
      typeof cols === 'object'
        ? (r: RunRow) => ({ ...rowToRecord({ ...r, params: {}, summary: {}, tags: {} }), ...cols.fill(r as unknown as Record<string, unknown>) })
        : rowToRecord;
    return { records: (res.rows as RunRow[]).map((r) => deriveStatus(toRecord(r), probe)), probe };
  }

  /**
   * Select in two reads: the candidates with only what the query reads (projection.ts), selected, ordered and
   * limited by the shared query code; then the selected runs whole. A typed predicate or a provenance field
   * reads whole records from the start.
   */
  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const select = compileQuery(query); // bad filters fail before any I/O
    const projection = projectionOf(query);
    if (projection === null) return select((await this.#candidates(query, 'full')).records);
    const { records, probe } = await this.#candidates(query, projection);
    const picked = select(records);
    if (picked.length === 0) return picked;
    const rows = await this.query(`SELECT ${ALL_COLUMNS} FROM runs WHERE id = ANY($1::text[])`, [textArray(picked.map((r) => r.id))]);
    const byId = new Map((rows.rows as RunRow[]).map((r) => [r.id, r]));
    const out: RunRecord[] = [];
    for (const rec of picked) {
      const row = byId.get(rec.id);
      if (row !== undefined) out.push(deriveStatus(rowToRecord(row), probe)); // undefined: deleted between the reads
    }
    return out;
  }

  async listExperiments(): Promise<ExperimentInfo[]> {
    const byName = new Map<string, ExperimentInfo>();
    for (const r of (await this.#candidates({}, projectionOf({})!)).records) {
      let e = byName.get(r.experiment);
      if (!e) {
        e = { name: r.experiment, runs: 0, byStatus: Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as ExperimentInfo['byStatus'], lastCreatedAt: 0 };
        byName.set(r.experiment, e);
      }
      e.runs++;
      e.byStatus[r.status]++;
      e.lastCreatedAt = Math.max(e.lastCreatedAt, r.createdAt);
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async readMetrics(id: string, keys?: readonly string[]): Promise<MetricSeries[]> {
    checkRunId('readMetrics', id);
    for (const k of keys ?? []) checkMetricKey('readMetrics', k);
    await this.#open.get(id)?.flush(); // a notebook reading its own live run sees every point
    const exists = await this.query('SELECT 1 FROM runs WHERE id = $1', [id], 'splam_run_exists');
    if (exists.rows.length === 0) throw notFound(id);
    const res = keys
      ? await this.query('SELECT key, step, value, time FROM metrics WHERE run_id = $1 AND key = ANY($2::text[]) ORDER BY key, step, seq', [id, textArray(keys)])
      : await this.query('SELECT key, step, value, time FROM metrics WHERE run_id = $1 ORDER BY key, step, seq', [id], 'splam_read_metrics');
    const out: MetricSeries[] = [];
    let cur: MetricSeries | null = null;
    for (const r of res.rows as { key: string; step: number; value: number; time: number }[]) {
      if (cur === null || cur.key !== r.key) out.push((cur = { key: r.key, step: [], value: [], time: [] }));
      cur.step.push(r.step);
      cur.value.push(r.value);
      cur.time.push(r.time);
    }
    // The file store orders keys by code point; SQL's text order depends on the collation.
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async readArtifact(id: string, name: string): Promise<Uint8Array> {
    checkRunId('readArtifact', id);
    const file = this.artifactPath('readArtifact', id, name);
    try {
      inside('readArtifact', await realpath(this.artifactsDir(id)), path.relative(this.artifactsDir(id), await realpath(file)));
      return await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        await this.getRun(id);
        throw new StoreError('artifact_not_found', `run ${id} has no artifact ${JSON.stringify(name)}`, { runId: id, file });
      }
      throw err;
    }
  }

  compare(ids: readonly string[], key: string): Promise<MetricComparison> {
    return compareRuns(this, ids, key);
  }

  exportRuns(query: RunQuery, opts: ExportOptions): Promise<string> {
    return exportRunsOf(this, query, opts);
  }

  /**
   * Check the store: running runs whose heartbeat is stale (or whose process on this host is gone) — with
   * `repair`, persisted as `crashed` with `endedAt` = last heartbeat and the summary completed from the series;
   * points of runs that no longer exist, and artifact folders without a run (reported only).
   */
  async doctor(opts: { repair?: boolean; deep?: boolean } = {}): Promise<DoctorReport> {
    await Promise.all([...this.#open.values()].map((r) => r.flush().catch(() => undefined)));
    const issues: DoctorIssue[] = [];
    const actions: string[] = [];
    const probe = await this.#probe();
    const runs = (await this.query(`SELECT ${LIGHT_COLUMNS} FROM runs`)).rows as RunRow[];
    const ids = new Set(runs.map((r) => r.id));
    let persisted = 0;
    for (const row of runs) {
      const rec = deriveStatus(rowToRecord(row), probe);
      if (row.status !== 'running' || rec.status !== 'crashed') continue;
      issues.push({ code: 'stale_running', runId: rec.id, message: `run ${rec.id} is recorded as running but its ${rec.crashReason === 'process_gone' ? 'process is gone' : 'heartbeat is stale'}` });
      if (!opts.repair) continue;
      const latest = (await this.query('SELECT DISTINCT ON (key) key, value FROM metrics WHERE run_id = $1 ORDER BY key, step DESC, seq DESC', [rec.id])).rows as { key: string; value: number }[];
      await this.commit(rec.id, (r) => {
        if (r.status !== 'running' || r.heartbeatAt !== row.heartbeat_at) return; // it beat meanwhile: alive
        r.status = 'crashed';
        r.endedAt = rec.heartbeatAt;
        r.summary = { ...Object.fromEntries(latest.map((p) => [p.key, p.value])), ...r.summary };
      });
      persisted++;
    }
    if (persisted > 0) actions.push(`recorded ${persisted} crashed run(s)`);
    const orphans = (await this.query('SELECT DISTINCT run_id FROM metric_batches m WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = m.run_id)')).rows as { run_id: string }[];
    for (const o of orphans) issues.push({ code: 'foreign_entry', runId: o.run_id, message: `metric points of run ${o.run_id}, which is not in the runs table` });
    let folders: string[] = [];
    try {
      folders = await readdir(this.pgLocation.artifacts);
    } catch {
      // no artifacts yet
    }
    for (const f of folders) {
      if (RUN_ID_PATTERN.test(f) && ids.has(f)) continue;
      if (f === SWEEPS_FOLDER) continue; // sweeps' plans and logs (lib/scale/plan.ts), not a run's
      issues.push({ code: 'foreign_entry', file: path.join(this.pgLocation.artifacts, f), message: `${path.join(this.pgLocation.artifacts, f)} is not the artifact folder of a run in this store` });
    }
    void opts.deep;
    return { store: this.location, runs: runs.length, index: 'ok', issues, repaired: actions.length > 0, actions, backup: null };
  }

  /** Flush open runs (they stay running) and close the connections; further calls fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const errors: unknown[] = [];
    for (const r of [...this.#open.values()]) await r.close(true).catch((e: unknown) => errors.push(e));
    await this.#pool.end().catch(() => undefined);
    if (errors.length > 0) throw errors[0];
  }
}

/**
 * `splam runs doctor` for a PostgreSQL store: open it (create: false) and run its doctor.
 * @throws StoreError as {@link openPostgresStore}
 */
export async function doctorPostgresStore(url: string, opts: { repair?: boolean; deep?: boolean; heartbeatTimeoutMs?: number } = {}): Promise<DoctorReport> {
  const store = await openPostgresStore(url, { create: false, heartbeatTimeoutMs: opts.heartbeatTimeoutMs });
  try {
    return await store.doctor({ repair: opts.repair, deep: opts.deep });
  } finally {
    await store.close();
  }
}
