/**
 * Sampling and scoring in the autoencoder's latent space, shared by the latent teacher's guidance sweep, the SPLAD
 * distillation's evaluation and the few-step table:
 *   - evaluation noise: n latents x_T ~ N(0, I) [n, h, w, Z] and class-balanced labels (sample i has label i mod K),
 *     from one seed, so every method compared is judged on the same noise and labels;
 *   - samplers: the teacher guided with a fixed w under a training-free PF-ODE solver (DDIM, DPM-Solver++(2M)) on a
 *     uniform time grid; a distilled student under the LCM multistep sampler at γ = 1 (lib/splam/sampler.ts), at a
 *     sampling w when it has LCM's w-embedding;
 *   - a row per (method, steps): FID / precision / recall of the decoded samples (lib/experiments/image-metrics.ts),
 *     wall-clock per 1,000 samples (sampling + decoding, this process, this machine), and optionally the same-noise
 *     error against reference endpoints (mean over samples of the RMS latent difference).
 * Sampling runs on the active backend; samples come to the host with `await t.data()` (so sampling and scoring are
 * async and run on tfjs's WebGPU backend in Node, which cannot read synchronously).
 */
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../data/rng.js';
import type { ClassCond } from '../diffusion/guidance.js';
import { timeGrid } from '../diffusion/grids.js';
import type { Schedule } from '../diffusion/schedules.js';
import { SOLVERS } from '../diffusion/solvers/index.js';
import type { Autoencoder } from '../nn/autoencoder.js';
import { guidedNetDenoiser, netGammaModel, type EpsNet } from '../nn/eps-net.js';
import type { SolverGrid } from '../splam/grid.js';
import { lcmSample, lcmTimesteps, type TimestepSpacing } from '../splam/sampler.js';
import type { ImageSet } from '../data/fashion-mnist.js';
import { imageGridPng } from '../viz/image-grid.js';
import { decodeLatents, encodeImages, scoreImages, type ImageReference } from './image-metrics.js';

export interface LatentNoise {
  /** x_T, [n, h, w, Z] row-major. */
  xT: Float32Array;
  labels: number[];
  shape: [number, number, number, number];
}

/** n initial latents and class-balanced labels from one seed (labels i mod numClasses; none when unconditional). */
export function latentNoise(n: number, latentShape: readonly [number, number, number], numClasses: number, seed: number): LatentNoise {
  const rng = makeRng(seed);
  const size = latentShape[0] * latentShape[1] * latentShape[2];
  return { xT: rng.normalArray(n * size), labels: numClasses > 0 ? Array.from({ length: n }, (_, i) => i % numClasses) : [], shape: [n, ...latentShape] };
}

/** A way to turn x_T [B, h, w, Z] (and labels) into clean latents. */
export interface LatentSampler {
  /** Row label, e.g. `teacher DDIM`, `SPLAM`. */
  method: string;
  steps: number;
  /** Network evaluations per sample (a guided teacher costs two per solver evaluation, unless w = 0). */
  nfe: number;
  /** The sampling w of a student with a w-embedding (copied into its rows); absent otherwise. */
  w?: number;
  /** `implied` for a student sampled as the deterministic chain (copied into its rows); absent for fresh noise. */
  noise?: 'implied';
  sample(xT: tf.Tensor4D, cond: ClassCond | undefined, chunk: number): tf.Tensor4D;
}

/** The teacher guided with fixed w under a training-free solver with `steps` steps (uniform grid 999 → 0). */
export function teacherSampler(net: EpsNet, schedule: Schedule, o: { solver: 'ddim' | 'dpmpp2m'; steps: number; w: number; method?: string; conditional: boolean }): LatentSampler {
  const den = o.conditional ? guidedNetDenoiser(net, o.w) : guidedNetDenoiser(net, 0);
  const perCall = o.conditional && o.w !== 0 ? 2 : 1;
  return {
    method: o.method ?? `teacher ${o.solver === 'ddim' ? 'DDIM' : 'DPM-Solver++(2M)'}`,
    steps: o.steps,
    nfe: o.steps * perCall,
    sample: (xT, cond) => SOLVERS[o.solver](den, schedule, xT, timeGrid(schedule, o.steps), { cond }).x as tf.Tensor4D,
  };
}

/**
 * A distilled student under the LCM multistep sampler (γ = 1, fresh re-noising drawn from `seed + steps`, the same
 * for every w). `w`: the sampling guidance of a student with LCM's w-embedding, given to every sample as `cond.w`
 * (omit it for a student without one). `noise`: `fresh` (LCM's sampler, the default) or `implied`, the deterministic
 * chain that re-noises with the student's own ε̂ (lib/splam/sampler.ts {@link LcmSampleOptions}).
 */
export function studentSampler(
  net: EpsNet,
  schedule: Schedule,
  grid: SolverGrid,
  o: { steps: number; method: string; seed: number; spacing?: TimestepSpacing; w?: number; noise?: 'fresh' | 'implied' },
): LatentSampler {
  const model = netGammaModel(net);
  const withW = (cond: ClassCond | undefined, B: number): ClassCond | undefined =>
    o.w === undefined ? cond : { ...(cond ?? { labels: new Array<number>(B).fill(-1) }), w: new Array<number>(B).fill(o.w) };
  return {
    method: o.method,
    steps: o.steps,
    nfe: o.steps,
    ...(o.w === undefined ? {} : { w: o.w }),
    ...(o.noise === 'implied' ? { noise: 'implied' as const } : {}),
    sample: (xT, cond) => lcmSample(model, schedule, xT, lcmTimesteps(grid, o.steps, o.spacing), { rng: makeRng(o.seed + o.steps), cond: withW(cond, xT.shape[0]), noise: o.noise }).x as tf.Tensor4D,
  };
}

export interface LatentEvalRow {
  method: string;
  steps: number;
  nfe: number;
  fid: number;
  precision: number;
  recall: number;
  n: number;
  /** Wall-clock seconds per 1,000 samples: sampling latents, and decoding them. */
  samplePer1000: number;
  decodePer1000: number;
  /** Mean over samples of the RMS latent distance to the reference endpoints (when given). */
  sameNoise?: number;
  /** The sampling w of a student with a w-embedding (absent otherwise). */
  w?: number;
  /** `implied`: the student sampled as the deterministic chain (absent: fresh noise, LCM's sampler). */
  noise?: 'implied';
}

/**
 * Run a sampler over the noise in chunks (one sampler call per chunk), returning all latents [n, h, w, Z] on the host
 * (each chunk read with `await`).
 */
export async function sampleAll(s: LatentSampler, noise: LatentNoise, chunk = 500): Promise<Float32Array> {
  const [n, h, w, Z] = noise.shape;
  const row = h * w * Z;
  const out = new Float32Array(n * row);
  for (let start = 0; start < n; start += chunk) {
    const b = Math.min(chunk, n - start);
    const xT = tf.tensor4d(noise.xT.subarray(start * row, (start + b) * row), [b, h, w, Z]);
    const cond = noise.labels.length ? { labels: noise.labels.slice(start, start + b) } : undefined;
    try {
      const x = s.sample(xT, cond, chunk);
      try {
        out.set(await x.data(), start * row);
      } finally {
        x.dispose();
      }
    } finally {
      xT.dispose();
    }
  }
  return out;
}

/** Mean over rows of the RMS difference between two row-major arrays of `n` rows. */
export function sameNoiseError(a: Float32Array, b: Float32Array, n: number): number {
  const row = a.length / n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = i * row; j < (i + 1) * row; j++) ss += (a[j] - b[j]) ** 2;
    total += Math.sqrt(ss / row);
  }
  return total / n;
}

/**
 * Sample, decode and score one method. Returns the row, the latents (for a reference endpoint) and the decoded
 * images [n, H, W, C] (for a grid). The timings include reading the samples and the images to the host.
 */
export async function evaluateSampler(
  s: LatentSampler,
  noise: LatentNoise,
  ctx: { ae: Autoencoder; scale: number; ref: ImageReference; reference?: Float32Array; chunk?: number },
): Promise<{ row: LatentEvalRow; latents: Float32Array; images: Float32Array }> {
  const n = noise.shape[0];
  const t0 = performance.now();
  const latents = await sampleAll(s, noise, ctx.chunk);
  const t1 = performance.now();
  const images = await decodeLatents(ctx.ae, ctx.scale, latents);
  const t2 = performance.now();
  const { height, width, channels } = ctx.ae.config;
  const score = await scoreImages(ctx.ref, images, [height, width, channels]);
  const row: LatentEvalRow = {
    method: s.method,
    steps: s.steps,
    nfe: s.nfe,
    fid: score.fid,
    precision: score.precision,
    recall: score.recall,
    n,
    samplePer1000: ((t1 - t0) / 1000) * (1000 / n),
    decodePer1000: ((t2 - t1) / 1000) * (1000 / n),
  };
  if (ctx.reference) row.sameNoise = sameNoiseError(latents, ctx.reference, n);
  if (s.w !== undefined) row.w = s.w;
  if (s.noise) row.noise = s.noise;
  return { row, latents, images };
}

/** A fixed-width text table of rows. */
export function formatLatentRows(rows: readonly LatentEvalRow[]): string {
  const head = ['method'.padEnd(26), 'steps'.padStart(5), 'NFE'.padStart(4), 'FID'.padStart(9), 'prec'.padStart(6), 'recall'.padStart(6), 'same-noise'.padStart(10), 's/1000'.padStart(8)].join(' ');
  const lines = rows.map((r) =>
    [
      r.method.padEnd(26),
      String(r.steps).padStart(5),
      String(r.nfe).padStart(4),
      r.fid.toFixed(3).padStart(9),
      r.precision.toFixed(3).padStart(6),
      r.recall.toFixed(3).padStart(6),
      (r.sameNoise === undefined ? '—' : r.sameNoise.toFixed(4)).padStart(10),
      (r.samplePer1000 + r.decodePer1000).toFixed(2).padStart(8),
    ].join(' '),
  );
  return [head, ...lines].join('\n');
}

/** The rows as a Markdown table. */
export function markdownLatentRows(rows: readonly LatentEvalRow[]): string {
  const out = ['| method | steps | NFE | FID | precision | recall | same-noise error | s per 1,000 samples |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    out.push(`| ${r.method} | ${r.steps} | ${r.nfe} | ${r.fid.toFixed(2)} | ${r.precision.toFixed(3)} | ${r.recall.toFixed(3)} | ${r.sameNoise === undefined ? '—' : r.sameNoise.toFixed(4)} | ${(r.samplePer1000 + r.decodePer1000).toFixed(2)} |`);
  }
  return out.join('\n');
}

/**
 * A data set of scaled latents s·E(x) with the images' labels (an ImageSet of shape [N, h, w, Z]), on the host
 * (encoded on the active backend, read with `await`).
 */
export async function latentSet(ae: Autoencoder, scale: number, images: ImageSet): Promise<ImageSet> {
  return { images: await encodeImages(ae, scale, images.images), labels: images.labels, shape: [images.shape[0], ...ae.latentShape], classNames: images.classNames };
}

/** A PNG grid with one row per class: the first `perClass` samples of each class. */
export async function gridByClass(images: Float32Array, labels: readonly number[], K: number, perClass: number, shape: readonly [number, number, number, number]): Promise<Buffer> {
  const row = shape[1] * shape[2] * shape[3];
  const picked: number[] = [];
  for (let k = 0; k < K; k++) {
    const idx = labels.flatMap((l, i) => (l === k ? [i] : [])).slice(0, perClass);
    picked.push(...idx);
  }
  const out = new Float32Array(picked.length * row);
  picked.forEach((i, j) => out.set(images.subarray(i * row, (i + 1) * row), j * row));
  return imageGridPng(out, [picked.length, shape[1], shape[2], shape[3]], { cols: perClass });
}
