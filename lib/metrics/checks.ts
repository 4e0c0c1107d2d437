/**
 * Input checks shared by the public functions of lib/metrics (validation at the edges, before any
 * tensor work; messages are built from the error's fields, only on failure). Internal to lib/metrics.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';

/**
 * Check that `x` is a point set [n, D] with n ≥ `minN` and D ≥ 1 (and D = `D` when given); returns [n, D].
 * @throws ShapeError naming `fn` and `arg` otherwise.
 */
export function checkPoints(fn: string, arg: string, x: unknown, minN: number, D?: number): [number, number] {
  const shape = x instanceof tf.Tensor ? x.shape : [];
  const dims = D === undefined ? 'D' : String(D);
  const expected = `[n, ${dims}] with n ≥ ${minN}${D === undefined ? ' and D ≥ 1' : ''}`;
  if (!(x instanceof tf.Tensor) || x.rank !== 2 || shape[0] < minN || shape[1] < 1 || (D !== undefined && shape[1] !== D)) {
    throw new ShapeError(fn, arg, expected, shape);
  }
  return [shape[0], shape[1]];
}

/**
 * Check an optional seed or generator argument: undefined, a safe integer, or an object with `uniform`/`normal`.
 * @throws ArgumentError otherwise.
 */
export function checkSeed(fn: string, arg: string, value: unknown): void {
  if (value === undefined || Number.isSafeInteger(value)) return;
  if (typeof value === 'object' && value !== null && 'normal' in value && 'uniform' in value) return;
  throw new ArgumentError(fn, arg, value, 'a safe integer seed or an Rng from lib/data/rng.ts');
}
