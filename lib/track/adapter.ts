/**
 * A lowdb adapter (lowdb's two-function shape: `read`, `write`) for JSON files that several processes share.
 * `write` goes through {@link writeFileAtomic} (per-process temp file, fsync, rename); `read` returns null for
 * a missing file and *throws* for anything it cannot parse or check — it never lets a caller mistake a torn
 * file for an empty one. The adapter takes no lock: {@link RunIndex} holds the store lock around read-change-write.
 */
import type { Adapter } from 'lowdb';
import { StoreError } from '../errors.js';
import { readBytesOrNull, readTextOrNull, writeFileAtomic } from './atomic.js';

export interface JsonFileOptions<T> {
  /** Check the parsed value's shape; return a reason string when it is wrong. */
  check?: (value: unknown) => string | null;
  /** Error code when the file is unparseable or fails `check` (default `corrupt_file`). */
  corruptCode?: string;
  /** Appended to the corrupt-file message. */
  hint?: string;
  /** `JSON.stringify` indent (default none: the index is for machines; run.json uses 2). */
  indent?: number;
  fsync?: boolean;
  /** Turns the value into what is written (default identity). */
  serialise?: (value: T) => unknown;
  /** Turns a parsed, checked value into T (default identity). */
  revive?: (value: unknown) => T;
}

/** Parse JSON text or explain, with line and column when the parser gives a position. */
export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const msg = (err as Error).message;
    const m = /position (\d+)/.exec(msg);
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos);
      const line = before.split('\n').length;
      const col = pos - before.lastIndexOf('\n');
      return { ok: false, reason: `${msg} (line ${line}, column ${col}; file is ${text.length} bytes)` };
    }
    if (/end of JSON input/.test(msg)) return { ok: false, reason: `the JSON stops mid-document after ${text.length} bytes (truncated or torn write)` };
    return { ok: false, reason: `${msg} (file is ${text.length} bytes)` };
  }
}

export class AtomicJsonFile<T> implements Adapter<T> {
  readonly file: string;
  readonly #opts: JsonFileOptions<T>;

  constructor(file: string, opts: JsonFileOptions<T> = {}) {
    this.file = file;
    this.#opts = opts;
  }

  /**
   * @returns the parsed value, or null when the file does not exist.
   * @throws StoreError (`corruptCode`, `file`) when the file is empty, unparseable or fails the shape check.
   */
  async read(): Promise<T | null> {
    const text = await readTextOrNull(this.file);
    return text === null ? null : this.parse(text);
  }

  /**
   * The file's bytes as {@link read} reads them (null when missing), for a caller that parses only when they
   * changed ({@link parse}).
   */
  readBytes(): Promise<Buffer | null> {
    return readBytesOrNull(this.file);
  }

  /** Parse, check and revive the file's text. @throws StoreError as {@link read}. */
  parse(text: string): T {
    const parsed = text.length === 0 ? { ok: false as const, reason: 'the file is empty' } : parseJsonText(text);
    // `'reason' in parsed` (not `parsed.ok`) so the narrowing also holds without strictNullChecks (tslab's notebooks).
    const reason = 'reason' in parsed ? parsed.reason : (this.#opts.check?.(parsed.value) ?? null);
    if (reason !== null) {
      const hint = this.#opts.hint ? `\n  hint: ${this.#opts.hint}` : '';
      throw new StoreError(this.#opts.corruptCode ?? 'corrupt_file', `${this.file} is corrupt: ${reason}; it was left untouched${hint}`, {
        file: this.file,
      });
    }
    const value = (parsed as { value: unknown }).value;
    return this.#opts.revive ? this.#opts.revive(value) : (value as T);
  }

  async write(data: T): Promise<void> {
    const value = this.#opts.serialise ? this.#opts.serialise(data) : data;
    await writeFileAtomic(this.file, JSON.stringify(value, null, this.#opts.indent), this.#opts.fsync ?? true);
  }
}
