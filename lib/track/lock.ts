/**
 * The store's lock: one cross-process lock per store folder (proper-lockfile: an atomic `mkdir` of
 * `.store.lock`, kept fresh by mtime updates, taken over when stale), plus an in-process queue so that
 * concurrent calls in one process wait their turn instead of polling the lock directory.
 *
 * A holder killed with -9 leaves the directory behind; others take it over once its mtime is older than
 * `staleMs` (default 10 s). If a holder stalls past `staleMs` (its lock "compromised"), its critical section
 * fails with `StoreError` code `lock_compromised` instead of pretending the write was exclusive.
 */
import lockfile from 'proper-lockfile';
import { StoreError } from '../errors.js';

/** Runs critical sections one at a time. */
export interface StoreLock {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** For a store that only one caller touches (tests with a memory adapter). */
export const noLock: StoreLock = { run: (fn) => fn() };

export interface FileLockOptions {
  /** Give up after this long waiting (default 30 s): `StoreError` code `lock_timeout`. */
  timeoutMs?: number;
  /** A lock whose mtime is older than this is taken over (default 10 s; proper-lockfile's minimum is 2 s). */
  staleMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A cross-process lock on `lockPath` (a directory that must not exist otherwise). */
export class FileLock implements StoreLock {
  readonly #lockPath: string;
  readonly #timeoutMs: number;
  readonly #staleMs: number;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(lockPath: string, opts: FileLockOptions = {}) {
    this.#lockPath = lockPath;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#staleMs = opts.staleMs ?? 10_000;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    // In-process queue: each section starts after the previous one settles, whatever its outcome.
    const next = this.#tail.then(
      () => this.#exclusive(fn),
      () => this.#exclusive(fn),
    );
    this.#tail = next.catch(() => undefined);
    return next;
  }

  async #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    let compromised: Error | undefined;
    const release = await this.#acquire((err) => {
      compromised = err;
    });
    let result: T;
    try {
      result = await fn();
    } finally {
      await release().catch(() => undefined); // ERELEASED after a compromise; reported below
    }
    if (compromised) {
      throw new StoreError('lock_compromised', `the store lock ${this.#lockPath} was lost while held (the process stalled longer than ${this.#staleMs} ms); the last write may have raced another writer: run \`splam runs doctor\``, { file: this.#lockPath, cause: compromised });
    }
    return result;
  }

  async #acquire(onCompromised: (err: Error) => void): Promise<() => Promise<void>> {
    const deadline = Date.now() + this.#timeoutMs;
    let wait = 2;
    for (;;) {
      try {
        return await lockfile.lock(this.#lockPath, {
          lockfilePath: this.#lockPath,
          realpath: false,
          stale: this.#staleMs,
          retries: 0,
          onCompromised,
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') {
          throw new StoreError('lock_failed', `cannot take the store lock ${this.#lockPath}: ${(err as Error).message}`, { file: this.#lockPath, cause: err });
        }
        if (Date.now() >= deadline) {
          throw new StoreError(
            'lock_timeout',
            `timed out after ${this.#timeoutMs} ms waiting for the store lock ${this.#lockPath}; another process holds it (a lock left by a killed process is taken over after ${this.#staleMs} ms)`,
            { file: this.#lockPath },
          );
        }
        // Jittered back-off, capped low: critical sections last milliseconds.
        await sleep(wait * (0.5 + Math.random()));
        wait = Math.min(wait * 1.5, 25);
      }
    }
  }
}
