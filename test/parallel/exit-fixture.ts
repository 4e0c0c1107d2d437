// Runs a successful and a failing parallelMap and a pool whose start fails, then returns without process.exit: the process must end by itself,
// which it can only do when every worker thread was terminated. Prints one JSON line.
import { parallelMap, WorkerError, WorkerPool } from '../../lib/parallel/pool.js';

const module = new URL('./echo-worker.ts', import.meta.url);
const ok = await parallelMap<{ value: number }, { value: number }>([{ value: 1 }, { value: 2 }, { value: 3 }], module, { workers: 2 });
let failed = '';
try {
  await parallelMap([{ value: 1 }, { value: 2, fail: 'x' }], module, { workers: 2 });
} catch (err) {
  failed = err instanceof WorkerError ? err.message : `not a WorkerError: ${String(err)}`;
}
let startFailed = '';
try {
  await WorkerPool.start(module, { workers: 2, setup: { failSetup: 'setup fails' } });
} catch (err) {
  startFailed = err instanceof WorkerError ? err.message : `not a WorkerError: ${String(err)}`;
}
console.log(JSON.stringify({ values: ok.map((r) => r.value), failed, startFailed }));
