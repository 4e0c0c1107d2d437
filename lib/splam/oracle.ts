/**
 * The oracle student: the ε-model whose consistency map is an exact flow to the data end,
 * f*(x_t, t) = Φ_{t→0}(x_t). With an exact teacher it is the ideal LCM student, so the
 * objective evaluated at it measures only the teacher's discretisation error. It ignores γ.
 *
 * Inverting the boundary parameterisation ŷ = c_skip(t)·x + c_out(t)·(x − σ_t·ε)/α_t for ε at ŷ = Φ_{t→0}(x):
 *   x̂_0 = (Φ_{t→0}(x) − c_skip(t)·x)/c_out(t),  ε = (x − α_t·x̂_0)/σ_t        (t > 0; at t = 0 ε is irrelevant: c_out = 0)
 */
import * as tf from '@tensorflow/tfjs';
import type { Schedule } from '../diffusion/schedules.js';
import { cOut, cSkip, type BoundaryOptions } from './boundary.js';
import type { GammaEpsModel } from '../diffusion/types.js';
import type { FlowMap } from './trajectory-error.js';

/** Apply a scalar-time function to a batch with per-sample times, grouping rows by time. */
export function byTime(x: tf.Tensor, t: tf.Tensor1D, fn: (rows: tf.Tensor, t: number) => tf.Tensor): tf.Tensor {
  const times = Array.from(t.dataSync());
  const unique = [...new Set(times)];
  if (unique.length === 1) return fn(x, unique[0]);
  return tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    const order: number[] = [];
    for (const u of unique) {
      const idx = times.flatMap((v, i) => (v === u ? [i] : []));
      parts.push(fn(tf.gather(x, idx), u));
      order.push(...idx);
    }
    const inverse = new Array<number>(order.length);
    order.forEach((row, pos) => (inverse[row] = pos));
    return tf.gather(tf.concat(parts, 0), inverse);
  });
}

/** The oracle ε-model of an exact flow map (see the module comment). */
export function oracleStudent(exact: FlowMap, schedule: Schedule, boundary?: BoundaryOptions): GammaEpsModel {
  return (x, t) =>
    byTime(x, t, (rows, ti) =>
      tf.tidy(() => {
        if (ti === 0) return tf.zerosLike(rows);
        const target = exact(rows, ti, 0);
        const x0 = target.sub(rows.mul(cSkip(ti, boundary))).div(cOut(ti, boundary));
        return rows.sub(x0.mul(schedule.alpha(ti))).div(schedule.sigma(ti));
      }),
    );
}
