/**
 * Reading tensors back to the host on every backend, WebGPU included. tfjs's WebGPU backend in Node cannot read
 * synchronously (its `readSync` goes through OffscreenCanvas, which Node lacks), so the training and sampling paths
 * read with `await`, batched: a step returns its loss as a tensor and the loop reads a whole logging window at once
 * (lib/train/loop.ts); a host computation (a metric) reads its inputs once and runs on the host (`onHost`).
 * On the other backends (native, wasm, cpu, tensorflow) every function here is the synchronous read it replaces.
 */
import * as tf from '@tensorflow/tfjs';

/** The tfjs backend that host computations run on where the active one cannot read synchronously. */
export const HOST_BACKEND = 'cpu';

/** Whether the active backend reads synchronously (`dataSync`): every backend but tfjs's WebGPU in Node. */
export function readsSync(): boolean {
  return tf.getBackend() !== 'webgpu';
}

/**
 * The values of scalar tensors, in order, read in one transfer: stacked (tfjs's WebGPU concat splits its inputs to
 * stay within the device's storage-buffer limit) and read with `await`. The tensors are not disposed.
 */
export async function readScalars(ts: readonly tf.Tensor[]): Promise<number[]> {
  if (ts.length === 0) return [];
  const stacked = tf.tidy(() => tf.concat(ts.map((t) => t.reshape([-1]).slice(0, 1))));
  try {
    return Array.from(await stacked.data());
  } finally {
    stacked.dispose();
  }
}

/**
 * Bring tensors' values to the host with `await t.data()`. Backends keep that host copy (WebGPU's
 * `convertAndCacheOnCPU`), so a later synchronous read of the same tensors (a checkpoint's `dataSync`) answers from
 * it. No-op on backends that read synchronously.
 */
export async function prefetch(ts: readonly tf.Tensor[]): Promise<void> {
  if (readsSync()) return;
  await Promise.all(ts.map((t) => t.data()));
}

/** {@link prefetch} of every live variable (parameters, EMA targets, optimiser moments): before a checkpoint. */
export function prefetchVariables(): Promise<void> {
  return prefetch(Object.values(tf.engine().state.registeredVariables));
}

/**
 * Run a synchronous host computation (a metric over samples) on tensors. Where the active backend reads
 * synchronously, `fn(inputs)` runs as is. Elsewhere the inputs are read once with `await`, recreated on the
 * {@link HOST_BACKEND}, `fn` runs there and the active backend is restored; `fn` must return host values (no
 * tensors) and must not touch other tensors of the active backend. Inputs are not disposed.
 */
export async function onHost<T>(inputs: readonly tf.Tensor[], fn: (inputs: tf.Tensor[]) => T): Promise<T> {
  if (readsSync()) return fn([...inputs]);
  const values = await Promise.all(inputs.map((t) => t.data()));
  const active = tf.getBackend();
  await tf.setBackend(HOST_BACKEND);
  const host = inputs.map((t, i) => tf.tensor(values[i], t.shape, t.dtype));
  try {
    return fn(host);
  } finally {
    tf.dispose(host);
    await tf.setBackend(active);
  }
}
