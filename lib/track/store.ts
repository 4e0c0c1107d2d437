/**
 * The file run store: a lowdb JSON index of run records, per-run folders with `run.json`, an append-only
 * `metrics.jsonl` and `artifacts/` (layout and guarantees: store/README.md; paths: paths.ts).
 *
 * Safe under kills and concurrent writers: every index change happens under one cross-process
 * lock, re-reads the index inside it, and lands by an atomic rename from a per-process temp file; a run's own
 * `run.json` is written first under the same lock, so the index can always be rebuilt from the run folders.
 * Logging a metric point never touches the index. Readers take no lock.
 *
 * ```ts
 * const store = await openStore();                      // SPLAM_STORE or ./store
 * const result = await withRun(store, { experiment: 'lcm-vs-splam', params: config, seed: 1 }, async (run) => {
 *   for (let step = 0; step < 100; step++) run.logMetric('loss', loss(step), step);
 *   await run.logArtifact('samples.png', png, { kind: 'png' });
 *   return 'done';
 * });
 * const best = await store.listRuns({ filter: 'params.k = 20 and metrics.fid < 10', orderBy: 'metrics.fid', limit: 5 });
 * ```
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ArgumentError, StoreError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { compareRuns, exportRunsOf } from './compare.js';
import { hasRunFolders, runDoctor, runFile } from './doctor.js';
import { onProcessEnd } from './exit-hook.js';
import { FileLock } from './lock.js';
import { DEFAULT_FLUSH, encodePoint, latestByKey, MetricWriter, readSeriesFile, toSeries, type FlushPolicy } from './metrics-log.js';
import { checkArtifactName, checkRunId, inside, newRunId, StorePaths, STORE_MARKER, TRASH_PREFIX } from './paths.js';
import { collectProvenance } from './provenance.js';
import { compileQuery } from './query.js';
import { FileRun, type RunHost } from './run.js';
import { emptyIndex, indexFile, RunIndex } from './run-index.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_HEARTBEAT_TIMEOUT_MS, deriveStatus, processStartTime, systemProbe } from './status.js';
import { RUN_STATUSES, type DoctorReport, type ExperimentInfo, type ExportOptions, type MetricComparison, type MetricSeries, type Run, type RunCopy, type RunQuery, type RunRecord, type RunStore, type StartRunOptions } from './types.js';
import { checkMetricKey, checkName, checkParams, checkRunName, checkTags, cloneJson } from './validate.js';

export const STORE_FORMAT = 'splam-store';
export const STORE_VERSION = 1;

/** Options of {@link openStore}. Each default is the one written here. */
export interface OpenStoreOptions {
  /** Initialise an empty or missing folder as a store (default true). With false, a missing folder fails with `store_not_found`. */
  create?: boolean;
  /** When buffered metric points are written (default {@link DEFAULT_FLUSH}: 256 points or 100 ms). */
  flush?: Partial<FlushPolicy>;
  /** How often a live run touches its heartbeat (default 5 s). */
  heartbeatMs?: number;
  /** A running run whose heartbeat is older than this reads as crashed (default 60 s). */
  heartbeatTimeoutMs?: number;
  /** Give up waiting for the store lock after this long (default 30 s). */
  lockTimeoutMs?: number;
  /** Take over a lock older than this, left by a killed process (default 10 s). */
  lockStaleMs?: number;
}

/**
 * The default store folder: `$SPLAM_STORE`, else `./store`. The environment is passed in: this
 * and `lib/backend.ts` are lib's only readers of environment variables, and only through their callers.
 */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const fromEnv = env.SPLAM_STORE;
  return path.resolve(cwd, fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'store');
}

/** Entries a folder may hold and still count as empty (a fresh store): the repo's README, dotfiles. */
function isIgnorable(name: string): boolean {
  return name.startsWith('.') || /^README(\.md)?$/i.test(name);
}

interface Marker {
  format: string;
  version: number;
  createdAt: string;
}

async function readMarker(paths: StorePaths): Promise<Marker | null> {
  let text: string;
  try {
    text = await readFile(paths.marker, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StoreError('not_a_store', `cannot read ${paths.marker}: ${(err as Error).message}`, { file: paths.marker, cause: err });
  }
  let m: Partial<Marker>;
  try {
    m = JSON.parse(text) as Partial<Marker>;
  } catch {
    throw new StoreError('not_a_store', `${paths.marker} is not a splam-lab store marker (unparseable JSON)`, { file: paths.marker });
  }
  if (typeof m !== 'object' || m === null || m.format !== STORE_FORMAT) {
    throw new StoreError('not_a_store', `${paths.marker} is not a splam-lab store marker (format ${JSON.stringify((m as Marker | null)?.format)})`, { file: paths.marker });
  }
  if (m.version !== STORE_VERSION) {
    throw new StoreError('unsupported_version', `${paths.root} is a version ${m.version} store; this splam-lab reads version ${STORE_VERSION}`, { file: paths.marker });
  }
  return m as Marker;
}

/**
 * Check that `paths.root` is a store (or make it one). Never takes over a folder that holds anything else.
 * @throws StoreError `store_not_found`, `not_a_store`, `unsupported_version`
 */
async function prepareFolder(paths: StorePaths, create: boolean, lock: FileLock): Promise<void> {
  let st;
  try {
    st = await stat(paths.root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new StoreError('not_a_store', `${paths.root} cannot be a run store: a part of its path is a file, not a folder`, { file: paths.root, cause: err });
    if (code !== 'ENOENT') throw new StoreError('store_unreadable', `cannot open the run store at ${paths.root}: ${(err as Error).message}`, { file: paths.root, cause: err });
    if (!create) throw new StoreError('store_not_found', `no run store at ${paths.root}\n  hint: pass --store <dir> or set SPLAM_STORE`, { file: paths.root });
    try {
      // The last level without `recursive`: a recursive mkdir on a read-only filesystem reports ENOENT, not EROFS.
      await mkdir(path.dirname(paths.root), { recursive: true });
      await mkdir(paths.root).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
    } catch (e) {
      throw new StoreError('store_unwritable', `cannot create the run store at ${paths.root}: ${(e as Error).message}`, { file: paths.root, cause: e });
    }
    st = await stat(paths.root);
  }
  if (!st.isDirectory()) throw new StoreError('not_a_store', `${paths.root} is not a folder, so it cannot be a run store`, { file: paths.root });
  if ((await readMarker(paths)) !== null) return;
  const foreign = (await readdir(paths.root)).filter((n) => !isIgnorable(n));
  const notAStore = () =>
    new StoreError(
      'not_a_store',
      `${paths.root} is not a run store: it has no ${STORE_MARKER} and holds other files (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}); nothing was changed\n  hint: point SPLAM_STORE / --store at an empty folder or an existing store`,
      { file: paths.root },
    );
  // Another process may have initialised the store between our marker check and the listing. Its marker is
  // written first (temp files start with '.', so they are ignorable), so any visible entry of an initialised store
  // implies the marker already exists: look again before refusing.
  if (foreign.length > 0) {
    if ((await readMarker(paths)) !== null) return;
    throw notAStore();
  }
  if (!create) throw new StoreError('store_not_found', `${paths.root} is empty: no run store there yet\n  hint: runs logged with openStore() create it`, { file: paths.root });
  await lock.run(async () => {
    if ((await readMarker(paths)) !== null) return; // another process initialised it meanwhile
    if ((await readdir(paths.root)).some((n) => !isIgnorable(n))) throw notAStore();
    // Marker first: a kill after it leaves a store without an index and without runs, which opens as empty.
    const marker: Marker = { format: STORE_FORMAT, version: STORE_VERSION, createdAt: new Date().toISOString() };
    await writeFileAtomic(paths.marker, JSON.stringify({ ...marker, layout: 'store/README.md in the splam-lab repository' }, null, 2) + '\n');
    await mkdir(paths.runs, { recursive: true });
    await writeFileAtomic(paths.index, JSON.stringify(emptyIndex()));
  });
}

interface Resolved {
  paths: StorePaths;
  lock: FileLock;
  index: RunIndex;
  opts: Required<Omit<OpenStoreOptions, 'flush'>> & { flush: FlushPolicy };
}

function resolveOptions(dir: string | undefined, opts: OpenStoreOptions): Resolved {
  const paths = new StorePaths(dir ?? defaultStoreDir());
  const full = {
    create: opts.create ?? true,
    flush: { ...DEFAULT_FLUSH, ...opts.flush },
    heartbeatMs: opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    lockTimeoutMs: opts.lockTimeoutMs ?? 30_000,
    lockStaleMs: opts.lockStaleMs ?? 10_000,
  };
  for (const [k, v] of Object.entries({ ...full.flush, heartbeatMs: full.heartbeatMs, heartbeatTimeoutMs: full.heartbeatTimeoutMs, lockTimeoutMs: full.lockTimeoutMs })) {
    if (typeof v !== 'number' || !(v >= 1)) throw new ArgumentError('openStore', k, v, 'a number ≥ 1');
  }
  const lock = new FileLock(paths.lock, { timeoutMs: full.lockTimeoutMs, staleMs: full.lockStaleMs });
  return { paths, lock, index: new RunIndex(indexFile(paths.index), lock, paths.index), opts: full };
}

/**
 * Open (by default: create) the run store in `dir` (default {@link defaultStoreDir}). Reads the index once, so
 * a damaged store is reported here rather than on the first write.
 * @throws StoreError `not_a_store` (a folder holding other files, or a file), `store_not_found` (create: false),
 *   `corrupt_index` / `missing_index` (run `splam runs doctor`), `unsupported_version`
 */
export async function openStore(dir?: string, opts: OpenStoreOptions = {}): Promise<RunStore> {
  const r = resolveOptions(dir, opts);
  await prepareFolder(r.paths, r.opts.create, r.lock);
  if ((await r.index.readSharedOrNull()) === null) {
    if (await hasRunFolders(r.paths)) await r.index.read(); // throws missing_index
    await r.index.init();
  }
  return new FileRunStore(r);
}

/**
 * Check (and with `repair`, fix) a store without opening it: works on a store whose index is corrupt.
 * @throws StoreError `store_not_found` / `not_a_store` when `dir` is not a store
 */
export async function doctorStore(dir?: string, opts: { repair?: boolean; deep?: boolean; heartbeatTimeoutMs?: number } = {}): Promise<DoctorReport> {
  const r = resolveOptions(dir, { create: false, heartbeatTimeoutMs: opts.heartbeatTimeoutMs });
  await prepareFolder(r.paths, false, r.lock);
  const probe = systemProbe((id) => r.paths.heartbeatFile(id), r.opts.heartbeatTimeoutMs);
  return runDoctor(r.paths, r.index, { repair: opts.repair, deep: opts.deep, probe });
}

/**
 * Run `fn` as a run: start it, finish it when `fn` resolves (unless `fn` already ended it), or mark it failed
 * with the error's message and stack when `fn` throws — then rethrow.
 */
export async function withRun<T>(store: RunStore, opts: StartRunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> {
  return runAs(await store.startRun(opts), fn);
}

/**
 * {@link withRun} for a run that is already open (a resumed one): finish it when `fn` resolves (unless `fn` ended
 * it), or fail it with the error and rethrow.
 */
export async function runAs<T>(run: Run, fn: (run: Run) => Promise<T> | T): Promise<T> {
  let result: T;
  try {
    result = await fn(run);
  } catch (err) {
    if (run.record().status === 'running') {
      try {
        await run.fail(err);
      } catch {
        // the original error matters more; the run reads as crashed once this process is gone
      }
    }
    throw err;
  }
  if (run.record().status === 'running') await run.finish();
  return result;
}

/**
 * The record an imported run is stored with: ended (a live run cannot be copied whole), its derived `crashReason`
 * dropped (a copied crashed run is stored as crashed). Checks the id and the artifact names.
 * @throws ArgumentError for a running record, a bad id or artifact name
 */
export function checkImport(copy: RunCopy): RunRecord {
  const { crashReason: _, ...rec } = copy.record;
  checkRunId('importRun', rec.id);
  if (rec.status === 'running') throw new ArgumentError('importRun', 'status', rec.status, 'an ended run (finished, failed or crashed)');
  for (const a of copy.artifacts) checkArtifactName('importRun', a.name);
  return rec;
}

function notFound(id: string, file?: string): StoreError {
  return new StoreError('run_not_found', `no run with id ${JSON.stringify(id)} in this store`, { runId: id, file });
}

export class FileRunStore implements RunStore, RunHost {
  readonly paths: StorePaths;
  readonly #index: RunIndex;
  readonly #opts: Resolved['opts'];
  readonly #open = new Map<string, FileRun>();
  #removeExitHook: (() => void) | null = null;
  #closed = false;

  constructor(r: Resolved) {
    this.paths = r.paths;
    this.#index = r.index;
    this.#opts = r.opts;
  }

  get location(): string {
    return this.paths.root;
  }

  #check(): void {
    if (this.#closed) throw new StoreError('store_closed', `the store at ${this.paths.root} was closed`, { file: this.paths.root });
  }

  #probe() {
    return systemProbe((id) => this.paths.heartbeatFile(id), this.#opts.heartbeatTimeoutMs);
  }

  // ------------------------------------------------------------------ writes

  /** RunHost: under the lock, re-read run.json, mutate, write it, then mirror into the index. */
  commit(id: string, mutate: (rec: RunRecord) => void): Promise<RunRecord> {
    return this.#index.locked(async () => {
      const file = runFile(this.paths.runFile(id), id);
      const rec = await file.read();
      if (rec === null) throw notFound(id, this.paths.runFile(id));
      mutate(rec);
      await file.write(rec);
      const data = await this.#index.read();
      data.runs[id] = rec;
      await this.#index.writeUnlocked(data);
      return rec;
    });
  }

  detach(run: FileRun): void {
    if (this.#open.get(run.id) === run) this.#open.delete(run.id);
    if (this.#open.size === 0 && this.#removeExitHook) {
      this.#removeExitHook();
      this.#removeExitHook = null;
    }
  }

  #attach(run: FileRun): void {
    this.#open.set(run.id, run);
    if (!this.#removeExitHook) {
      // Flush every open run's buffered points on any process end we can see.
      this.#removeExitHook = onProcessEnd(() => {
        for (const r of this.#open.values()) r.flushSync();
      });
    }
  }

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

    const rec = await this.#index.update(async (data) => {
      let id = opts.id ?? newRunId();
      for (let attempt = 0; ; attempt++) {
        try {
          if (Object.hasOwn(data.runs, id)) throw Object.assign(new Error('in index'), { code: 'EEXIST' });
          await mkdir(this.paths.runDir(id)); // not recursive: fails if another process made it
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          if (opts.id !== undefined) throw new StoreError('run_exists', `a run with id ${JSON.stringify(id)} already exists`, { runId: id });
          if (attempt >= 10) throw new StoreError('run_id_clash', `could not draw an unused run id after ${attempt + 1} tries`, { runId: id });
          id = newRunId();
        }
      }
      const now = Date.now();
      const record: RunRecord = {
        id,
        name: opts.name ?? id,
        experiment,
        status: 'running',
        createdAt: now,
        endedAt: null,
        heartbeatAt: now,
        pid: process.pid,
        pidStart: processStartTime(process.pid),
        host: os.hostname(),
        params,
        tags,
        summary: {},
        artifacts: [],
        provenance,
        error: null,
        resumedAt: [],
      };
      try {
        await writeFile(this.paths.heartbeatFile(id), '');
        await runFile(this.paths.runFile(id), id).write(record);
      } catch (err) {
        // A full disk or a vanished folder: leave no half-made run folder behind (doctor removes one a kill leaves).
        await rm(this.paths.runDir(id), { recursive: true, force: true }).catch(() => undefined);
        throw new StoreError('write_failed', `cannot start run ${id}: writing ${this.paths.runDir(id)} failed: ${(err as Error).message}`, { runId: id, file: this.paths.runDir(id), cause: err });
      }
      data.runs[id] = record;
      return record;
    });
    const run = new FileRun(this, rec, this.#writer(rec.id), { heartbeatMs: this.#opts.heartbeatMs });
    this.#attach(run);
    return run;
  }

  /**
   * Claim a stopped run for this process. The status check and the claim are one step under the store lock, so
   * of two processes resuming one run at once exactly one wins; the other gets `run_active` and writes nothing.
   */
  async resumeRun(id: string): Promise<Run> {
    this.#check();
    checkRunId('resumeRun', id);
    const now = Date.now();
    const rec = await this.commit(id, (r) => {
      const current = deriveStatus(r, this.#probe());
      if (current.status === 'running') {
        throw new StoreError('run_active', `run ${id} is still running (pid ${current.pid} on ${current.host}); it cannot be resumed twice`, { runId: id });
      }
      r.status = 'running';
      r.endedAt = null;
      r.error = null;
      r.heartbeatAt = now;
      r.pid = process.pid;
      r.pidStart = processStartTime(process.pid);
      r.host = os.hostname();
      r.resumedAt = [...r.resumedAt, now];
    });
    // Read the series once the run is ours: no other process writes it now.
    const latest = latestByKey((await readSeriesFile(this.paths.metricsFile(id))).points);
    // Summary values that no series produced were set explicitly: keep them explicit.
    const explicit = Object.fromEntries(Object.entries(rec.summary).filter(([k]) => !latest.has(k)));
    await writeFile(this.paths.heartbeatFile(id), '');
    const run = new FileRun(this, rec, this.#writer(id), { heartbeatMs: this.#opts.heartbeatMs }, latest, explicit);
    this.#attach(run);
    return run;
  }

  /**
   * Write a whole ended run from another store: its folder (run.json, metrics.jsonl in series order, artifacts,
   * heartbeat) made under the store lock, then the index entry; a failure removes the folder again.
   */
  async importRun(copy: RunCopy): Promise<void> {
    this.#check();
    const rec = checkImport(copy);
    const id = rec.id;
    const dir = this.paths.runDir(id);
    const files = copy.artifacts.map((a) => ({ file: this.paths.artifact('importRun', id, a.name), bytes: a.bytes }));
    await this.#index.update(async (data) => {
      if (Object.hasOwn(data.runs, id)) throw new StoreError('run_exists', `a run with id ${JSON.stringify(id)} already exists in ${this.paths.root}`, { runId: id });
      try {
        await mkdir(dir); // not recursive: fails if another process made it
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new StoreError('run_exists', `a run folder ${dir} already exists`, { runId: id, file: dir });
        throw err;
      }
      try {
        let lines = '';
        for (const s of copy.series) for (let i = 0; i < s.step.length; i++) lines += encodePoint(s.key, s.step[i], s.value[i], s.time[i]);
        await writeFileAtomic(this.paths.metricsFile(id), lines);
        for (const f of files) {
          await mkdir(path.dirname(f.file), { recursive: true });
          await writeFileAtomic(f.file, f.bytes);
        }
        await writeFile(this.paths.heartbeatFile(id), '');
        await runFile(this.paths.runFile(id), id).write(rec);
      } catch (err) {
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
        throw new StoreError('write_failed', `cannot import run ${id}: writing ${dir} failed: ${(err as Error).message}`, { runId: id, file: dir, cause: err });
      }
      data.runs[id] = rec;
    });
  }

  #writer(id: string): MetricWriter {
    return new MetricWriter(this.paths.metricsFile(id), this.#opts.flush, { runId: id });
  }

  async deleteRun(id: string, opts: { force?: boolean } = {}): Promise<void> {
    this.#check();
    checkRunId('deleteRun', id);
    const current = await this.getRun(id);
    if (current.status === 'running' && !opts.force) {
      throw new StoreError('run_active', `run ${id} is running (pid ${current.pid} on ${current.host}); pass force to delete it anyway`, { runId: id });
    }
    this.#open.get(id)?.close(false);
    const trash = inside('deleteRun', this.paths.runs, `${TRASH_PREFIX}${id}-${randomBytes(4).toString('hex')}`);
    await this.#index.update(async (data) => {
      await rename(this.paths.runDir(id), trash);
      delete data.runs[id];
    });
    await rm(trash, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ reads

  async getRun(id: string): Promise<RunRecord> {
    checkRunId('getRun', id);
    const rec = await runFile(this.paths.runFile(id), id).read();
    if (rec === null) throw notFound(id, this.paths.runFile(id));
    return deriveStatus(rec, this.#probe());
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const select = compileQuery(query); // bad filters fail before any I/O
    const data = await this.#index.readShared(); // parsed once per version of the index file
    const probe = this.#probe();
    return select(Object.values(data.runs).map((r) => deriveStatus(r, probe))).map((r) => structuredClone(r)); // the caller's own copies
  }

  async listExperiments(): Promise<ExperimentInfo[]> {
    const byName = new Map<string, ExperimentInfo>();
    for (const r of await this.listRuns()) {
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
    this.#open.get(id)?.flushSync(); // a notebook reading its own live run sees every point
    try {
      await stat(this.paths.runFile(id));
    } catch {
      throw notFound(id, this.paths.runFile(id));
    }
    return toSeries((await readSeriesFile(this.paths.metricsFile(id))).points, keys);
  }

  async readArtifact(id: string, name: string): Promise<Uint8Array> {
    checkRunId('readArtifact', id);
    const file = this.paths.artifact('readArtifact', id, name);
    try {
      // A symlink inside the artifact folder must not lead out of it.
      inside('readArtifact', await realpath(this.paths.artifactsDir(id)), path.relative(this.paths.artifactsDir(id), await realpath(file)));
      return await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        await this.getRun(id); // run_not_found first, if that is the problem
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

  doctor(opts: { repair?: boolean; deep?: boolean } = {}): Promise<DoctorReport> {
    for (const r of this.#open.values()) r.flushSync();
    return runDoctor(this.paths, this.#index, { ...opts, probe: this.#probe() });
  }

  async close(): Promise<void> {
    for (const r of [...this.#open.values()]) r.close(true);
    this.#closed = true;
  }
}

