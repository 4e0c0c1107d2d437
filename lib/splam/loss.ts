/**
 * The distance d of the consistency objective, averaged over all elements and the batch
 * (MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:1205-1256):
 *   `l2`           mean((a − b)²)                          the script's default (--loss_type l2)
 *   `pseudoHuber`  mean(√((a − b)² + c²) − c), c = 0.001   the README run (--loss_type huber)
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';

export type LossSpec = { kind: 'l2' } | { kind: 'pseudoHuber'; c: number };

export const DEFAULT_HUBER_C = 0.001;

export function checkLoss(l: LossSpec): void {
  if (l.kind !== 'l2' && l.kind !== 'pseudoHuber') throw new ArgumentError('checkLoss', 'kind', (l as { kind: unknown }).kind, 'l2 or pseudoHuber');
  if (l.kind === 'pseudoHuber' && !(l.c > 0)) throw new ArgumentError('checkLoss', 'c', l.c, 'a number > 0');
}

/** Mean distance between prediction and target, [B, ...] each → scalar. */
export function consistencyDistance(pred: tf.Tensor, target: tf.Tensor, loss: LossSpec): tf.Scalar {
  return tf.tidy(() => {
    const d2 = pred.sub(target).square();
    if (loss.kind === 'l2') return d2.mean() as tf.Scalar;
    return d2.add(loss.c * loss.c).sqrt().sub(loss.c).mean() as tf.Scalar;
  });
}

/** Distance per sample, [B, ...] each → [B] (the mean over each sample's elements; their mean is {@link consistencyDistance}). */
export function perSampleDistance(pred: tf.Tensor, target: tf.Tensor, loss: LossSpec): tf.Tensor1D {
  return tf.tidy(() => {
    const d2 = pred.sub(target).square();
    const d = loss.kind === 'l2' ? d2 : d2.add(loss.c * loss.c).sqrt().sub(loss.c);
    return d.reshape([d.shape[0], -1]).mean(1) as tf.Tensor1D;
  });
}
