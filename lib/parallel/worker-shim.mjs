// The entry of every pool worker (lib/parallel/pool.ts). Plain JavaScript on purpose: a worker's entry cannot be
// TypeScript in Node 20, and a parent's `--import tsx` does not reach workers. So this file registers tsx in the
// worker itself, imports the task module named in workerData, runs its `setup`, then answers task messages.
//
// Protocol (parent ⇄ worker): ← { type: 'task', job, index, task }; → { type: 'ready' } once set up, or
// { type: 'start-failed', error }; → { type: 'result', job, index, result } or { type: 'failed', job, index, error }.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();

/** An error as data: name, message, stack and its own primitive fields (code, fn, arg, allowed, …). */
function serialise(err) {
  const e = err instanceof Error ? err : new Error(String(err));
  const fields = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) fields[k] = v;
  }
  return { name: e.name, message: e.message, stack: e.stack, fields };
}

let mod;
try {
  mod = await import(workerData.module);
  if (typeof mod.run !== 'function') throw new TypeError(`${workerData.module} exports no run(task) function`);
  if (typeof mod.setup === 'function') await mod.setup(workerData.setup);
} catch (err) {
  parentPort.postMessage({ type: 'start-failed', error: serialise(err) });
  mod = undefined;
}

if (mod) {
  parentPort.on('message', async (m) => {
    if (m?.type !== 'task') return;
    try {
      const result = await mod.run(m.task);
      // A typed-array result moves instead of being copied.
      const transfer = ArrayBuffer.isView(result) && result.buffer instanceof ArrayBuffer ? [result.buffer] : [];
      parentPort.postMessage({ type: 'result', job: m.job, index: m.index, result }, transfer);
    } catch (err) {
      parentPort.postMessage({ type: 'failed', job: m.job, index: m.index, error: serialise(err) });
    }
  });
  parentPort.postMessage({ type: 'ready' });
}
