/**
 * The live-run handle of the PostgreSQL store. Metric points are buffered in memory and sent as one multi-row
 * INSERT per batch (`unnest` of five binary arrays: any batch size in one statement, six parameters; records.ts),
 * in logging order, one batch in flight per run. A point is acknowledged — in the database, surviving `kill -9` of
 * this process — once `flush()` (or `finish`/`fail`) has returned. A batch that failed stays queued and is retried
 * by the next flush; `(run_id, seq)` is the primary key and a retry skips rows already there, so it never doubles a
 * point (a first send is a plain INSERT: nothing of a fresh batch can be there yet).
 *
 * Unlike the file store there is no synchronous flush on process end (node-postgres is asynchronous): points
 * buffered when the process dies — by a signal or `process.exit()` too — are lost unless flushed. The heartbeat
 * is the `heartbeat_at` column, stamped by the database clock every `heartbeatMs`.
 *
 * Every other change is a commit: in one transaction, lock the run's row, apply the change to the fresh record,
 * write it back (the same rule as the file store, with the row lock in place of the store lock). finish/fail set
 * fields that do not depend on the stored record: one UPDATE (host.end).
 */
import { createHash } from 'node:crypto';
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ArgumentError, StoreError } from '../../errors.js';
import { writeFileAtomic } from '../atomic.js';
import type { FlushPolicy } from '../metrics-log.js';
import { checkArtifactName, inside } from '../paths.js';
import { toRunError } from '../run.js';
import { checkMetricKey, checkMetricValue, checkParams, checkStep, checkSummary, checkTags, cloneJson } from '../validate.js';
import { ARTIFACT_KINDS, type ArtifactInfo, type ArtifactKind, type JsonValue, type Params, type Run, type RunError, type RunRecord } from '../types.js';
import { INSERT_POINTS, INSERT_POINTS_RETRY, NOW_MS, pointValues, type RunEnd } from './records.js';

/** What a handle needs from its store. */
export interface PgRunHost {
  /** Run a query on the store's pool. */
  query(sql: string, values?: unknown[], name?: string): Promise<{ rows: any[]; rowCount: number | null }>;
  /** Apply `mutate` to the fresh record with its row locked, and write it back. */
  commit(id: string, mutate: (rec: RunRecord) => void): Promise<RunRecord>;
  /** Set the fields finish/fail set, in one statement; returns the record. */
  end(id: string, end: RunEnd): Promise<RunRecord>;
  /** The artifact file of a run (name checked, path proven inside the run's folder). */
  artifactPath(fn: string, id: string, name: string): string;
  artifactsDir(id: string): string;
  detach(run: PgRun): void;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The bytes of an artifact, checked against its kind (the same rules as the file store's run.ts). */
export function artifactBytes(name: string, data: Uint8Array | string | JsonValue, kind: ArtifactKind): Uint8Array {
  const fn = 'logArtifact';
  if (!(ARTIFACT_KINDS as readonly string[]).includes(kind)) throw new ArgumentError(fn, 'kind', kind, ARTIFACT_KINDS.join(', '));
  switch (kind) {
    case 'png':
      if (!(data instanceof Uint8Array) || !PNG_SIGNATURE.every((b, i) => data[i] === b)) {
        throw new ArgumentError(fn, `data of ${name}`, data instanceof Uint8Array ? `${data.length} bytes without a PNG signature` : typeof data, 'a Buffer/Uint8Array holding a PNG (signature 89 50 4E 47 0D 0A 1A 0A)');
      }
      return data;
    case 'figure':
    case 'json':
      if (data instanceof Uint8Array) throw new ArgumentError(fn, `data of ${name}`, 'bytes', `a JSON value for kind ${kind}`);
      if (typeof data === 'string') {
        try {
          JSON.parse(data);
        } catch {
          throw new ArgumentError(fn, `data of ${name}`, data.slice(0, 40), `JSON text or a JSON value for kind ${kind}`);
        }
        return Buffer.from(data);
      }
      return Buffer.from(JSON.stringify(data, null, 2) + '\n');
    case 'text':
      if (typeof data !== 'string') throw new ArgumentError(fn, `data of ${name}`, typeof data, 'a string for kind text');
      return Buffer.from(data);
    case 'checkpoint':
    case 'file':
      if (data instanceof Uint8Array) return data;
      if (typeof data === 'string') return Buffer.from(data);
      throw new ArgumentError(fn, `data of ${name}`, typeof data, `bytes or a string for kind ${kind}`);
  }
}

/** Store an artifact's bytes under the run's artifact folder (atomic write; symlinks may not lead out). */
export async function writeArtifact(host: PgRunHost, id: string, name: string, data: Uint8Array | string | JsonValue, kind: ArtifactKind): Promise<ArtifactInfo> {
  const file = host.artifactPath('logArtifact', id, checkArtifactName('logArtifact', name));
  const bytes = artifactBytes(name, data, kind);
  const root = host.artifactsDir(id);
  await mkdir(path.dirname(file), { recursive: true });
  inside('logArtifact', await realpath(root), path.relative(root, await realpath(path.dirname(file))));
  await writeFileAtomic(file, bytes);
  return { name, kind, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), createdAt: Date.now() };
}

interface Batch {
  seq: number[];
  key: string[];
  step: number[];
  value: number[];
  time: number[];
  /** Sent before without an answer that it committed: resend with INSERT_POINTS_RETRY. */
  retry: boolean;
}

const emptyBatch = (): Batch => ({ seq: [], key: [], step: [], value: [], time: [], retry: false });

export interface PgRunOptions {
  heartbeatMs: number;
  flush: FlushPolicy;
  /** The next point's seq (after a resume: one past the highest stored). */
  nextSeq?: number;
  latest?: Map<string, { step: number; value: number }>;
  explicit?: Record<string, number>;
}

export class PgRun implements Run {
  readonly id: string;
  readonly #host: PgRunHost;
  #rec: RunRecord;
  #closed = false;
  readonly #policy: FlushPolicy;
  #buffer: Batch = emptyBatch();
  #oldest = 0;
  /** Batches cut from the buffer, not yet acknowledged by the database; sent in order. */
  readonly #queue: Batch[] = [];
  #sending: Promise<void> | null = null;
  #error: unknown = null;
  #timer: NodeJS.Timeout | null = null;
  #seq: number;
  #heartbeat: NodeJS.Timeout | null = null;
  #beating: Promise<void> | null = null;
  #lastBeat = 0;
  readonly #heartbeatMs: number;
  readonly #latest: Map<string, { step: number; value: number }>;
  #explicit: Record<string, number>;
  readonly #knownKeys = new Set<string>();
  /** Points acknowledged by the database. */
  written = 0;

  constructor(host: PgRunHost, rec: RunRecord, opts: PgRunOptions) {
    this.id = rec.id;
    this.#host = host;
    this.#rec = rec;
    this.#policy = opts.flush;
    this.#seq = opts.nextSeq ?? 0;
    this.#latest = opts.latest ?? new Map();
    this.#explicit = opts.explicit ?? {};
    this.#heartbeatMs = opts.heartbeatMs;
    this.#lastBeat = Date.now();
    this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Points logged but not yet acknowledged. */
  get pending(): number {
    return this.#buffer.seq.length + this.#queue.reduce((n, b) => n + b.seq.length, 0);
  }

  record(): RunRecord {
    return structuredClone(this.#rec);
  }

  #beat(): void {
    this.#lastBeat = Date.now();
    if (this.#beating !== null || this.#closed) return;
    this.#beating = this.#host
      .query(`UPDATE runs SET heartbeat_at = ${NOW_MS} WHERE id = $1 AND status = 'running'`, [this.id], 'splam_heartbeat')
      .then(
        () => undefined,
        () => undefined, // a missed beat is no error; the next one may land (staleness allows 12 misses)
      )
      .finally(() => (this.#beating = null));
  }

  #open(fn: string): void {
    if (this.#closed) {
      throw new StoreError('run_closed', `${fn}: run ${this.id} has ended (status ${this.#rec.status}); resume it with store.resumeRun(id) to log more`, { runId: this.id });
    }
  }

  #rethrow(): void {
    if (this.#error !== null) {
      const err = this.#error;
      this.#error = null;
      throw err;
    }
  }

  logMetric(key: string, value: number, step?: number): void {
    this.#open('logMetric');
    if (!this.#knownKeys.has(key)) {
      checkMetricKey('logMetric', key);
      this.#knownKeys.add(key);
    }
    checkMetricValue('logMetric', key, value);
    const prev = this.#latest.get(key);
    const s = step === undefined ? (prev ? prev.step + 1 : 0) : checkStep('logMetric', step);
    const now = Date.now();
    const b = this.#buffer;
    if (b.seq.length === 0) this.#oldest = now;
    b.seq.push(this.#seq++);
    b.key.push(key);
    b.step.push(s);
    b.value.push(value);
    b.time.push(now);
    if (!prev || s >= prev.step) this.#latest.set(key, { step: s, value });
    if (b.seq.length >= this.#policy.batchSize || now - this.#oldest >= this.#policy.intervalMs) this.#cut();
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#cut();
      }, this.#policy.intervalMs);
      this.#timer.unref();
    }
    if (now - this.#lastBeat >= this.#heartbeatMs) this.#beat();
  }

  logMetrics(values: Record<string, number>, step?: number): void {
    for (const [k, v] of Object.entries(values)) this.logMetric(k, v, step);
  }

  /** Move the buffer to the send queue and make sure a sender runs. */
  #cut(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#buffer.seq.length > 0) {
      this.#queue.push(this.#buffer);
      this.#buffer = emptyBatch();
    }
    if (this.#sending === null && this.#queue.length > 0 && this.#error === null) {
      this.#sending = this.#drain().finally(() => (this.#sending = null));
    }
  }

  /** Send queued batches in order; stop at the first failure (the batch stays queued, the error is kept). */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const b = this.#queue[0];
      try {
        if (b.retry) await this.#host.query(INSERT_POINTS_RETRY, pointValues(this.id, b), 'splam_insert_points_retry');
        else await this.#host.query(INSERT_POINTS, pointValues(this.id, b), 'splam_insert_points');
      } catch (err) {
        b.retry = true; // it may have committed before the failure reached us
        this.#error = new StoreError('write_failed', `cannot insert metric points of run ${this.id}: ${(err as Error).message}; ${this.pending} point(s) are kept in memory and sent by the next flush`, { runId: this.id, cause: err });
        return;
      }
      this.#queue.shift();
      this.written += b.seq.length;
    }
  }

  /**
   * Send every buffered point and wait until the database has them all.
   * @throws StoreError `write_failed` when an insert fails; the unsent points are kept for the next flush.
   */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#sending !== null) await this.#sending;
      this.#rethrow();
      this.#cut();
      if (this.#sending === null) return;
    }
  }

  async #commit(mutate: (rec: RunRecord) => void): Promise<void> {
    this.#rec = await this.#host.commit(this.id, (rec) => {
      if (rec.status === 'crashed' && !this.#closed) rec.status = 'running'; // a doctor judged us dead while we stalled
      mutate(rec);
    });
  }

  async logParams(params: Params): Promise<void> {
    this.#open('logParams');
    const fresh = cloneJson(checkParams('logParams', params));
    await this.#commit((rec) => {
      rec.params = { ...rec.params, ...fresh };
    });
  }

  async setTags(tags: Record<string, string | number | boolean>): Promise<void> {
    this.#open('setTags');
    const fresh = checkTags('setTags', tags);
    await this.#commit((rec) => {
      rec.tags = { ...rec.tags, ...fresh };
    });
  }

  #summary(): Record<string, number> {
    return { ...Object.fromEntries([...this.#latest].map(([k, p]) => [k, p.value])), ...this.#explicit };
  }

  async setSummary(values: Record<string, number> = {}): Promise<void> {
    this.#open('setSummary');
    this.#explicit = { ...this.#explicit, ...checkSummary('setSummary', values) };
    const summary = this.#summary();
    await this.#commit((rec) => {
      rec.summary = summary;
    });
  }

  async logArtifact(name: string, data: Uint8Array | string | JsonValue, opts: { kind: ArtifactKind }): Promise<ArtifactInfo> {
    this.#open('logArtifact');
    const info = await writeArtifact(this.#host, this.id, name, data, opts?.kind);
    await this.#commit((rec) => {
      rec.artifacts = [...rec.artifacts.filter((a) => a.name !== name), info];
    });
    return info;
  }

  /** Stop the timers and detach; buffered points are dropped unless `flushFirst` succeeded before. */
  #stop(): void {
    if (this.#heartbeat !== null) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = null;
    }
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#closed = true;
    this.#host.detach(this);
  }

  /** Flush, then stop (store.close()): the run stays `running` in the database. */
  async close(flush = true): Promise<void> {
    if (this.#closed) return;
    try {
      if (flush) await this.flush();
    } finally {
      this.#stop();
      if (this.#beating) await this.#beating;
    }
  }

  async #end(fn: string, status: 'finished' | 'failed', error: RunError | null, summary?: Record<string, number>): Promise<RunRecord> {
    this.#open(fn);
    if (summary !== undefined) this.#explicit = { ...this.#explicit, ...checkSummary(fn, summary) };
    // Points first: when the database refuses them the run stays open, so finish/fail can be retried.
    await this.flush();
    this.#stop();
    if (this.#beating) await this.#beating;
    const final = this.#summary();
    const now = Date.now();
    this.#rec = await this.#host.end(this.id, { status, endedAt: now, heartbeatAt: now, summary: final, error });
    return this.record();
  }

  finish(summary?: Record<string, number>): Promise<RunRecord> {
    return this.#end('finish', 'finished', null, summary);
  }

  fail(error: unknown): Promise<RunRecord> {
    return this.#end('fail', 'failed', toRunError(error));
  }
}
