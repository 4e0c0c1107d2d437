/**
 * A small pool of worker threads for embarrassingly parallel tensor work (sampling, evaluation): each worker is
 * its own JavaScript realm with its own tfjs and, on wasm, its own wasm instance, so two workers use two cores
 * (1.95× on LCM sampling on wasm: bench/parallel.ts, bench/results/parallel-wasm.json). Start-up costs 0.5–2 s
 * per worker (tsx compiles the module graph, the backend initialises), so a pool pays off on work of a few seconds
 * or more; keep one open across calls with {@link WorkerPool.start}, or use {@link parallelMap} for one batch.
 *
 * A worker module is a TypeScript (or JavaScript) ES module, given by URL, exporting
 *   `run(task)`    → the result, or a promise of it (required), and
 *   `setup(data)`  → called once per worker before any task, with the pool's `setup` value (optional).
 * Tasks and results cross threads by structured clone (plain data, typed arrays). Results come back in task
 * order whatever the order the workers finish in. A task that throws rejects the whole map with a
 * {@link WorkerError} carrying the worker's error name, message and fields; so does a worker that fails to start
 * or dies. Workers run TypeScript through tsx, registered by `worker-shim.mjs` (Node 20 does not apply the parent's
 * `--import tsx` to workers).
 */
import { Worker } from 'node:worker_threads';
import { ArgumentError, SplamError } from '../errors.js';

/** An error as it crosses the thread boundary: name, message, stack, and its own primitive fields (code, fn, …). */
export interface RemoteError {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, string | number | boolean | null>;
}

/** What failed in a worker: while starting (module load or `setup`), while running a task, or the thread died. */
export type WorkerFailure = 'start' | 'task' | 'exit';

/** A worker's failure, with the worker's own error (`remote`) kept as data. */
export class WorkerError extends SplamError {
  readonly code = 'worker_failed';
  constructor(
    readonly phase: WorkerFailure,
    /** Worker index in the pool. */
    readonly worker: number,
    /** The task being run, when there was one. */
    readonly taskIndex: number | null,
    readonly remote: RemoteError,
  ) {
    const where = phase === 'start' ? 'while starting' : phase === 'task' ? `on task ${taskIndex}` : `(thread exited${taskIndex === null ? '' : ` during task ${taskIndex}`})`;
    super(`worker ${worker} failed ${where}: ${remote.name}: ${remote.message}`);
    this.name = 'WorkerError';
  }
}

export interface PoolOptions {
  /** Worker threads (≥ 1). */
  workers: number;
  /** Passed to the module's `setup` in every worker (structured-cloned). */
  setup?: unknown;
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'start-failed'; error: RemoteError }
  | { type: 'result'; job: number; index: number; result: unknown }
  | { type: 'failed'; job: number; index: number; error: RemoteError };

interface Slot {
  worker: Worker;
  alive: boolean;
  /** The task this worker runs now: [job, task index], or null when idle. */
  busy: [number, number] | null;
}

interface Job {
  id: number;
  tasks: readonly unknown[];
  results: unknown[];
  next: number;
  done: number;
  resolve(results: unknown[]): void;
  reject(err: Error): void;
}

const SHIM = new URL('./worker-shim.mjs', import.meta.url);

function crashError(err: unknown): RemoteError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, stack: e.stack, fields: {} };
}

/** A fixed set of worker threads running one module. Not re-entrant: one {@link map} at a time. */
export class WorkerPool {
  readonly #slots: Slot[];
  #job: Job | undefined;
  #jobs = 0;
  #closed = false;
  /** Wall-clock milliseconds from the first thread's creation until every worker was ready. */
  readonly startMs: number;

  private constructor(slots: Slot[], startMs: number) {
    this.#slots = slots;
    this.startMs = startMs;
    slots.forEach((slot, w) => this.#listen(slot, w));
  }

  /**
   * Start `workers` threads on `module` and wait until each has loaded it and run its `setup`.
   * @throws ArgumentError for a bad worker count; WorkerError (phase `start`) when a worker cannot start, after
   *   terminating every thread started.
   */
  static async start(module: URL | string, opts: PoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new ArgumentError('WorkerPool.start', 'workers', opts.workers, 'an integer ≥ 1');
    const moduleUrl = module instanceof URL ? module.href : module;
    const t0 = performance.now();
    const slots: Slot[] = [];
    const detach: (() => void)[] = [];
    const ready = Array.from({ length: opts.workers }, (_, w) => {
      const worker = new Worker(SHIM, { workerData: { module: moduleUrl, setup: opts.setup }, execArgv: [] });
      const slot: Slot = { worker, alive: true, busy: null };
      slots.push(slot);
      return new Promise<void>((resolve, reject) => {
        const fail = (error: RemoteError) => reject(new WorkerError('start', w, null, error));
        const onMessage = (m: FromWorker) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'start-failed') fail(m.error);
        };
        const onError = (err: unknown) => fail(crashError(err));
        const onExit = (code: number) => {
          slot.alive = false;
          fail({ name: 'Error', message: `thread exited with code ${code} before it was ready`, fields: {} });
        };
        worker.on('message', onMessage).on('error', onError).on('exit', onExit);
        detach.push(() => worker.off('message', onMessage).off('error', onError).off('exit', onExit));
      });
    });
    try {
      await Promise.all(ready);
    } catch (err) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw err;
    } finally {
      for (const d of detach) d();
    }
    return new WorkerPool(slots, performance.now() - t0);
  }

  /** Threads still running. */
  get size(): number {
    return this.#slots.filter((s) => s.alive).length;
  }

  /**
   * Run every task; results in task order. Each idle worker takes the next task.
   * @throws WorkerError on the first task that fails (later results are dropped) or when a worker dies;
   *   ArgumentError when the pool is closed or busy.
   */
  map<T, R>(tasks: readonly T[]): Promise<R[]> {
    if (this.#closed) return Promise.reject(new ArgumentError('WorkerPool.map', 'pool', 'closed', 'an open pool'));
    if (this.#job) return Promise.reject(new ArgumentError('WorkerPool.map', 'pool', 'busy', 'one map at a time'));
    const dead = this.#slots.findIndex((s) => !s.alive);
    if (dead >= 0) return Promise.reject(new WorkerError('exit', dead, null, { name: 'Error', message: 'the thread is no longer running', fields: {} }));
    if (tasks.length === 0) return Promise.resolve([]);
    return new Promise<R[]>((resolve, reject) => {
      this.#job = {
        id: ++this.#jobs,
        tasks,
        results: new Array(tasks.length),
        next: 0,
        done: 0,
        resolve: (r) => resolve(r as R[]),
        reject,
      };
      for (const slot of this.#slots) this.#dispatch(slot);
    });
  }

  /** Terminate every thread (idempotent). A map still running rejects with a WorkerError (phase `exit`). */
  async close(): Promise<void> {
    this.#closed = true;
    const busy = this.#slots.findIndex((s) => s.busy);
    this.#finish(new WorkerError('exit', Math.max(busy, 0), busy >= 0 ? this.#slots[busy].busy![1] : null, { name: 'Error', message: 'the pool was closed before the map finished', fields: {} }));
    await Promise.all(
      this.#slots.map(async (s) => {
        await s.worker.terminate();
        s.alive = false;
      }),
    );
  }

  #dispatch(slot: Slot): void {
    const job = this.#job;
    if (!job || slot.busy || !slot.alive || job.next >= job.tasks.length) return;
    const index = job.next++;
    slot.busy = [job.id, index];
    slot.worker.postMessage({ type: 'task', job: job.id, index, task: job.tasks[index] });
  }

  #finish(err?: Error): void {
    const job = this.#job;
    if (!job) return;
    this.#job = undefined;
    if (err) job.reject(err);
    else job.resolve(job.results);
  }

  #listen(slot: Slot, w: number): void {
    slot.worker.on('message', (m: FromWorker) => {
      if (m.type !== 'result' && m.type !== 'failed') return;
      slot.busy = null;
      const job = this.#job;
      if (job && m.job === job.id) {
        if (m.type === 'failed') {
          this.#finish(new WorkerError('task', w, m.index, m.error));
          return;
        }
        job.results[m.index] = m.result;
        if (++job.done === job.tasks.length) {
          this.#finish();
          return;
        }
      }
      // Next task of the current map (also after a late result of a map that already failed).
      this.#dispatch(slot);
    });
    slot.worker.on('error', (err) => {
      slot.alive = false;
      this.#finish(new WorkerError('exit', w, slot.busy?.[1] ?? null, crashError(err)));
    });
    slot.worker.on('exit', (code) => {
      const wasAlive = slot.alive;
      slot.alive = false;
      if (wasAlive && !this.#closed) {
        this.#finish(new WorkerError('exit', w, slot.busy?.[1] ?? null, { name: 'Error', message: `thread exited with code ${code}`, fields: {} }));
      }
    });
  }
}

/**
 * Run `tasks` on a fresh pool of `workers` threads running `module`, return the results in task order, and
 * terminate the threads (also when a task fails).
 * @throws WorkerError from the first failing task or worker; ArgumentError for a bad worker count.
 */
export async function parallelMap<T, R>(tasks: readonly T[], module: URL | string, opts: PoolOptions): Promise<R[]> {
  const pool = await WorkerPool.start(module, opts);
  try {
    return await pool.map<T, R>(tasks);
  } finally {
    await pool.close();
  }
}
