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

/**
 * The buffered, append-only writer of one run's series. Synchronous by design: `append` is called from
 * training loops, and exit hooks must flush without awaiting.
 */
export class MetricWriter {
  readonly file: string;
  readonly #policy: FlushPolicy;
  #fd: number | null;
  #buffer: string[] = [];
  #oldest = 0;
  #timer: NodeJS.Timeout | null = null;
  #error: unknown = null;
  /** Points written to the file by this writer. */
  written = 0;

  constructor(file: string, policy: FlushPolicy = DEFAULT_FLUSH) {
    this.file = file;
    this.#policy = policy;
    this.#fd = openSync(file, 'a', 0o644);
    // Do not glue new lines onto a torn one.
    const rfd = openSync(file, 'r');
    try {
      if (!endsWithNewline(rfd)) writeSync(this.#fd, '\n');
    } finally {
      closeSync(rfd);
    }
  }

  get pending(): number {
    return this.#buffer.length;
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

  /** Write every buffered point now (one write call). */
  flushSync(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#rethrow();
    if (this.#buffer.length === 0 || this.#fd === null) return;
    const data = Buffer.from(this.#buffer.join(''));
    let off = 0;
    while (off < data.length) off += writeSync(this.#fd, data, off, data.length - off);
    this.written += this.#buffer.length;
    this.#buffer = [];
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

  #rethrow(): void {
    if (this.#error !== null) {
      const err = this.#error;
      this.#error = null;
      throw err;
    }
  }
}
