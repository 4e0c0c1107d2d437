/**
 * Metric series as append-only JSON Lines, one file per run: `{"k":"loss","s":12,"v":0.031,"t":1764183570123}`
 * (key, step, value, time in epoch ms; NaN and ±Infinity written as the strings "NaN", "Infinity", "-Infinity").
 * Logging a point never touches the index; points are buffered in memory and appended in batches.
 *
 * When a point is on disk (it survives `kill -9` of the process; power loss is covered only after
 * `finish`/`fail`, which fsync): once its batch fills (`batchSize` points, written inside that `logMetric`
 * call), once `flush()` returns, or once `intervalMs` has passed since the oldest unflushed point — written by
 * the next `logMetric` call or by a timer as soon as the event loop is free, whichever comes first.
 *
 * Each batch is one `write(2)` of whole lines on an `O_APPEND` descriptor. A torn last line (a partial write
 * on a full disk, a copied-while-writing file) is skipped on read and reported by doctor; a writer that reopens
 * a file whose last line is torn starts on a new line, so the damage stays confined to that line.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StoreError } from '../errors.js';
import { decodeNumber } from './record.js';
import type { MetricPoint, MetricSeries } from './types.js';

/** When buffered points are written. */
export interface FlushPolicy {
  /** Write as soon as this many points are buffered (default 256). */
  batchSize: number;
  /** Write points at most this long after they were logged, event loop permitting (default 100 ms). */
  intervalMs: number;
}

export const DEFAULT_FLUSH: FlushPolicy = { batchSize: 256, intervalMs: 100 };

/** One point as its JSON line (with the newline). */
export function encodePoint(key: string, step: number, value: number, time: number): string {
  const v = Number.isFinite(value) ? String(value) : `"${String(value)}"`;
  return `{"k":${JSON.stringify(key)},"s":${step},"v":${v},"t":${time}}\n`;
}

function decodePoint(line: string): MetricPoint | null {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null) return null;
  const { k, s, v, t } = o as Record<string, unknown>;
  if (typeof k !== 'string' || typeof s !== 'number' || typeof t !== 'number') return null;
  if (typeof v !== 'number' && typeof v !== 'string') return null;
  const value = decodeNumber(v);
  if (typeof v === 'string' && v !== 'NaN' && Number.isNaN(value)) return null;
  return { key: k, step: s, value, time: t };
}

/** What reading a series file found. Line numbers are 1-based. */
export interface SeriesRead {
  points: MetricPoint[];
  /** The file does not end with a newline and its last line is not a whole point (a partial write). */
  torn: boolean;
  /** Lines other than a torn last one that are not points. */
  badLines: number[];
}

/** Parse series text, tolerating a torn last line and reporting bad ones. */
export function parseSeries(text: string): SeriesRead {
  const lines = text.split('\n');
  const last = lines.pop() ?? ''; // '' when the text ends with a newline
  const points: MetricPoint[] = [];
  const badLines: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const p = decodePoint(lines[i]);
    if (p) points.push(p);
    else badLines.push(i + 1);
  }
  let torn = false;
  if (last !== '') {
    const p = decodePoint(last);
    if (p) points.push(p);
    else torn = true;
  }
  return { points, torn, badLines };
}

/** Read a run's series file; a missing file is an empty series. */
export async function readSeriesFile(file: string): Promise<SeriesRead> {
  try {
    return parseSeries(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { points: [], torn: false, badLines: [] };
    throw err;
  }
}

/** Group points by key into columnar series sorted by step (stable: equal steps keep logging order). */
export function toSeries(points: readonly MetricPoint[], keys?: readonly string[]): MetricSeries[] {
  const want = keys ? new Set(keys) : null;
  const byKey = new Map<string, MetricPoint[]>();
  for (const p of points) {
    if (want && !want.has(p.key)) continue;
    let list = byKey.get(p.key);
    if (!list) byKey.set(p.key, (list = []));
    list.push(p);
  }
  const out: MetricSeries[] = [];
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.step - b.step);
    out.push({ key, step: list.map((p) => p.step), value: list.map((p) => p.value), time: list.map((p) => p.time) });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Latest point per key: highest step, then latest logged. */
export function latestByKey(points: readonly MetricPoint[]): Map<string, { step: number; value: number }> {
  const last = new Map<string, { step: number; value: number }>();
  for (const p of points) {
    const cur = last.get(p.key);
    if (!cur || p.step >= cur.step) last.set(p.key, { step: p.step, value: p.value });
  }
  return last;
}

/** Whether the file's last byte is a newline (true for an empty or missing file). Reads one byte. */
export function endsWithNewline(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return true;
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, size - 1);
  return b[0] === 0x0a;
}

const EMPTY = Buffer.alloc(0);

/** Newlines in `bytes`: whole points in an encoded batch. */
function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * The system calls the writer appends with: a fault-injection seam for tests (a full disk: a short write, then
 * ENOSPC). Production code never changes it.
 */
export const metricsIo = { writeSync: writeSync as (fd: number, buffer: Uint8Array, offset: number, length: number) => number };

/**
 * The buffered, append-only writer of one run's series. Synchronous by design: `append` is called from
 * training loops, and exit hooks must flush without awaiting.
 */
export class MetricWriter {
  readonly file: string;
  readonly #policy: FlushPolicy;
  #fd: number | null;
  #buffer: string[] = [];
  /** Encoded bytes a failed write left over (the tail of a batch), written first by the next flush. */
  #unwritten: Buffer = EMPTY;
  #oldest = 0;
  #timer: NodeJS.Timeout | null = null;
  #error: unknown = null;
  /** Points wholly written to the file by this writer. */
  written = 0;

  /** The run whose series this is, for error messages. */
  readonly runId: string | null;

  constructor(file: string, policy: FlushPolicy = DEFAULT_FLUSH, opts: { runId?: string } = {}) {
    this.file = file;
    this.#policy = policy;
    this.runId = opts.runId ?? null;
    this.#fd = openSync(file, 'a', 0o644);
    // Do not glue new lines onto a torn one.
    const rfd = openSync(file, 'r');
    try {
      if (!endsWithNewline(rfd)) writeSync(this.#fd, '\n');
    } finally {
      closeSync(rfd);
    }
  }

  /** Points logged but not yet (wholly) in the file. */
  get pending(): number {
    return this.#buffer.length + countLines(this.#unwritten);
  }

  /** Buffer one point; writes the batch when it is full or the oldest point is `intervalMs` old. */
  append(key: string, step: number, value: number, time: number): void {
    this.#rethrow();
    if (this.#fd === null) throw new Error(`metric writer for ${this.file} is closed`);
    if (this.#buffer.length === 0) this.#oldest = time;
    this.#buffer.push(encodePoint(key, step, value, time));
    if (this.#buffer.length >= this.#policy.batchSize || time - this.#oldest >= this.#policy.intervalMs) {
      this.flushSync();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        try {
          this.flushSync();
        } catch (err) {
          this.#error = err; // surfaced by the next append/flush
        }
      }, this.#policy.intervalMs);
      this.#timer.unref();
    }
  }

  /**
   * Write every buffered point now (one write call when the disk takes it all). Bytes the disk did not take (a
   * short write, then ENOSPC) stay queued from the exact byte where the write stopped: the next flush completes
   * the partial line instead of writing the batch again, so no point is duplicated and no line is left broken.
   * @throws StoreError `disk_full` / `write_failed` naming the file and the run; the unwritten points are kept.
   */
  flushSync(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#rethrow();
    if (this.#fd === null) return;
    if (this.#buffer.length > 0) {
      const fresh = Buffer.from(this.#buffer.join(''));
      this.#unwritten = this.#unwritten.length === 0 ? fresh : Buffer.concat([this.#unwritten, fresh]);
      this.#buffer = [];
    }
    const data = this.#unwritten;
    let off = 0;
    try {
      while (off < data.length) off += metricsIo.writeSync(this.#fd, data, off, data.length - off);
    } catch (err) {
      this.#unwritten = data.subarray(off);
      this.written += countLines(data.subarray(0, off));
      throw this.#writeError(err);
    } finally {
      if (off >= data.length) this.#unwritten = EMPTY;
    }
    this.written += countLines(data);
  }

  /** Flush, optionally fsync, and close. Idempotent. */
  close(fsync: boolean): void {
    if (this.#fd === null) return;
    try {
      this.flushSync();
      if (fsync) fsyncSync(this.#fd);
    } finally {
      closeSync(this.#fd);
      this.#fd = null;
    }
  }

  #writeError(err: unknown): StoreError {
    const code = (err as NodeJS.ErrnoException).code;
    const full = code === 'ENOSPC' || code === 'EDQUOT';
    const what = this.runId === null ? this.file : `${this.file} (run ${this.runId})`;
    return new StoreError(
      full ? 'disk_full' : 'write_failed',
      `cannot append metric points to ${what}: ${full ? 'the disk is full' : (err as Error).message}${code ? ` (${code})` : ''}; ${this.pending} point(s) are kept in memory and written by the next flush`,
      { runId: this.runId ?? undefined, file: this.file, cause: err },
    );
  }

  #rethrow(): void {
    if (this.#error !== null) {
      const err = this.#error;
      this.#error = null;
      throw err;
    }
  }
}
