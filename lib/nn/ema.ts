/**
 * Exponential moving average of weights, θ⁻ ← μ·θ⁻ + (1 − μ)·θ, after each optimiser step (SPLAM's code,
 * MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:404-416, 1266-1269; default μ = 0.95 there).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import type { ParamSet } from './params.js';

export const DEFAULT_EMA_MU = 0.95;

export function emaUpdate(target: ParamSet, online: ParamSet, mu = DEFAULT_EMA_MU): void {
  if (!(mu >= 0 && mu <= 1)) throw new ArgumentError('emaUpdate', 'mu', mu, 'a number in [0, 1]');
  tf.tidy(() => {
    for (const [name, t] of target) {
      const o = online.get(name);
      if (!o) throw new ArgumentError('emaUpdate', 'online', name, 'a parameter set with the same names as the target');
      t.assign(t.mul(mu).add(o.mul(1 - mu)));
    }
  });
}
