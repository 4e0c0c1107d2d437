/**
 * The run index: one lowdb document `{ format, version, runs: { <id>: RunRecord } }` that answers queries
 * without opening every run folder. It is a cache of the per-run `run.json` files (doctor rebuilds it from
 * them), written only under the store lock, and always re-read inside the lock before a change: lowdb's own
 * `read()` would keep stale in-memory data when the file vanished (it skips falsy reads), so {@link RunIndex}
 * reads through the adapter itself and hands lowdb the fresh data to write.
 */
import { Low, type Adapter } from 'lowdb';
import { StoreError } from '../errors.js';
import { AtomicJsonFile } from './adapter.js';
import type { StoreLock } from './lock.js';
import { decodeRecord, encodeRecord, recordShapeProblem } from './record.js';
import type { RunRecord } from './types.js';

export const INDEX_FORMAT = 'splam-index';
export const INDEX_VERSION = 1;

export interface IndexData {
  format: typeof INDEX_FORMAT;
  version: typeof INDEX_VERSION;
  runs: Record<string, RunRecord>;
}

export function emptyIndex(): IndexData {
  return { format: INDEX_FORMAT, version: INDEX_VERSION, runs: {} };
}

export const DOCTOR_HINT = 'run `splam runs doctor` to rebuild the index from the per-run files (the damaged file is kept as a backup)';

/** Why a parsed value is not an index, or null. */
export function indexShapeProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the top level is not an object';
  const d = v as Record<string, unknown>;
  if (d.format !== INDEX_FORMAT) return `"format" is ${JSON.stringify(d.format)}, expected ${JSON.stringify(INDEX_FORMAT)}`;
  if (d.version !== INDEX_VERSION) return `"version" is ${JSON.stringify(d.version)}, this splam-lab reads ${INDEX_VERSION}`;
  if (typeof d.runs !== 'object' || d.runs === null || Array.isArray(d.runs)) return '"runs" is not an object';
  for (const [id, rec] of Object.entries(d.runs)) {
    const p = recordShapeProblem(rec, id);
    if (p) return `runs[${JSON.stringify(id)}]: ${p}`;
  }
  return null;
}

/** The index file adapter: atomic writes, corrupt → `StoreError` code `corrupt_index`. */
export function indexFile(file: string): AtomicJsonFile<IndexData> {
  return new AtomicJsonFile<IndexData>(file, {
    check: indexShapeProblem,
    corruptCode: 'corrupt_index',
    hint: DOCTOR_HINT,
    serialise: (d) => ({ ...d, runs: Object.fromEntries(Object.entries(d.runs).map(([id, r]) => [id, encodeRecord(r)])) }),
    revive: (v) => {
      const d = v as IndexData;
      for (const id of Object.keys(d.runs)) decodeRecord(d.runs[id]);
      return d;
    },
  });
}

export class RunIndex {
  readonly #db: Low<IndexData>;
  readonly #adapter: Adapter<IndexData>;
  readonly #lock: StoreLock;
  readonly #file: string | undefined;

  /**
   * @param adapter where the document lives (an {@link indexFile}, or lowdb's `Memory` in tests)
   * @param lock held around every read-change-write
   * @param file the index's path, for error messages
   */
  constructor(adapter: Adapter<IndexData>, lock: StoreLock, file?: string) {
    this.#adapter = adapter;
    this.#db = new Low<IndexData>(adapter, emptyIndex());
    this.#lock = lock;
    this.#file = file;
  }

  /** The document as last parsed by {@link readShared}, and the bytes it was parsed from. */
  #shared: { bytes: Buffer; data: IndexData } | null = null;

  /**
   * The current document for queries, parsed again only when the file's bytes changed (reading and comparing the
   * bytes is a few milliseconds where parsing 10,000 runs is most of a query's time). The returned object is
   * shared between calls: callers must not change it, and copy what they hand out (the store's listRuns copies the
   * records it returns). With another adapter (lowdb's `Memory` in tests) it is {@link read}.
   */
  async readShared(): Promise<IndexData> {
    const data = await this.readSharedOrNull();
    if (data === null) throw this.#missing();
    return data;
  }

  /** {@link readShared}, or null when the index does not exist (openStore's first read: the first query reuses it). */
  async readSharedOrNull(): Promise<IndexData | null> {
    if (!(this.#adapter instanceof AtomicJsonFile)) return this.readOrNull();
    const adapter = this.#adapter as AtomicJsonFile<IndexData>;
    const bytes = await adapter.readBytes();
    if (bytes === null) return null;
    if (this.#shared !== null && this.#shared.bytes.equals(bytes)) return this.#shared.data;
    const data = adapter.parse(bytes.toString('utf8'));
    this.#shared = { bytes, data };
    return data;
  }

  /** Read the current document (no lock: writes are atomic renames, so a read sees a whole file). */
  async read(): Promise<IndexData> {
    const data = await this.#adapter.read();
    if (data === null) throw this.#missing();
    return data;
  }

  /** The document, or null when it does not exist. Corrupt still throws. */
  readOrNull(): Promise<IndexData | null> {
    return this.#adapter.read();
  }

  /** Create an empty index if none exists (under the lock). */
  async init(): Promise<void> {
    await this.#lock.run(async () => {
      if ((await this.#adapter.read()) === null) {
        this.#db.data = emptyIndex();
        await this.#db.write();
      }
    });
  }

  /**
   * Change the index: under the store lock, re-read it, apply `fn` to the fresh data, write it back atomically.
   * @throws StoreError `missing_index` / `corrupt_index` (never overwrites what it could not read)
   */
  update<R>(fn: (data: IndexData) => R | Promise<R>): Promise<R> {
    return this.#lock.run(async () => {
      const data = await this.#adapter.read();
      if (data === null) throw this.#missing();
      this.#db.data = data;
      const result = await fn(data);
      await this.#db.write();
      return result;
    });
  }

  /** Run `fn` under the same lock without touching the index (doctor, run folder changes). */
  locked<R>(fn: () => Promise<R>): Promise<R> {
    return this.#lock.run(fn);
  }

  /** Replace the whole document under the lock (doctor's rebuild). */
  replace(data: IndexData): Promise<void> {
    return this.#lock.run(async () => {
      this.#db.data = data;
      await this.#db.write();
    });
  }

  /** Write `data` as the document; only for callers already holding the lock. */
  async writeUnlocked(data: IndexData): Promise<void> {
    this.#db.data = data;
    await this.#db.write();
  }

  #missing(): StoreError {
    return new StoreError('missing_index', `the store index ${this.#file ?? '(index)'} is missing but the store has runs\n  hint: ${DOCTOR_HINT}`, {
      file: this.#file,
    });
  }
}
