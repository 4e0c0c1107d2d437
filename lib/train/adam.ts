/**
 * AdamW (Loshchilov & Hutter 2019) over a named parameter set, with global-norm gradient clipping, as the official
 * code trains (AdamW β = (0.9, 0.999), ε = 1e-8, clip 1.0; weight decay 0 in the README run, 1e-2 by default).
 * Written here rather than tf.train.adam so that its state is keyed by parameter name and checkpoints restore
 * exactly in a new process.
 *
 * On backends with the fused kernels (`wasm`, `native`: backend/kernels/adamw.ts) the global norm is one kernel call
 * and each parameter's update another; elsewhere the same formulas are composed from tfjs ops. `stepLazy` reads
 * nothing back where the backend cannot read synchronously (tfjs's WebGPU in Node; there each parameter's update is
 * one kernel too, backend/kernels/webgpu-adamw.ts, with the clip factor and the skip flag on the device). The paths
 * agree to float32 rounding (test/train/adam.test.ts), not bit for bit: the fused kernels compute each element in
 * float64.
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from '../backend.js';
import { readsSync } from '../backend/reads.js';
import { ADAMW_KERNEL, SUM_SQUARES_KERNEL, type AdamWAttrs } from '../backend/kernels/adamw.js';
import { ADAMW_DEVICE_KERNEL, type AdamWDeviceAttrs } from '../backend/kernels/webgpu-adamw.js';
import { ArgumentError } from '../errors.js';
import type { ParamSet } from '../nn/params.js';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this value (0 = no clipping). */
  gradClip: number;
}

export const DEFAULT_ADAM: AdamConfig = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradClip: 1 };

export interface AdamState {
  step: number;
  m: Map<string, tf.Variable>;
  v: Map<string, tf.Variable>;
}

/** A scalar of a step: a number, or a scalar tensor to be read later (the caller disposes it). */
export type Reading = number | tf.Scalar;

/** What {@link Adam.stepLazy} returns: numbers where the backend reads synchronously, scalar tensors elsewhere. */
export type LazyStepResult = { loss: Reading; gradNorm: Reading };

export interface AdamStepResult {
  /** The loss before the update. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

export class Adam {
  readonly config: AdamConfig;
  readonly state: AdamState;

  constructor(
    readonly params: ParamSet,
    config: Partial<AdamConfig> = {},
  ) {
    this.config = { ...DEFAULT_ADAM, ...config };
    for (const k of ['lr', 'eps'] as const) if (!(this.config[k] > 0)) throw new ArgumentError('Adam', k, this.config[k], 'a number > 0');
    for (const k of ['beta1', 'beta2'] as const) if (!(this.config[k] >= 0 && this.config[k] < 1)) throw new ArgumentError('Adam', k, this.config[k], 'a number in [0, 1)');
    for (const k of ['weightDecay', 'gradClip'] as const) if (!(this.config[k] >= 0)) throw new ArgumentError('Adam', k, this.config[k], 'a number ≥ 0');
    const zeros = () => new Map([...params].map(([n, p]) => [n, tf.variable(tf.zerosLike(p), false)]));
    this.state = { step: 0, m: zeros(), v: zeros() };
  }

  /**
   * One step: gradients of `lossFn` with respect to every parameter, clipped, then the AdamW update.
   * A non-finite loss or gradient norm leaves the parameters unchanged (the caller decides to stop).
   * Reads the loss and the gradient norm synchronously; on backends that cannot (WebGPU in Node) use {@link stepLazy}.
   */
  step(lossFn: () => tf.Scalar): AdamStepResult {
    const { value, grads } = tf.variableGrads(lossFn, [...this.params.values()]);
    try {
      const fused = hasFusedAdamW();
      const loss = value.dataSync()[0];
      const gradNorm = fused ? Math.sqrt(readAndDispose(fusedSumSquares(grads))) : readAndDispose(globalNorm(grads));
      return this.#update(grads, loss, gradNorm, fused);
    } finally {
      value.dispose();
      tf.dispose(Object.values(grads));
    }
  }

  /**
   * {@link step} where the active backend reads synchronously; elsewhere (tfjs's WebGPU in Node) the same AdamW
   * update without reading anything back: the clip factor min(1, clip / ‖g‖) and the skip on a non-finite loss or
   * norm are computed on the device, and the loss and norm come back as scalar tensors for the caller to read later,
   * batched (lib/train/loop.ts reads a logging window at once). The step counter advances even on a skipped
   * (non-finite) step, which the loop then stops at. The two paths agree to float32 rounding
   * (test/backend/webgpu.test.ts), not bit for bit: the fused kernels compute each element in float64.
   * On `webgpu` the update is one kernel per parameter ({@link hasDeviceAdamW}; three dispatches, where the composed
   * fallback below runs ~30 kernels, ~21 dispatches, per parameter), taking the clip factor and the skip flag as
   * device scalars.
   */
  stepLazy(lossFn: () => tf.Scalar): LazyStepResult {
    if (readsSync()) return this.step(lossFn);
    const { value, grads } = tf.variableGrads(lossFn, [...this.params.values()]);
    try {
      const gradNorm = globalNorm(grads) as tf.Scalar;
      const { lr, beta1, beta2, eps, weightDecay, gradClip } = this.config;
      this.state.step += 1;
      const bc1 = 1 - beta1 ** this.state.step;
      const bc2 = 1 - beta2 ** this.state.step;
      tf.tidy(() => {
        const finite = tf.logicalAnd(tf.isFinite(value), tf.isFinite(gradNorm));
        const clip = gradClip > 0 ? tf.minimum(1, tf.div(gradClip, gradNorm)) : tf.scalar(1);
        if (hasDeviceAdamW()) {
          // One kernel per parameter (three dispatches), the clip factor and the skip flag as device scalars.
          const ok = tf.cast(finite, 'float32');
          const attrs: AdamWDeviceAttrs = { lr, beta1, beta2, eps, weightDecay, bc1, bc2 };
          for (const [name, p] of this.params) {
            const m = this.state.m.get(name)!;
            const v = this.state.v.get(name)!;
            const inputs = { param: p, grad: grads[p.name], m, v, scale: clip, ok };
            const [p2, m2, v2] = tf.engine().runKernel(ADAMW_DEVICE_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
            m.assign(m2);
            v.assign(v2);
            p.assign(p2);
          }
          return;
        }
        const scale = tf.where(finite, clip, tf.scalar(0));
        const keep = (next: tf.Tensor, old: tf.Tensor) => tf.where(finite, next, old);
        for (const [name, p] of this.params) {
          const m = this.state.m.get(name)!;
          const v = this.state.v.get(name)!;
          const g = grads[p.name].mul(scale);
          const m2 = m.mul(beta1).add(g.mul(1 - beta1));
          const v2 = v.mul(beta2).add(g.square().mul(1 - beta2));
          const update = m2.div(bc1).div(v2.div(bc2).sqrt().add(eps));
          const decayed = weightDecay > 0 ? p.mul(1 - lr * weightDecay) : p;
          m.assign(keep(m2, m));
          v.assign(keep(v2, v));
          p.assign(keep(decayed.sub(update.mul(lr)), p));
        }
      });
      return { loss: value, gradNorm };
    } finally {
      tf.dispose(Object.values(grads));
    }
  }

  /** The clipped AdamW update from gradients already computed and read; skipped for a non-finite loss or norm. */
  #update(grads: tf.NamedTensorMap, loss: number, gradNorm: number, fused: boolean): AdamStepResult {
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) return { loss, gradNorm };
    const { lr, beta1, beta2, eps, weightDecay, gradClip } = this.config;
    const scale = gradClip > 0 && gradNorm > gradClip ? gradClip / gradNorm : 1;
    this.state.step += 1;
    const bc1 = 1 - beta1 ** this.state.step;
    const bc2 = 1 - beta2 ** this.state.step;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const m = this.state.m.get(name)!;
        const v = this.state.v.get(name)!;
        if (fused) {
          const attrs: AdamWAttrs = { lr, beta1, beta2, eps, weightDecay, scale, bc1, bc2 };
          const [p2, m2, v2] = tf.engine().runKernel(ADAMW_KERNEL, { param: p, grad: grads[p.name], m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
          m.assign(m2);
          v.assign(v2);
          p.assign(p2);
          continue;
        }
        const g = grads[p.name].mul(scale);
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(beta2).add(g.square().mul(1 - beta2)));
        const update = m.div(bc1).div(v.div(bc2).sqrt().add(eps));
        const decayed = weightDecay > 0 ? p.mul(1 - lr * weightDecay) : p;
        p.assign(decayed.sub(update.mul(lr)));
      }
    });
    return { loss, gradNorm };
  }

  dispose(): void {
    for (const v of [...this.state.m.values(), ...this.state.v.values()]) v.dispose();
  }
}

/** Whether the active backend has the fused AdamW kernels (`wasm`, `native`). */
export function hasFusedAdamW(): boolean {
  return activeBackendHas(ADAMW_KERNEL, SUM_SQUARES_KERNEL);
}

/**
 * Whether the active backend has the AdamW kernel that takes the clip factor and the skip flag as device tensors
 * (`webgpu`: backend/kernels/webgpu-adamw.ts), used by {@link Adam.stepLazy} where nothing is read synchronously.
 */
export function hasDeviceAdamW(): boolean {
  return activeBackendHas(ADAMW_DEVICE_KERNEL);
}

/** Σ‖g_i‖² over every gradient, as one kernel call (a scalar tensor). */
function fusedSumSquares(grads: tf.NamedTensorMap): tf.Tensor {
  const inputs: tf.NamedTensorMap = {};
  Object.values(grads).forEach((g, i) => (inputs[`x${i}`] = g));
  return tf.engine().runKernel(SUM_SQUARES_KERNEL, inputs, {}) as tf.Tensor;
}

/**
 * ‖(g₁, g₂, …)‖₂ over every gradient, composed from tfjs ops (a scalar tensor). The per-tensor sums are added one at
 * a time, not with `tf.addN`: on WebGPU addN binds every input as a storage buffer, and past the device's limit (8 on
 * Mesa's compatibility adapter, 22 wanted by a small MLP) the pipeline is invalid and the reads return zeros.
 */
function globalNorm(grads: tf.NamedTensorMap): tf.Tensor {
  return tf.tidy(() => tf.sqrt(Object.values(grads).reduce((acc: tf.Tensor, g) => tf.add(acc, tf.sum(tf.square(g))), tf.scalar(0))));
}

/** The first value of a tensor, read synchronously; the tensor is disposed. */
function readAndDispose(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}
