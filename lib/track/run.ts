/**
 * The live-run handle of the file store. Metric points go to the run's {@link MetricWriter} (buffered, no
 * index access); every other change is a "commit": under the store lock, re-read `run.json`, apply the change,
 * write `run.json` atomically, then mirror the record into the index.
 */
import { createHash } from 'node:crypto';
import { utimesSync } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ArgumentError, StoreError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { MetricWriter } from './metrics-log.js';
import { checkArtifactName, inside, type StorePaths } from './paths.js';
import { checkMetricKey, checkMetricValue, checkParams, checkStep, checkSummary, checkTags, cloneJson } from './validate.js';
import { ARTIFACT_KINDS, type ArtifactInfo, type ArtifactKind, type JsonValue, type Params, type Run, type RunError, type RunRecord } from './types.js';

/** What a handle needs from its store. */
export interface RunHost {
  readonly paths: StorePaths;
  /** Apply `mutate` to the fresh record under the lock and persist it (run.json, then index). */
  commit(id: string, mutate: (rec: RunRecord) => void): Promise<RunRecord>;
  /** The handle ended (finished, failed or closed). */
  detach(run: FileRun): void;
}

export interface RunTiming {
  heartbeatMs: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Turn anything thrown into what a failed run records. */
export function toRunError(error: unknown): RunError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack ?? null };
  return { name: 'Error', message: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error), stack: null };
}

/** The bytes of an artifact, checked against its kind. */
function artifactBytes(name: string, data: Uint8Array | string | JsonValue, kind: ArtifactKind): Uint8Array {
  const fn = 'logArtifact';
  if (!(ARTIFACT_KINDS as readonly string[]).includes(kind)) throw new ArgumentError(fn, 'kind', kind, ARTIFACT_KINDS.join(', '));
  switch (kind) {
    case 'png': {
      if (!(data instanceof Uint8Array) || !PNG_SIGNATURE.every((b, i) => data[i] === b)) {
        throw new ArgumentError(fn, `data of ${name}`, data instanceof Uint8Array ? `${data.length} bytes without a PNG signature` : typeof data, 'a Buffer/Uint8Array holding a PNG (signature 89 50 4E 47 0D 0A 1A 0A)');
      }
      return data;
    }
    case 'figure':
    case 'json': {
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
    }
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

export class FileRun implements Run {
  readonly id: string;
  readonly #host: RunHost;
  readonly #writer: MetricWriter;
  #rec: RunRecord;
  #closed = false;
  #heartbeat: NodeJS.Timeout | null = null;
  #lastBeat = 0;
  readonly #heartbeatMs: number;
  readonly #heartbeatFile: string;
  /** Latest (step, value) per key, for default steps and the summary. */
  readonly #latest: Map<string, { step: number; value: number }>;
  #explicit: Record<string, number>;
  /** Keys already checked, so the hot path skips the pattern test. */
  readonly #knownKeys = new Set<string>();

  constructor(
    host: RunHost,
    rec: RunRecord,
    writer: MetricWriter,
    timing: RunTiming,
    latest = new Map<string, { step: number; value: number }>(),
    explicit: Record<string, number> = {},
  ) {
    this.id = rec.id;
    this.#host = host;
    this.#rec = rec;
    this.#writer = writer;
    this.#latest = latest;
    this.#explicit = explicit;
    this.#heartbeatMs = timing.heartbeatMs;
    this.#heartbeatFile = host.paths.heartbeatFile(rec.id);
    this.#beat();
    this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  record(): RunRecord {
    return structuredClone(this.#rec);
  }

  #beat(): void {
    this.#lastBeat = Date.now();
    try {
      utimesSync(this.#heartbeatFile, this.#lastBeat / 1000, this.#lastBeat / 1000);
    } catch {
      // the run folder was removed (deleteRun --force); nothing to keep alive
    }
  }

  #open(fn: string): void {
    if (this.#closed) {
      throw new StoreError('run_closed', `${fn}: run ${this.id} has ended (status ${this.#rec.status}); resume it with store.resumeRun(id) to log more`, { runId: this.id });
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
    this.#writer.append(key, s, value, now);
    if (!prev || s >= prev.step) this.#latest.set(key, { step: s, value });
    if (now - this.#lastBeat >= this.#heartbeatMs) this.#beat();
  }

  logMetrics(values: Record<string, number>, step?: number): void {
    for (const [k, v] of Object.entries(values)) this.logMetric(k, v, step);
  }

  async flush(): Promise<void> {
    this.#writer.flushSync();
  }

  /** Flush without awaiting (exit hooks). */
  flushSync(): void {
    this.#writer.flushSync();
  }

  async #commit(mutate: (rec: RunRecord) => void): Promise<void> {
    this.#rec = await this.#host.commit(this.id, (rec) => {
      // A doctor may have persisted `crashed` while this process was stalled; it is evidently alive.
      if (rec.status === 'crashed' && !this.#closed) rec.status = 'running';
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

  /** Latest logged values overlaid by explicit ones. */
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
    const file = this.#host.paths.artifact('logArtifact', this.id, checkArtifactName('logArtifact', name));
    const bytes = artifactBytes(name, data, opts?.kind);
    const root = this.#host.paths.artifactsDir(this.id);
    await mkdir(path.dirname(file), { recursive: true });
    // Defence against a symlink planted inside the artifact folder: the real parent must stay inside.
    inside('logArtifact', await realpath(root), path.relative(root, await realpath(path.dirname(file))));
    await writeFileAtomic(file, bytes);
    const info: ArtifactInfo = {
      name,
      kind: opts.kind,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      createdAt: Date.now(),
    };
    await this.#commit((rec) => {
      rec.artifacts = [...rec.artifacts.filter((a) => a.name !== name), info];
    });
    return info;
  }

  /** Stop timers and close the series file (fsync). Idempotent; used by finish/fail and store.close(). */
  close(fsync = true): void {
    if (this.#heartbeat !== null) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = null;
    }
    this.#closed = true;
    this.#writer.close(fsync);
    this.#host.detach(this);
  }

  async #end(fn: string, status: 'finished' | 'failed', error: RunError | null, summary?: Record<string, number>): Promise<RunRecord> {
    this.#open(fn);
    if (summary !== undefined) this.#explicit = { ...this.#explicit, ...checkSummary(fn, summary) };
    // Write the points first: on a full disk this throws and the run stays open, so finish/fail can be retried.
    this.#writer.flushSync();
    this.close(true);
    const final = this.#summary();
    const now = Date.now();
    this.#rec = await this.#host.commit(this.id, (rec) => {
      rec.status = status;
      rec.endedAt = now;
      rec.heartbeatAt = now;
      rec.summary = final;
      rec.error = error;
    });
    return this.record();
  }

  finish(summary?: Record<string, number>): Promise<RunRecord> {
    return this.#end('finish', 'finished', null, summary);
  }

  fail(error: unknown): Promise<RunRecord> {
    return this.#end('fail', 'failed', toRunError(error));
  }
}
