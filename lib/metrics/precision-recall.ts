/**
 * Improved precision and recall (Kynkäänniemi, Karras, Laine, Lehtinen & Aila 2019, "Improved precision and
 * recall metric for assessing generative models", NeurIPS; official code NVlabs/improved-precision-and-recall-metric):
 * each set's manifold is the union of balls around its points, the radius of a point being the distance to its
 * k-th nearest neighbour in its own set (the point itself excluded; the paper's default k = 3).
 *
 *   precision = fraction of generated points inside the real manifold   (quality: no samples off the data)
 *   recall    = fraction of real points inside the generated manifold   (coverage: no modes dropped)
 *
 * A point is inside when its distance to some ball's centre is ≤ that ball's radius (≤, as the official code).
 * Squared distances come from ‖a‖² + ‖b‖² − 2·a·bᵀ in float32 blocks on the tensor backend (the official code's
 * formula), clamped at 0; a point within float32 rounding of a ball's surface may fall on either side. Each block's
 * result (k-th distances, margins) is read with `await t.data()`, so the metric runs on every backend, tfjs's WebGPU
 * in Node (which cannot read synchronously) included; arguments are checked synchronously, before any work.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import { checkPoints } from './checks.js';

/** The paper's neighbourhood size k (§3 and the official code's default `nhood_size = 3`). */
export const DEFAULT_PR_K = 3;
/** Rows per block of the distance matrix: a block is blockSize × (other set's size) float32 values. */
export const DEFAULT_PR_BLOCK = 512;

export interface PrecisionRecallOptions {
  /** Neighbourhood size k ≥ 1; each set needs more than k points. Default {@link DEFAULT_PR_K}. */
  k?: number;
  /** Rows per distance block (memory, not results). Default {@link DEFAULT_PR_BLOCK}. */
  blockSize?: number;
}

export interface PrecisionRecall {
  precision: number;
  recall: number;
  k: number;
}

/** Squared distances [B, m] between rows `start … start+B−1` of `a` and every row of `b`, clamped at 0. */
function sqDistBlock(a: tf.Tensor2D, aSq: tf.Tensor1D, b: tf.Tensor2D, bSq: tf.Tensor1D, start: number, size: number): tf.Tensor2D {
  const rows = a.slice([start, 0], [size, -1]);
  const rowSq = aSq.slice([start], [size]).reshape([size, 1]);
  return tf.relu(rowSq.add(bSq.reshape([1, -1])).sub(tf.matMul(rows, b, false, true).mul(2))) as tf.Tensor2D;
}

/**
 * Squared k-NN radii of the rows of `x` [n, F] within `x` (each row's own distance excluded), [n].
 * @throws ShapeError (synchronously) when x is not [n, F] with n ≥ k + 1; ArgumentError for a bad k or blockSize.
 */
export function knnRadiiSquared(x: tf.Tensor2D, opts: PrecisionRecallOptions = {}): Promise<Float32Array> {
  const { k, blockSize } = checkOptions('knnRadiiSquared', opts);
  const [n] = checkPoints('knnRadiiSquared', 'x', x, k + 1);
  return (async () => {
    const out = new Float32Array(n);
    const sq = tf.tidy(() => x.square().sum(1) as tf.Tensor1D);
    try {
      for (let start = 0; start < n; start += blockSize) {
        const size = Math.min(blockSize, n - start);
        const kth = tf.tidy(() => {
          const d2 = sqDistBlock(x, sq, x, sq, start, size);
          const self = tf.oneHot(tf.range(start, start + size, 1, 'int32'), n).cast('bool');
          const others = tf.where(self, tf.fill([size, n], Infinity), d2);
          // The k smallest distances are the k largest of their negatives; column k − 1 is the k-th nearest.
          return tf.topk(others.neg(), k).values.slice([0, k - 1], [size, 1]).neg();
        });
        try {
          out.set(await kth.data(), start);
        } finally {
          kth.dispose();
        }
      }
    } finally {
      sq.dispose();
    }
    return out;
  })();
}

/**
 * Fraction of the rows of `queries` [q, F] that lie in some ball (centre row j of `centres` [m, F], squared radius
 * `radiiSq[j]`).
 * @throws ShapeError / ArgumentError (synchronously) for mismatched shapes, a radius count other than m, a bad blockSize.
 */
export function coveredFraction(queries: tf.Tensor2D, centres: tf.Tensor2D, radiiSq: Float32Array, blockSize = DEFAULT_PR_BLOCK): Promise<number> {
  const fn = 'coveredFraction';
  const [q, F] = checkPoints(fn, 'queries', queries, 1);
  const [m] = checkPoints(fn, 'centres', centres, 1, F);
  if (radiiSq.length !== m) throw new ArgumentError(fn, 'radiiSq', `${radiiSq.length} values`, `one per centre (${m})`);
  if (!(Number.isInteger(blockSize) && blockSize >= 1)) throw new ArgumentError(fn, 'blockSize', blockSize, 'an integer ≥ 1');
  return (async () => {
    let inside = 0;
    const [qSq, cSq, r] = tf.tidy(() => [queries.square().sum(1) as tf.Tensor1D, centres.square().sum(1) as tf.Tensor1D, tf.tensor1d(radiiSq).reshape([1, m])]);
    try {
      for (let start = 0; start < q; start += blockSize) {
        const size = Math.min(blockSize, q - start);
        // Inside some ball ⇔ min_j (d²_ij − r²_j) ≤ 0. The IEEE difference of two floats is ≤ 0 exactly when d² ≤ r²,
        // and a broadcast sub + min is ~30× faster than lessEqual + any on wasm (measured: 31 ms against 880 ms for a
        // 512 × 10,000 block).
        const margin = tf.tidy(() => sqDistBlock(queries, qSq, centres, cSq, start, size).sub(r).min(1));
        try {
          for (const v of await margin.data()) if (v <= 0) inside++;
        } finally {
          margin.dispose();
        }
      }
    } finally {
      tf.dispose([qSq, cSq, r]);
    }
    return inside / q;
  })();
}

function checkOptions(fn: string, opts: PrecisionRecallOptions): { k: number; blockSize: number } {
  const k = opts.k ?? DEFAULT_PR_K;
  const blockSize = opts.blockSize ?? DEFAULT_PR_BLOCK;
  if (!(Number.isInteger(k) && k >= 1)) throw new ArgumentError(fn, 'k', k, 'an integer ≥ 1');
  if (!(Number.isInteger(blockSize) && blockSize >= 1)) throw new ArgumentError(fn, 'blockSize', blockSize, 'an integer ≥ 1');
  return { k, blockSize };
}

/**
 * Improved precision and recall of generated features against real ones (see the file's doc).
 * @param real features of the reference data [n, F], n ≥ k + 1.
 * @param generated features of the samples [m, F], m ≥ k + 1 (m may differ from n).
 * @throws ShapeError (fn `precisionRecall`) for a set that is not [≥ k + 1, F] or a dimension mismatch;
 *   ArgumentError for a bad k or blockSize; both synchronously, before any work.
 */
export function precisionRecall(real: tf.Tensor2D, generated: tf.Tensor2D, opts: PrecisionRecallOptions = {}): Promise<PrecisionRecall> {
  const fn = 'precisionRecall';
  const { k, blockSize } = checkOptions(fn, opts);
  const [, F] = checkPoints(fn, 'real', real, k + 1);
  checkPoints(fn, 'generated', generated, k + 1, F);
  return (async () => {
    const realRadii = await knnRadiiSquared(real, { k, blockSize });
    const genRadii = await knnRadiiSquared(generated, { k, blockSize });
    return {
      precision: await coveredFraction(generated, real, realRadii, blockSize),
      recall: await coveredFraction(real, generated, genRadii, blockSize),
      k,
    };
  })();
}
