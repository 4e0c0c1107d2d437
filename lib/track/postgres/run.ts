/**
 * The live-run handle of the PostgreSQL store. Metric points are buffered in memory and sent as one row per batch
 * (`metric_batches`: the first point's seq and four binary arrays, any batch size in one statement; records.ts),
 * in logging order, one batch in flight per run. A point is acknowledged — in the database, surviving `kill -9` of
 * this process — once `flush()` (or `finish`/`fail`) has returned. A batch that failed stays queued and is retried
 * by the next flush; `(run_id, seq0)` is the primary key and a retry skips a batch already there, so it never
 * doubles a point (a first send is a plain INSERT: nothing of a fresh batch can be there yet).
 *
 * Unlike the file store there is no synchronous flush on process end (node-postgres is asynchronous): points
 * buffered when the process dies — by a signal or `process.exit()` too — are lost unless flushed. The heartbeat
 * is the `heartbeat_at` column, stamped by the database clock every `heartbeatMs`.
 *
 * Every other change is a commit (run-base.ts, shared with the file store): in one transaction, lock the run's row,
 * apply the change to the fresh record, write it back — the row lock in place of the file store's lock. finish/fail
 * set fields that do not depend on the stored record: one UPDATE (host.end).
 */
import { StoreError } from '../../errors.js';
import type { FlushPolicy } from '../metrics-log.js';
import { RunBase, type CommitHost, type LatestPoints, type RunEnd } from '../run-base.js';
import type { RunRecord } from '../types.js';
import { INSERT_POINTS, INSERT_POINTS_RETRY, NOW_MS, pointValues } from './records.js';

/** What a handle needs from its store. */
export interface PgRunHost extends CommitHost {
  /** Run a query on the store's pool. */
  query(sql: string, values?: unknown[], name?: string): Promise<{ rows: any[]; rowCount: number | null }>;
  /** Set the fields finish/fail set, in one statement; returns the record. */
  end(id: string, end: RunEnd): Promise<RunRecord>;
  /** The artifact file of a run (name checked, path proven inside the run's folder). */
  artifactPath(fn: string, id: string, name: string): string;
  artifactsDir(id: string): string;
  detach(run: PgRun): void;
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

export class PgRun extends RunBase {
  readonly #host: PgRunHost;
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
  /** Points acknowledged by the database. */
  written = 0;

  constructor(host: PgRunHost, rec: RunRecord, opts: PgRunOptions) {
    super(host, rec, opts.latest, opts.explicit);
    this.#host = host;
    this.#policy = opts.flush;
    this.#seq = opts.nextSeq ?? 0;
    this.#heartbeatMs = opts.heartbeatMs;
    this.#lastBeat = Date.now();
    this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Points logged but not yet acknowledged. */
  get pending(): number {
    return this.#buffer.seq.length + this.#queue.reduce((n, b) => n + b.seq.length, 0);
  }

  #beat(): void {
    this.#lastBeat = Date.now();
    if (this.#beating !== null || this.ended) return;
    this.#beating = this.#host
      .query(`UPDATE runs SET heartbeat_at = ${NOW_MS} WHERE id = $1 AND status = 'running'`, [this.id], 'splam_heartbeat')
      .then(
        () => undefined,
        () => undefined, // a missed beat is no error; the next one may land (staleness allows 12 misses)
      )
      .finally(() => (this.#beating = null));
  }

  #rethrow(): void {
    if (this.#error !== null) {
      const err = this.#error;
      this.#error = null;
      throw err;
    }
  }

  protected append(key: string, step: number, value: number, now: number): void {
    const b = this.#buffer;
    if (b.seq.length === 0) this.#oldest = now;
    b.seq.push(this.#seq++);
    b.key.push(key);
    b.step.push(step);
    b.value.push(value);
    b.time.push(now);
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

  protected artifactPath(name: string): string {
    return this.#host.artifactPath('logArtifact', this.id, name);
  }

  protected artifactsDir(): string {
    return this.#host.artifactsDir(this.id);
  }

  /** finish/fail: one UPDATE, not a commit's four statements (store.ts `end`). */
  protected override writeEnd(end: RunEnd): Promise<RunRecord> {
    return this.#host.end(this.id, end);
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
    this.ended = true;
    this.#host.detach(this);
  }

  /** Flush, then stop (store.close()): the run stays `running` in the database. */
  async close(flush = true): Promise<void> {
    if (this.ended) return;
    try {
      if (flush) await this.flush();
    } finally {
      this.#stop();
      if (this.#beating) await this.#beating;
    }
  }

  protected async stopForEnd(): Promise<void> {
    // When the database refuses the points this throws and the run stays open, so finish/fail can be retried.
    await this.flush();
    this.#stop();
    if (this.#beating) await this.#beating;
  }
}
