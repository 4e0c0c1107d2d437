/**
 * What the live-run handles of both stores share (the file store's run.ts, PostgreSQL's postgres/run.ts): the
 * checks and the summary bookkeeping of `logMetric`, and every record change — params, tags, summary, artifacts,
 * finish/fail — as a "commit" through the store: apply the change to the fresh record under the store's lock (the
 * file store's lock file, PostgreSQL's row lock) and write it back. A subclass supplies where points go
 * ({@link RunBase.append}), how they are flushed, how the handle stops, and where artifact files live.
 */
import { createHash } from 'node:crypto';
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ArgumentError, StoreError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { inside } from './paths.js';
import { checkMetricKey, checkMetricValue, checkParams, checkStep, checkSummary, checkTags, cloneJson } from './validate.js';
import { ARTIFACT_KINDS, type ArtifactInfo, type ArtifactKind, type JsonValue, type Params, type Run, type RunError, type RunRecord } from './types.js';

/** What a handle needs from its store to change its record. */
export interface CommitHost {
  /** Apply `mutate` to the fresh record under the store's lock and persist it. */
  commit(id: string, mutate: (rec: RunRecord) => void): Promise<RunRecord>;
}

/** What finish/fail set on the record, whatever it held. */
export type RunEnd = Pick<RunRecord, 'status' | 'endedAt' | 'heartbeatAt' | 'summary' | 'error'>;

/** Latest (step, value) per metric key: default steps and the summary. */
export type LatestPoints = Map<string, { step: number; value: number }>;

/** Turn anything thrown into what a failed run records. */
export function toRunError(error: unknown): RunError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack ?? null };
  return { name: 'Error', message: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error), stack: null };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The bytes of an artifact, checked against its kind. */
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

export abstract class RunBase implements Run {
  readonly id: string;
  readonly #host: CommitHost;
  #rec: RunRecord;
  /** Set by the subclass when the handle stops (finish, fail, close). */
  protected ended = false;
  readonly #latest: LatestPoints;
  #explicit: Record<string, number>;
  /** Keys already checked, so the hot path skips the pattern test. */
  readonly #knownKeys = new Set<string>();

  constructor(host: CommitHost, rec: RunRecord, latest: LatestPoints = new Map(), explicit: Record<string, number> = {}) {
    this.id = rec.id;
    this.#host = host;
    this.#rec = rec;
    this.#latest = latest;
    this.#explicit = explicit;
  }

  get closed(): boolean {
    return this.ended;
  }

  /** The status the record held when this handle last wrote it. */
  protected get status(): RunRecord['status'] {
    return this.#rec.status;
  }

  record(): RunRecord {
    return structuredClone(this.#rec);
  }

  /** @throws StoreError `run_closed` once the handle has stopped */
  protected open(fn: string): void {
    if (this.ended) {
      throw new StoreError('run_closed', `${fn}: run ${this.id} has ended (status ${this.#rec.status}); resume it with store.resumeRun(id) to log more`, { runId: this.id });
    }
  }

  /** Store one checked point (buffered); `now` is its time in epoch ms. */
  protected abstract append(key: string, step: number, value: number, now: number): void;

  /** Send or write every buffered point. */
  abstract flush(): Promise<void>;

  /** Before finish/fail writes the record: make every point durable, then stop the handle (ended = true). */
  protected abstract stopForEnd(): Promise<void>;

  /** The artifact file `name` of this run (name checked, path proven inside {@link artifactsDir}). */
  protected abstract artifactPath(name: string): string;

  protected abstract artifactsDir(): string;

  /** Write what finish/fail set; by default a commit, a store may have a shorter way. */
  protected writeEnd(end: RunEnd): Promise<RunRecord> {
    return this.#host.commit(this.id, (rec) => Object.assign(rec, end));
  }

  logMetric(key: string, value: number, step?: number): void {
    this.open('logMetric');
    if (!this.#knownKeys.has(key)) {
      checkMetricKey('logMetric', key);
      this.#knownKeys.add(key);
    }
    checkMetricValue('logMetric', key, value);
    const prev = this.#latest.get(key);
    const s = step === undefined ? (prev ? prev.step + 1 : 0) : checkStep('logMetric', step);
    this.append(key, s, value, Date.now());
    if (!prev || s >= prev.step) this.#latest.set(key, { step: s, value });
  }

  logMetrics(values: Record<string, number>, step?: number): void {
    for (const [k, v] of Object.entries(values)) this.logMetric(k, v, step);
  }

  async #commit(mutate: (rec: RunRecord) => void): Promise<void> {
    this.#rec = await this.#host.commit(this.id, (rec) => {
      // A doctor may have persisted `crashed` while this process was stalled; it is evidently alive.
      if (rec.status === 'crashed' && !this.ended) rec.status = 'running';
      mutate(rec);
    });
  }

  async logParams(params: Params): Promise<void> {
    this.open('logParams');
    const fresh = cloneJson(checkParams('logParams', params));
    await this.#commit((rec) => {
      rec.params = { ...rec.params, ...fresh };
    });
  }

  async setTags(tags: Record<string, string | number | boolean>): Promise<void> {
    this.open('setTags');
    const fresh = checkTags('setTags', tags);
    await this.#commit((rec) => {
      rec.tags = { ...rec.tags, ...fresh };
    });
  }

  /** Latest logged values overlaid by explicit ones. */
  #summary(): Record<string, number> {
    return { ...Object.fromEntries([...this.#latest].map(([k, p]) => [k, p.value])), ...this.#explicit };
  }

  async setSummary(values: Record<string, number> = {}): Promise<void> {
    this.open('setSummary');
    this.#explicit = { ...this.#explicit, ...checkSummary('setSummary', values) };
    const summary = this.#summary();
    await this.#commit((rec) => {
      rec.summary = summary;
    });
  }

  async logArtifact(name: string, data: Uint8Array | string | JsonValue, opts: { kind: ArtifactKind }): Promise<ArtifactInfo> {
    this.open('logArtifact');
    const file = this.artifactPath(name);
    const bytes = artifactBytes(name, data, opts?.kind);
    const root = this.artifactsDir();
    await mkdir(path.dirname(file), { recursive: true });
    // Defence against a symlink planted inside the artifact folder: the real parent must stay inside.
    inside('logArtifact', await realpath(root), path.relative(root, await realpath(path.dirname(file))));
    await writeFileAtomic(file, bytes);
    const info: ArtifactInfo = { name, kind: opts.kind, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), createdAt: Date.now() };
    await this.#commit((rec) => {
      rec.artifacts = [...rec.artifacts.filter((a) => a.name !== name), info];
    });
    return info;
  }

  async #end(fn: string, status: 'finished' | 'failed', error: RunError | null, summary?: Record<string, number>): Promise<RunRecord> {
    this.open(fn);
    if (summary !== undefined) this.#explicit = { ...this.#explicit, ...checkSummary(fn, summary) };
    // Points first: when they cannot be written this throws and the run stays open, so finish/fail can be retried.
    await this.stopForEnd();
    const now = Date.now();
    this.#rec = await this.writeEnd({ status, endedAt: now, heartbeatAt: now, summary: this.#summary(), error });
    return this.record();
  }

  finish(summary?: Record<string, number>): Promise<RunRecord> {
    return this.#end('finish', 'finished', null, summary);
  }

  fail(error: unknown): Promise<RunRecord> {
    return this.#end('fail', 'failed', toRunError(error));
  }
}
