import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../../lib/data/rng.js';
import { DEFAULT_PR_K, coveredFraction, knnRadiiSquared, precisionRecall } from '../../lib/metrics/precision-recall.js';
import { assertArgumentError, setup } from '../helpers.js';
import { assertShapeError } from './shape-error.js';

await setup();

/** Points on the first axis of R²: (v, 0). */
const line = (vs: number[]) => tf.tensor2d(vs.flatMap((v) => [v, 0]), [vs.length, 2]);

/** Brute-force float64 reference: the definition, point by point. */
function referencePR(real: number[][], gen: number[][], k: number): { precision: number; recall: number } {
  const d2 = (a: number[], b: number[]) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);
  const radii = (set: number[][]) => set.map((p, i) => set.filter((_, j) => j !== i).map((q) => d2(p, q)).sort((x, y) => x - y)[k - 1]);
  const inside = (queries: number[][], centres: number[][]) => {
    const r = radii(centres);
    return queries.filter((q) => centres.some((c, j) => d2(q, c) <= r[j])).length / queries.length;
  };
  return { precision: inside(gen, real), recall: inside(real, gen) };
}

test('identical sets have precision = recall = 1 (default k = 3)', async () => {
  const x = tf.tensor2d(makeRng(1).normalArray(300 * 8), [300, 8]);
  assert.deepEqual(await precisionRecall(x, x), { precision: 1, recall: 1, k: DEFAULT_PR_K });
  x.dispose();
});

test('disjoint sets far apart have precision = recall = 0', async () => {
  const rng = makeRng(2);
  const x = tf.tensor2d(rng.normalArray(200 * 4), [200, 4]);
  const y = x.add(100) as tf.Tensor2D;
  const r = await precisionRecall(x, y);
  assert.equal(r.precision, 0);
  assert.equal(r.recall, 0);
  tf.dispose([x, y]);
});

test('a generator that drops a mode: generated = the 60 real points of one cluster of 100 gives precision 1, recall 0.6', async () => {
  const rng = makeRng(3);
  const a = tf.tensor2d(rng.normalArray(60 * 5), [60, 5]);
  const b = tf.tensor2d(rng.normalArray(40 * 5), [40, 5]).add(50) as tf.Tensor2D;
  const real = tf.concat([a, b]) as tf.Tensor2D;
  assert.deepEqual(await precisionRecall(real, a), { precision: 1, recall: 0.6, k: 3 });
  // Roles swapped (samples cover more than the data): precision 0.6, recall 1.
  assert.deepEqual(await precisionRecall(a, real), { precision: 0.6, recall: 1, k: 3 });
  tf.dispose([a, b, real]);
});

test('on a line, k = 1: real {0, …, 9} and generated {0, 1.5, 3} give precision 1, recall 0.5; an outlier at 20 gives 0.75 / 1', async () => {
  const real = line([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Real radii are 1: every generated point is within 1 of a real one. Generated radii are 1.5: real 0–4 are covered, 5 is 2 from 3.
  const gen = line([0, 1.5, 3]);
  assert.deepEqual(await precisionRecall(real, gen, { k: 1 }), { precision: 1, recall: 0.5, k: 1 });
  // The outlier's own radius (17, to 3) covers every real point; it is 11 from the nearest real point (radius 1).
  const withOutlier = line([0, 1.5, 3, 20]);
  assert.deepEqual(await precisionRecall(real, withOutlier, { k: 1 }), { precision: 0.75, recall: 1, k: 1 });
  assert.deepEqual([...(await knnRadiiSquared(gen, { k: 2 }))], [9, 2.25, 9], 'k-th neighbour excludes the point itself');
  tf.dispose([real, gen, withOutlier]);
});

test('random overlapping sets: equal to the brute-force definition, for any block size', async () => {
  const rng = makeRng(4);
  const realA = Array.from({ length: 150 }, () => Array.from(rng.normalArray(5, 'float64')));
  const genA = Array.from({ length: 120 }, () => Array.from(rng.normalArray(5, 'float64'), (v) => 0.8 * v + 0.8));
  const real = tf.tensor2d(realA);
  const gen = tf.tensor2d(genA);
  for (const k of [1, 3, 5]) {
    const want = referencePR(realA, genA, k);
    assert.ok(want.precision > 0.05 && want.precision < 0.95 && want.recall > 0.05 && want.recall < 0.95, 'a case away from 0 and 1');
    for (const blockSize of [7, 512]) {
      const got = await precisionRecall(real, gen, { k, blockSize });
      assert.deepEqual(got, { ...want, k }, `k=${k} block=${blockSize}`);
    }
  }
  tf.dispose([real, gen]);
});

test('precisionRecall rejects sets with ≤ k points, mismatched F and bad options, naming the field; tensor count stays flat', async () => {
  const x = tf.zeros([3, 2]) as tf.Tensor2D;
  const y = tf.zeros([10, 3]) as tf.Tensor2D;
  const z = tf.randomNormal([10, 2], 0, 1, 'float32', 1) as tf.Tensor2D;
  assertShapeError(() => precisionRecall(x, z), { fn: 'precisionRecall', arg: 'real', got: [3, 2] });
  assertShapeError(() => precisionRecall(z, y), { fn: 'precisionRecall', arg: 'generated', got: [10, 3] });
  assertArgumentError(() => precisionRecall(z, z, { k: 0 }), { fn: 'precisionRecall', arg: 'k', value: 0 });
  assertArgumentError(() => precisionRecall(z, z, { blockSize: 1.5 }), { fn: 'precisionRecall', arg: 'blockSize', value: 1.5 });
  assertArgumentError(() => coveredFraction(z, z, new Float32Array(3)), { fn: 'coveredFraction', arg: 'radiiSq' });
  await precisionRecall(z, z, { blockSize: 4 });
  const before = tf.memory().numTensors;
  await precisionRecall(z, z, { blockSize: 4 });
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y, z]);
});
