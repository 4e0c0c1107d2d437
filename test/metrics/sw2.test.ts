import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { slicedWasserstein2, w2Squared1d } from '../../lib/metrics/sw2.js';
import { makeRng } from '../../lib/data/rng.js';
import { assertArgumentError, setup } from '../helpers.js';
import { assertShapeError } from './shape-error.js';

await setup();
const rng = makeRng(7);
const normals = (n: number, D: number): tf.Tensor2D => tf.tensor2d(rng.normalArray(n * D), [n, D]);

/**
 * Independent reference for the 1-D W2² of empirical measures: repeat every value of a m times and every value of
 * b n times (both sets then hold n·m equally weighted values, the same measures) and match the sorted values.
 */
function w2SquaredByReplication(a: number[], b: number[]): number {
  const ra = a.flatMap((v) => new Array(b.length).fill(v)).sort((p, q) => p - q);
  const rb = b.flatMap((v) => new Array(a.length).fill(v)).sort((p, q) => p - q);
  return ra.reduce((s, v, i) => s + (v - rb[i]) ** 2, 0) / ra.length;
}

test('SW2 of a set with itself is exactly 0', () => {
  const x = normals(300, 3);
  assert.equal(slicedWasserstein2(x, x), 0);
  x.dispose();
});

test('SW2 between x ~ N(0, I_4) and x + c is ‖c‖/√D to 5% (P = 4096 directions)', () => {
  const D = 4;
  const c = [1, -2, 0.5, 3];
  const x = normals(256, D);
  const y = x.add(tf.tensor1d(c));
  const exact = Math.hypot(...c) / Math.sqrt(D);
  const sw2 = slicedWasserstein2(x, y as tf.Tensor2D, { projections: 4096, rng: 1 });
  assert.ok(Math.abs(sw2 / exact - 1) < 0.05, `SW2 ${sw2} vs ‖c‖/√D ${exact}`);
  tf.dispose([x, y]);
});

test('in 1-D (D = 1) SW2 is the exact W2 between sorted samples, n = m and n ≠ m', () => {
  for (const [n, m] of [
    [200, 200],
    [37, 23],
  ]) {
    const a = Array.from(rng.normalArray(n));
    const b = Array.from(rng.normalArray(m), (v) => 0.7 * v + 0.4);
    const exact = Math.sqrt(w2SquaredByReplication(a, b));
    const x = tf.tensor2d(a, [n, 1]);
    const y = tf.tensor2d(b, [m, 1]);
    for (const projections of [1, 5]) {
      const sw2 = slicedWasserstein2(x, y, { projections });
      assert.ok(Math.abs(sw2 - exact) < 1e-6, `n=${n} m=${m} P=${projections}: ${sw2} vs ${exact}`);
    }
    tf.dispose([x, y]);
  }
});

test('w2Squared1d matches quantile matching on the common n·m grid for n ≠ m, and sorted matching for n = m', () => {
  for (const [n, m] of [
    [6, 4],
    [5, 3],
    [1, 7],
    [9, 9],
  ]) {
    const a = Array.from(rng.normalArray(n, 'float64')).sort((p, q) => p - q);
    const b = Array.from(rng.normalArray(m, 'float64')).sort((p, q) => p - q);
    const ref = w2SquaredByReplication(a, b);
    assert.ok(Math.abs(w2Squared1d(a, b) - ref) < 1e-12, `n=${n} m=${m}`);
    assert.ok(Math.abs(w2Squared1d(b, a) - ref) < 1e-12, `n=${n} m=${m}, swapped`);
  }
});

test('SW2 is symmetric and deterministic for a fixed seed; another seed gives other directions', () => {
  const x = normals(120, 2);
  const y = normals(90, 2).mul(1.5) as tf.Tensor2D;
  const a = slicedWasserstein2(x, y, { rng: 5 });
  assert.equal(slicedWasserstein2(y, x, { rng: 5 }), a);
  assert.equal(slicedWasserstein2(x, y, { rng: 5 }), a);
  assert.equal(slicedWasserstein2(x, y), slicedWasserstein2(x, y, { rng: 0 }), 'default seed is 0');
  assert.notEqual(slicedWasserstein2(x, y, { rng: 6 }), a);
  assert.equal(slicedWasserstein2(x, y, { rng: makeRng(5) }), a, 'a generator and its seed agree');
  tf.dispose([x, y]);
});

test('SW2 rejects mismatched D, empty sets, non-rank-2 input and projections < 1, naming the field', () => {
  const x = tf.zeros([4, 2]) as tf.Tensor2D;
  const y3 = tf.zeros([4, 3]) as tf.Tensor2D;
  const empty = tf.zeros([0, 2]) as tf.Tensor2D;
  const flat = tf.zeros([4]) as unknown as tf.Tensor2D;
  assertShapeError(() => slicedWasserstein2(x, y3), { fn: 'slicedWasserstein2', arg: 'y', got: [4, 3] });
  assertShapeError(() => slicedWasserstein2(empty, x), { fn: 'slicedWasserstein2', arg: 'x', got: [0, 2] });
  assertShapeError(() => slicedWasserstein2(x, empty), { fn: 'slicedWasserstein2', arg: 'y', got: [0, 2] });
  assertShapeError(() => slicedWasserstein2(flat, x), { fn: 'slicedWasserstein2', arg: 'x', got: [4] });
  assertArgumentError(() => slicedWasserstein2(x, x, { projections: 0 }), { fn: 'slicedWasserstein2', arg: 'projections', value: 0 });
  assertArgumentError(() => slicedWasserstein2(x, x, { projections: 2.5 }), { arg: 'projections', value: 2.5 });
  assertArgumentError(() => slicedWasserstein2(x, x, { rng: 0.5 }), { arg: 'rng', value: 0.5 });
  assertArgumentError(() => w2Squared1d([], [1]), { fn: 'w2Squared1d', arg: 'a' });
  tf.dispose([x, y3, empty, flat]);
});

test('SW2 leaves the tensor count flat', () => {
  const x = normals(64, 2);
  const y = normals(50, 2);
  slicedWasserstein2(x, y);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) slicedWasserstein2(x, y, { projections: 32, rng: i });
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y]);
});
