/**
 * Per-sample distances between two batches and their summary: the root-mean-square over every non-batch axis (so it
 * does not grow with the dimension), and its mean, spread and quantiles over the batch. The error measures of
 * lib/splam/trajectory-error.ts and the same-noise metric share these.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';

/** Summary of per-sample errors over a batch. */
export interface ErrorStat {
  mean: number;
  std: number;
  max: number;
  /** 10 % and 90 % quantiles over the batch (linear interpolation): error bars that suit a log axis. */
  q10?: number;
  q90?: number;
}

/** Per-sample RMS distance over non-batch axes, as host numbers. */
export function perSampleRms(a: tf.Tensor, b: tf.Tensor): number[] {
  const rms = rmsTensor(a, b);
  const values = Array.from(rms.dataSync());
  rms.dispose();
  return values;
}

/** {@link perSampleRms} read with `await`, so it runs on every backend (WebGPU included). */
export async function perSampleRmsAsync(a: tf.Tensor, b: tf.Tensor): Promise<number[]> {
  const rms = rmsTensor(a, b);
  try {
    return Array.from(await rms.data());
  } finally {
    rms.dispose();
  }
}

/** Per-sample RMS distance over non-batch axes, [B] (the caller disposes it). */
export function rmsTensor(a: tf.Tensor, b: tf.Tensor): tf.Tensor1D {
  if (a.shape.join() !== b.shape.join()) {
    throw new ArgumentError('perSampleRms', 'b', `shape [${b.shape.join(', ')}]`, `the shape of a, [${a.shape.join(', ')}]`);
  }
  return tf.tidy(() => a.sub(b).reshape([a.shape[0], -1]).square().mean(1).sqrt() as tf.Tensor1D);
}

/** Mean, standard deviation, maximum and the 10 % / 90 % quantiles of a list of numbers. */
export function stat(values: number[]): ErrorStat {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    return lo + 1 < n ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
  };
  return { mean, std: Math.sqrt(variance), max: Math.max(...values), q10: q(0.1), q90: q(0.9) };
}
