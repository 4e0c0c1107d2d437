/**
 * The protocol the kernel tests share: run the same computation on `cpu` (tfjs's reference kernels) and on `wasm`
 * (stock, with splam-lab's replacements, and on the `native` backend also its oneDNN kernels) from the same
 * Float32Array inputs, and compare each output by its max-norm relative error ‖wasm − cpu‖_∞ / ‖cpu‖_∞ (denominator
 * floored at 1e-30). Gradients are of the scalar loss Σ f(inputs) ⊙ R with a fixed random R, so dy is never all ones.
 */
import { after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

/** Relative error every kernel test asserts. */
export const TOL = 1e-4;

/** Worst relative error seen by {@link assertMatchesCpu} in this process, printed after the tests. */
let worst = { err: 0, label: '' };
after(() => {
  if (worst.label) console.log(`worst wasm-vs-cpu relative error: ${worst.err.toExponential(2)} (${worst.label})`);
});

/** Deterministic uniform values in [−1, 1) (mulberry32), shifted by `offset`. */
export function rand(shape: number[], seed: number, offset = 0): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1 + offset;
  }
  return out;
}

/** A test input: its shape and fixed values. */
export interface Input {
  shape: number[];
  data: Float32Array;
}

/** An input factory whose seeds count up from `firstSeed` (each file its own, so inputs differ between files). */
export function inputs(firstSeed: number): (shape: number[], offset?: number) => Input {
  let seed = firstSeed;
  return (shape, offset = 0) => ({ shape, data: rand(shape, seed++, offset) });
}

/** A tensor on the active backend holding the input's values. */
export const make = (x: Input) => tf.tensor(x.data, x.shape);

/** ‖a − b‖_∞ / ‖b‖_∞. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'compared arrays differ in length');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

/** Run `fn` on one backend; return copies of its outputs' values and their shapes. */
export async function runOn(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]) {
  await tf.setBackend(backend);
  return tf.tidy(() => fn().map((t) => ({ shape: t.shape, values: Float32Array.from(t.dataSync()) })));
}

/** Assert that `onWasm` (default: `onCpu`) gives on wasm what `onCpu` gives on cpu, each output to {@link TOL}. */
export async function assertMatchesCpu(label: string, onCpu: () => tf.Tensor[], onWasm = onCpu): Promise<void> {
  const cpu = await runOn('cpu', onCpu);
  const wasm = await runOn('wasm', onWasm);
  await tf.setBackend('wasm');
  assert.equal(wasm.length, cpu.length, `${label}: number of outputs`);
  cpu.forEach((c, i) => {
    assert.deepEqual(wasm[i].shape, c.shape, `${label} output ${i} shape`);
    const err = relErr(wasm[i].values, c.values);
    if (err > worst.err) worst = { err, label: `${label} output ${i}` };
    assert.ok(err <= TOL, `${label} output ${i}: relative error ${err.toExponential(2)} > ${TOL}`);
  });
}

/** Forward value of f and the gradients of Σ f(xs) ⊙ R with respect to every input (R drawn by `input`). */
export function valueAndGrads(
  input: (shape: number[]) => Input,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: Input[],
  outShape: number[],
): () => tf.Tensor[] {
  const r = input(outShape);
  return () => {
    const ts = xs.map(make);
    const weights = make(r);
    const out = f(...ts);
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), weights)) as tf.Scalar)(ts);
    return [out, ...grads];
  };
}
