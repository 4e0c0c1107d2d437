/**
 * One SPLAM / LCM optimisation step and the diagnostics that explain it
 * (MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:1126-1269):
 * the no-gradient batch of lib/splam/objective.ts, an AdamW step on the student, then the EMA update of the target
 * θ⁻ ← μ·θ⁻ + (1 − μ)·θ (skipped when the loss or gradient is not finite). The mixture distillation and SPLAD both
 * train through {@link splamUpdate}.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/rng.js';
import type { Schedule } from '../diffusion/schedules.js';
import type { Denoiser } from '../diffusion/types.js';
import { emaUpdate } from '../nn/ema.js';
import type { ParamSet } from '../nn/params.js';
import { netGammaModel, type EpsNet } from '../nn/eps-net.js';
import type { ClassCond } from '../diffusion/guidance.js';
import type { Adam, LazyStepResult } from '../train/adam.js';
import { consistencyFromEps } from './consistency.js';
import { perSampleDistance } from './loss.js';
import { disposeBatch, prepareSplamBatch, studentLoss, studentPrediction, type SplamObjective } from './objective.js';
import type { GammaEpsModel } from '../diffusion/types.js';

/** What one update acts on: any γ-conditioned student and its EMA target (MLP or U-Net). */
export interface SplamUpdateArgs<C> {
  /** Clean data x_0, [B, ...] (not disposed). */
  x0: tf.Tensor;
  cond?: C;
  /** The frozen teacher, guided where the run distils a guided teacher. */
  teacher: Denoiser<C>;
  student: { model: GammaEpsModel<C>; params: ParamSet };
  target: { model: GammaEpsModel<C>; params: ParamSet };
  adam: Adam;
  schedule: Schedule;
  objective: SplamObjective;
  rng: Rng;
  /** EMA decay μ of the target (code: 0.95). */
  emaMu: number;
  /** Fraction of training done before this step, in [0, 1] (for a γ curriculum). */
  progress?: number;
}

/**
 * One optimisation step; returns the batch loss and the (pre-clip) global gradient norm — numbers, or scalar tensors
 * where the backend cannot read synchronously ({@link Adam.stepLazy}: there the EMA update runs whatever the loss,
 * since the run stops at a non-finite loss before its next checkpoint).
 */
export function splamUpdate<C>(a: SplamUpdateArgs<C>): LazyStepResult {
  const b = prepareSplamBatch({ x0: a.x0, cond: a.cond, teacher: a.teacher, target: a.target.model, schedule: a.schedule, objective: a.objective, rng: a.rng, progress: a.progress });
  try {
    const r = a.adam.stepLazy(() => studentLoss(a.student.model, b, a.objective.loss));
    const finite = typeof r.loss !== 'number' || (Number.isFinite(r.loss) && Number.isFinite(r.gradNorm));
    if (finite) emaUpdate(a.target.params, a.student.params, a.emaMu);
    return r;
  } finally {
    disposeBatch(b);
  }
}

/**
 * What a distillation run with networks holds between steps: the frozen (guided) teacher, the student and its EMA
 * target as networks (MLP or U-Net: each is seen as a γ-model through lib/nn/eps-net.ts `netGammaModel`), the
 * optimiser, the schedule and the objective. The mixture distillation and SPLAD states are both this.
 */
export interface NetDistillation {
  teacher: Denoiser<ClassCond>;
  student: EpsNet & { params: ParamSet };
  target: EpsNet & { params: ParamSet };
  adam: Adam;
  schedule: Schedule;
  objective: SplamObjective;
}

/** The arguments of {@link splamUpdate} / {@link splamDiagnostics} for a batch of a {@link NetDistillation}. */
function netArgs(d: NetDistillation, x0: tf.Tensor, cond: ClassCond | undefined, progress: number) {
  return {
    x0,
    cond,
    teacher: d.teacher,
    student: { model: netGammaModel(d.student), params: d.student.params },
    target: { model: netGammaModel(d.target), params: d.target.params },
    schedule: d.schedule,
    objective: d.objective,
    progress,
  };
}

/**
 * The one training step of both distillation kinds: {@link splamUpdate} of `d` on the batch (x0, cond) that the
 * kind's batch source gave; `progress` is the fraction of training done before the step.
 */
export function netDistillationStep(d: NetDistillation, x0: tf.Tensor, cond: ClassCond | undefined, o: { rng: Rng; emaMu: number; progress: number }): LazyStepResult {
  return splamUpdate({ ...netArgs(d, x0, cond, o.progress), adam: d.adam, rng: o.rng, emaMu: o.emaMu });
}

/** {@link splamDiagnostics} of `d` on a batch, with a stream of its own. */
export function netDistillationDiagnostics(d: NetDistillation, x0: tf.Tensor, cond: ClassCond | undefined, o: { rng: Rng; progress: number }): Promise<Record<string, number>> {
  return splamDiagnostics({ ...netArgs(d, x0, cond, o.progress), rng: o.rng });
}

/** γ bins of the diagnostics: `g1`, γ = 1 exactly (LCM's sample), then quarters of [0, 1). */
export const GAMMA_BINS = [
  { name: 'g1', test: (g: number) => g === 1 },
  { name: 'g0.00-0.25', test: (g: number) => g < 0.25 },
  { name: 'g0.25-0.50', test: (g: number) => g >= 0.25 && g < 0.5 },
  { name: 'g0.50-0.75', test: (g: number) => g >= 0.5 && g < 0.75 },
  { name: 'g0.75-1.00', test: (g: number) => g >= 0.75 && g < 1 },
] as const;

/** t bins of the diagnostics: quarters of [0, N). */
export function tBins(N: number): { name: string; test: (t: number) => boolean }[] {
  return [0, 1, 2, 3].map((q) => {
    const lo = (q * N) / 4;
    const hi = ((q + 1) * N) / 4;
    return { name: `t${Math.round(lo)}-${Math.round(hi) - 1}`, test: (t: number) => t >= lo && t < hi };
  });
}

/** A gradient map on the host (float64), read with await; and the dot product of two. */
async function flat(grads: tf.NamedTensorMap, names: string[]): Promise<Float64Array[]> {
  return Promise.all(names.map(async (n) => Float64Array.from(await grads[n].data())));
}
function dot(a: Float64Array[], b: Float64Array[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) s += a[i][j] * b[i][j];
  return s;
}

export interface DiagnosticsArgs<C> extends Omit<SplamUpdateArgs<C>, 'adam' | 'emaMu' | 'rng'> {
  /** A stream of its own, so that diagnostics never change what training draws. */
  rng: Rng;
}

/**
 * The objective on one fresh batch, split by γ bin and by t bin, without changing any parameter:
 *   `loss/<bin>`      mean per-sample d(ŷ, y) over the bin's samples;
 *   `grad/<bin>`      ‖∇θ‖ of that bin-mean loss (how hard one sample of the bin pulls);
 *   `cos/<bin>`       cosine between that gradient and LCM's (the student at (x_t, t, γ = 1) against the same
 *                     targets) — on the whole batch for a γ bin, on the bin's own samples for a t bin: below 1 the
 *                     bin pulls the γ = 1 map elsewhere, below 0 against it;
 *   `count/<bin>`     the bin's sample count; and `loss/lcm`, `grad/lcm` for LCM's own loss on the whole batch.
 * Bins with no sample are left out. Costs one forward and backward pass per non-empty bin plus one for LCM.
 */
export async function splamDiagnostics<C>(a: DiagnosticsArgs<C>): Promise<Record<string, number>> {
  const b = prepareSplamBatch({ x0: a.x0, cond: a.cond, teacher: a.teacher, target: a.target.model, schedule: a.schedule, objective: a.objective, rng: a.rng, progress: a.progress });
  const params = [...a.student.params.values()] as tf.Variable[];
  const names = [...a.student.params.keys()];
  const out: Record<string, number> = {};
  const lcmPrediction = () => {
    const B = b.t.length;
    const eps = a.student.model(b.xT, b.tTensor, tf.ones([B]) as tf.Tensor1D, b.cond);
    return consistencyFromEps(b.xT, eps, { alpha: b.alphaT, sigma: b.sigmaT, cSkip: b.cSkipT, cOut: b.cOutT });
  };
  const gradOf = async (lossFn: () => tf.Scalar): Promise<{ value: number; g: Float64Array[] }> => {
    const { value, grads } = tf.variableGrads(lossFn, params);
    const byName: tf.NamedTensorMap = {};
    params.forEach((p, i) => (byName[names[i]] = grads[p.name]));
    try {
      return { value: (await value.data())[0], g: await flat(byName, names) };
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
  };
  try {
    const perSample = tf.tidy(() => perSampleDistance(studentPrediction(a.student.model, b), b.target, a.objective.loss));
    const perSampleValues = (await perSample.data()).slice();
    perSample.dispose();
    const lcm = await gradOf(() => tf.tidy(() => perSampleDistance(lcmPrediction(), b.target, a.objective.loss).mean() as tf.Scalar));
    const lcmNorm = Math.sqrt(dot(lcm.g, lcm.g));
    out['loss/lcm'] = lcm.value;
    out['grad/lcm'] = lcmNorm;
    const bins = [
      ...GAMMA_BINS.map((bin) => ({ name: bin.name, own: false, idx: b.t.flatMap((_, i) => (bin.test(b.gamma[i]) ? [i] : [])) })),
      ...tBins(a.schedule.N).map((bin) => ({ name: bin.name, own: true, idx: b.t.flatMap((ti, i) => (bin.test(ti) ? [i] : [])) })),
    ];
    for (const bin of bins) {
      if (bin.idx.length === 0) continue;
      out[`count/${bin.name}`] = bin.idx.length;
      out[`loss/${bin.name}`] = bin.idx.reduce((s, i) => s + perSampleValues[i], 0) / bin.idx.length;
      const mask = new Float32Array(b.t.length);
      for (const i of bin.idx) mask[i] = 1 / bin.idx.length;
      const binMean = (pred: () => tf.Tensor) => () => tf.tidy(() => perSampleDistance(pred(), b.target, a.objective.loss).mul(tf.tensor1d(mask)).sum() as tf.Scalar);
      const r = await gradOf(binMean(() => studentPrediction(a.student.model, b)));
      const ref = bin.own ? (await gradOf(binMean(lcmPrediction))).g : lcm.g;
      const norm = Math.sqrt(dot(r.g, r.g));
      const refNorm = Math.sqrt(dot(ref, ref));
      out[`grad/${bin.name}`] = norm;
      out[`cos/${bin.name}`] = norm > 0 && refNorm > 0 ? dot(r.g, ref) / (norm * refNorm) : 0;
    }
    return out;
  } finally {
    disposeBatch(b);
  }
}

