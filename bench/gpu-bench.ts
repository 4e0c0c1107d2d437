/**
 * The GPU benchmark: WebGPU (tfjs-backend-webgpu on Dawn: Vulkan on a GPU, Mesa's
 * software OpenGL ES without one) against the native backend (oneDNN addon) on the same machine's CPU, once with
 * 2 OpenMP threads (the goal's reference) and once with every core. Each backend runs in its own child process (the
 * backend is a property of the process); where the native addon cannot load, that child falls back to wasm and says
 * so. Per backend, most important first (a child stops taking new measurements at its time budget):
 *
 * 1. the latent U-Net (experiments/latent-teacher-fmnist.json's architecture, 7×7×4 padded to 8×8, 32/64 channels,
 *    10 classes, plus the SPLAD student's γ-embedding 256): one training step at batch 128 (forward, ε-MSE, backward,
 *    lib/train's Adam.stepLazy: clip and AdamW on the device), the 4-step LCM sampler (lcmSample, lcmTimesteps on the
 *    50-point grid) of 1,000 latents, awaited to the host; the step split into forward / forward+backward / full
 *    step, the host time to enqueue a step (on WebGPU: below the step time → the GPU or the queue bounds it; equal →
 *    the host's dispatch does), and tf.profile's kernel list of one step (calls per kernel; GPU ms per kernel where
 *    the adapter has timestamp queries, which Dawn gives with allow_unsafe_apis, requested here);
 * 2. matmul N×N·N×N, N = 1024, 2048, 4096 (GFLOP/s = 2N³/time);
 * 3. conv2d (3×3 / 1×1, stride 1, `same`, bias) on each distinct shape of the U-Net's forward at batch 128, as
 *    tf.profile lists them, and one large 3×3 conv (32×64×64×128 → 128);
 * 4. the MLP student (teacher-gmm16d's 3×128 + γ-embedding 256; batch 256 step, 4-step sampler of 2,000), the
 *    autoencoder (autoencoder-fmnist: 32/64 channels, latent 4; batch 64 step, decoding 1,000 latents) and the
 *    classifier (classifier-fmnist: 16/32 conv, 128 features; batch 64 step, logits of 1,000 images).
 * Then a 1,000-step run of experiments/quick/distill.json (`train.steps=1000`) through lib/experiments/runner (what
 * `splam run` does, into a temporary store) on WebGPU and on native with 2 threads.
 *
 * Timing: after one warm-up call (its time is `firstMs`: shader compilation on WebGPU), calls are repeated within a
 * budget and the median per call reported. WebGPU queues work, so each timed group of k calls ends with an awaited
 * read (k > 1 only for calls under ~50 ms: the steady state of a loop that reads once per window, as lib/train's
 * does); samplers read their whole output. GFLOP/s counts matmuls and convolutions only (2 per multiply-add): a
 * network's forward FLOPs from the kernel shapes tf.profile lists, a training step as 3× its forward.
 * The adapter's stated peak: WebGPU reports no FLOP/s, so {@link statedPeak} matches the adapter and nvidia-smi names
 * against vendor datasheets (FP32, not tensor cores); achieved/peak is printed for matmul and conv.
 *
 *   node --import tsx bench/gpu-bench.ts [--quick] [--backends webgpu,native2,nativeAll,distill-webgpu,distill-native2]
 *        [--no-distill] [--distill-steps <n>]
 *        [--deadline <s>] [--results-dir <dir>] [--out-copy <file>] [--no-save]
 *   bash bench/gpu.sh   (packed for a GPU machine without network: see that script)
 * `--quick`: small sizes (batch 8 U-Net, 32 samples, matmul 256/512, 40 distill steps) to test the script on a slow
 * software adapter in a few minutes; its figures are not the goal's. `--deadline`: seconds for everything (default
 * 265; quick 480); each child gets its share of what is left, and results are saved after every child.
 * Saves <results-dir>/<name>.json: `gpu`, `gpu-quick`, or `gpu-mesa[-quick]` / `gpu-software[-quick]` when the
 * adapter is software (never mistaken for a GPU figure); `--out-copy` writes a copy (the device tool's $OUT/gpu.json).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend, type BackendInfo } from '../lib/backend.js';
import { makeRng } from '../lib/data/rng.js';
import { makeSchedule } from '../lib/diffusion/schedules.js';
import { makeAutoencoder } from '../lib/nn/autoencoder.js';
import { crossEntropy, makeClassifier } from '../lib/nn/classifier.js';
import { netGammaModel } from '../lib/nn/eps-net.js';
import { makeMlp } from '../lib/nn/mlp.js';
import { countParams, disposeParams, type ParamSet } from '../lib/nn/params.js';
import { makeUnet, type UnetConfig } from '../lib/nn/unet.js';
import { solverGrid } from '../lib/splam/grid.js';
import { lcmSample, lcmTimesteps } from '../lib/splam/sampler.js';
import { Adam, type LazyStepResult } from '../lib/train/adam.js';
import { machineInfo, RESULTS_DIR, type MachineInfo } from './common.js';

const MARK = '@@gpu-bench@@';
const args = process.argv.slice(2);
/** The value after the last `--<name>` (gpu.sh puts its defaults first, so the caller's come later and win). */
const option = (name: string): string | undefined => {
  const i = args.lastIndexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const here = dirname(fileURLToPath(import.meta.url));

// ------------------------------------------------------------------------------------------------ what is measured

/** Problem sizes: the real ones, or `--quick`'s small ones (a test of the script on a software adapter). */
const SIZES = quick
  ? { matmul: [256, 512], unetBatch: 8, unetSamples: 16, bigConv: [2, 16, 16, 32, 32], mlpBatch: 64, mlpSamples: 256, aeBatch: 8, aeDecode: 32, clsBatch: 8, clsForward: 32, distillSteps: 40 }
  : { matmul: [1024, 2048, 4096], unetBatch: 128, unetSamples: 1000, bigConv: [32, 64, 64, 128, 128], mlpBatch: 256, mlpSamples: 2000, aeBatch: 64, aeDecode: 1000, clsBatch: 64, clsForward: 1000, distillSteps: 1000 };
const SAMPLER_STEPS = 4;

/**
 * The latent U-Net of README's image tier: experiments/latent-teacher-fmnist.json's architecture (run
 * 20261126-215322-687-j8iaw9, models/latent-teacher-fmnist.ckpt.json) on the autoencoder's 7×7×4 latent with its
 * 10 classes, plus the γ-embedding (256) the SPLAD student adds (experiments/splad-splam-fmnist.json).
 */
const LATENT_UNET: Partial<UnetConfig> & Pick<UnetConfig, 'height' | 'width' | 'channels'> = {
  height: 7, width: 7, channels: 4, baseChannels: 32, channelMults: [1, 2], resBlocks: 1, groups: 8, timeEmbedDim: 64, timeHidden: 128, numClasses: 10, gammaEmbedDim: 256,
};
/** The MLP student of experiments/gmm16d-splam.json: teacher-gmm16d's architecture plus the γ-embedding 256. */
const MLP_STUDENT = { dim: 16, hidden: 128, blocks: 3, timeEmbedDim: 64, gammaEmbedDim: 256 };
/** experiments/autoencoder-fmnist.json and classifier-fmnist.json. */
const AUTOENCODER = { channels1: 32, channels2: 64, latentChannels: 4 };
const CLASSIFIER = { conv1: 16, conv2: 32, features: 128 };

/**
 * Vendor-stated FP32 peaks (non-tensor-core, dense, boost clock), TFLOP/s, for the GPUs the device tool lends and
 * their close relatives, matched (first match wins) against the adapter's vendor/device/description and nvidia-smi's
 * name. Sources: "NVIDIA H100 Tensor Core GPU" datasheet (H100 SXM 67, H100 PCIe 51, H100 NVL 60 TFLOPS FP32);
 * "NVIDIA H200 Tensor Core GPU" datasheet (H200 SXM 67, H200 NVL 60); "NVIDIA A100 Tensor Core GPU" datasheet (19.5).
 * Dawn names the lent H100 `nvidia-h100-80gb-hbm3` (the SXM5 part; bench/results/gpu.json of 2026-11-26).
 */
const STATED_PEAKS: { pattern: RegExp; name: string; tflops: number }[] = [
  { pattern: /h200.*nvl/i, name: 'NVIDIA H200 NVL', tflops: 60 },
  { pattern: /h200/i, name: 'NVIDIA H200 SXM', tflops: 67 },
  { pattern: /h100.*pcie/i, name: 'NVIDIA H100 PCIe', tflops: 51 },
  { pattern: /h100.*nvl/i, name: 'NVIDIA H100 NVL', tflops: 60 },
  { pattern: /h100/i, name: 'NVIDIA H100 SXM5', tflops: 67 },
  { pattern: /a100/i, name: 'NVIDIA A100', tflops: 19.5 },
];

export function statedPeak(names: string): { name: string; tflops: number } | 'unknown' {
  const hit = STATED_PEAKS.find((p) => p.pattern.test(names));
  return hit ? { name: hit.name, tflops: hit.tflops } : 'unknown';
}

// ------------------------------------------------------------------------------------------------------ child side

interface Measurement {
  id: string;
  section: string;
  /** Median ms per call. */
  ms: number | null;
  minMs: number | null;
  /** The first call (shader compilation on WebGPU). */
  firstMs: number | null;
  /** Median host ms per call until the k-th call returned (before the awaited read): the host's dispatch. */
  enqueueMs: number | null;
  /** Calls per awaited read. */
  k: number;
  reps: number;
  flops: number | null;
  gflops: number | null;
  note?: string;
  error?: string;
}

interface KernelRow {
  kernel: string;
  calls: number;
  ms: number;
}

interface StepProfile {
  /** Kernels one training step dispatches (registered kernels, as tf.profile lists them). */
  kernels: number;
  /** Σ kernel ms: GPU time per kernel where the adapter has timestamp queries, wall time per kernel on CPU backends. */
  kernelMs: number;
  /** Whether kernel times are GPU timestamps (false on WebGPU without timestamp queries: every time is 0). */
  timed: boolean;
  top: KernelRow[];
}

type Emitted =
  | { type: 'info'; info: BackendInfo; described: string; machine: MachineInfo; fallback?: string; timestamps?: boolean; tfFlags?: Record<string, unknown> }
  | { type: 'm'; m: Measurement }
  | { type: 'profile'; id: string; profile: StepProfile }
  | { type: 'shapes'; id: string; forwardFlopsPerSample: number; params: number; convs: ConvShape[] }
  | { type: 'distill'; run: DistillReport }
  | { type: 'done' };

function emit(e: Emitted): void {
  console.log(MARK + JSON.stringify(e));
}

/** Tensors a timed call returns: awaited (the last call's) and disposed after each group. */
type Returned = tf.Tensor[];
const tensorsOf = (...xs: unknown[]): Returned => xs.filter((x): x is tf.Tensor => x instanceof tf.Tensor);

let childDeadline = Infinity;
const leftMs = () => childDeadline - performance.now();

/**
 * Median ms per call of `call` after one warm-up call, within about `budgetMs` (at least `minReps` timed groups
 * unless the child's deadline is near). `fullRead`: await every returned tensor's values (a sampler's output);
 * otherwise one element of the last call's first tensor.
 */
async function measure(
  section: string,
  id: string,
  flops: number | null,
  call: () => Returned,
  o: { budgetMs: number; fullRead?: boolean; maxK?: number; minReps?: number; note?: string },
): Promise<Measurement> {
  const base = { id, section, flops, note: o.note };
  const budgetMs = quick ? Math.min(o.budgetMs, 4000) : o.budgetMs;
  const maxReps = quick ? 3 : 15;
  const empty = { ms: null, minMs: null, firstMs: null, enqueueMs: null, k: 0, reps: 0, gflops: null };
  if (leftMs() < 1000) return { ...base, ...empty, error: 'skipped: out of time' };
  const group = async (k: number) => {
    const t0 = performance.now();
    const out: tf.Tensor[] = [];
    let last: Returned = [];
    for (let i = 0; i < k; i++) {
      last = call();
      out.push(...last);
    }
    const enqueued = performance.now() - t0;
    if (o.fullRead) await Promise.all(last.map((t) => t.data()));
    else if (last.length > 0) {
      const probe = tf.tidy(() => last[0].flatten().slice(0, 1));
      await probe.data();
      probe.dispose();
    }
    const total = performance.now() - t0;
    tf.dispose(out);
    return { total, enqueued };
  };
  try {
    const firstMs = (await group(1)).total;
    // --quick (a slow software adapter): one call per read, no second warm-up.
    const single = quick ? firstMs : (await group(1)).total;
    const k = quick ? 1 : Math.max(1, Math.min(o.maxK ?? 20, Math.ceil(50 / Math.max(single, 0.01))));
    const times: number[] = [];
    const enq: number[] = [];
    const start = performance.now();
    const minReps = o.minReps ?? (quick ? 1 : 3);
    while (times.length < maxReps) {
      const elapsed = performance.now() - start;
      const per = times.length ? elapsed / times.length : single * k;
      if (times.length >= minReps && elapsed + per > budgetMs) break;
      if (per > leftMs() - 500) break; // the child's deadline
      const g = await group(k);
      times.push(g.total / k);
      enq.push(g.enqueued / k);
    }
    if (times.length === 0) times.push(single), enq.push(single); // the second warm-up call stands in
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    const ms = median(times);
    return { ...base, ms, minMs: Math.min(...times), firstMs, enqueueMs: median(enq), k, reps: times.length, gflops: flops ? flops / ms / 1e6 : null };
  } catch (err) {
    return { ...base, ...empty, error: (err as Error).message.split('\n')[0].slice(0, 300) };
  }
}

interface ConvShape {
  x: number[];
  filter: number[];
  /** Times one forward pass runs it. */
  count: number;
  flops: number;
}

/** Registered kernels of a tf.profile, with forward FLOPs of its matmuls and convolutions (2 per multiply-add). */
function kernelsOf(info: Awaited<ReturnType<typeof tf.profile>>): { name: string; ms: number; inputShapes: number[][]; outputShapes: number[][] }[] {
  const backend = tf.getBackend();
  // tf.profile also lists op scopes that wrap kernels (fused conv2d's customGrad, GroupNorm): registered kernels only.
  return info.kernels
    .filter((k) => tf.getKernel(k.name, backend) !== undefined)
    .map((k) => ({ name: k.name, ms: Number(k.kernelTimeMs) || 0, inputShapes: k.inputShapes as number[][], outputShapes: k.outputShapes as number[][] }));
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function flopsOfKernel(k: { name: string; inputShapes: number[][]; outputShapes: number[][] }): number {
  const out = k.outputShapes[0];
  if (!out) return 0;
  if (/^(Conv2D|FusedConv2D)$/.test(k.name)) {
    const [kh, kw, ci] = k.inputShapes[1];
    return 2 * prod(out) * kh * kw * ci;
  }
  if (/^(MatMul|BatchMatMul|_FusedMatMul)$/.test(k.name)) {
    const a = k.inputShapes[0];
    const m = out[out.length - 2];
    const batch = prod(out.slice(0, -2));
    return 2 * prod(out) * (prod(a) / batch / m);
  }
  return 0;
}

/** Forward FLOPs and the distinct convolution shapes of one forward pass (profiled, so the shapes are the real ones). */
async function profileForward(forward: () => tf.Tensor): Promise<{ flops: number; convs: ConvShape[] }> {
  const info = await tf.profile(() => forward());
  tf.dispose(info.result as tf.Tensor);
  const kernels = kernelsOf(info);
  const convs = new Map<string, ConvShape>();
  for (const k of kernels.filter((k) => /^(Conv2D|FusedConv2D)$/.test(k.name))) {
    const key = `${k.inputShapes[0]}|${k.inputShapes[1]}`;
    const c = convs.get(key) ?? { x: k.inputShapes[0], filter: k.inputShapes[1], count: 0, flops: flopsOfKernel(k) };
    c.count += 1;
    convs.set(key, c);
  }
  return { flops: kernels.reduce((s, k) => s + flopsOfKernel(k), 0), convs: [...convs.values()] };
}

/** One training step under tf.profile: kernels dispatched, by name (calls, ms). */
async function profileStep(step: () => Returned): Promise<StepProfile> {
  const info = await tf.profile(() => {
    const out = step();
    return out.length ? out : undefined;
  });
  tf.dispose(info.result as tf.Tensor[]);
  const kernels = kernelsOf(info);
  const agg = new Map<string, KernelRow>();
  for (const k of kernels) {
    const row = agg.get(k.name) ?? { kernel: k.name, calls: 0, ms: 0 };
    row.calls += 1;
    row.ms += k.ms;
    agg.set(k.name, row);
  }
  const kernelMs = kernels.reduce((s, k) => s + k.ms, 0);
  const top = [...agg.values()].map((r) => ({ ...r, ms: +r.ms.toFixed(3) })).sort((a, b) => b.ms - a.ms || b.calls - a.calls).slice(0, 15);
  return { kernels: kernels.length, kernelMs: +kernelMs.toFixed(3), timed: kernelMs > 0, top };
}

/**
 * Dawn without allow_unsafe_apis hides timestamp queries, so tf.profile's kernel times on WebGPU are 0: add the
 * toggle to the create() of Dawn's addon (dawn.node) before the `webgpu` package (an ES module that takes create from
 * the addon when it is first imported, by lib/backend/webgpu.ts) loads. Only the profile uses timestamps: tfjs times
 * kernels only inside tf.profile.
 */
function requestTimestamps(): boolean {
  try {
    const req = createRequire(import.meta.url);
    const addonPath = join(dirname(req.resolve('webgpu')), 'dist', `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`, 'dawn.node');
    const dawn = req(addonPath) as { create: (o: string[]) => unknown };
    const create = dawn.create;
    dawn.create = (opts: string[]) => {
      try {
        return create([...opts, 'enable-dawn-features=allow_unsafe_apis']);
      } catch {
        return create(opts); // never lose the adapter over the profile's timestamps
      }
    };
    return true;
  } catch {
    return false;
  }
}

const randn = (rng: ReturnType<typeof makeRng>, shape: number[]) => tf.tensor(rng.normalArray(prod(shape)), shape);

/** A training step with lib/train's Adam (stepLazy: numbers where the backend reads synchronously, tensors on WebGPU). */
function adamStep(params: ParamSet, lossFn: () => tf.Scalar): { step: () => Returned; adam: Adam } {
  const adam = new Adam(params, { lr: 1e-5 });
  return {
    adam,
    step: () => {
      const r: LazyStepResult = adam.stepLazy(lossFn);
      return tensorsOf(r.loss, r.gradNorm);
    },
  };
}

async function child(role: string, budgetS: number): Promise<void> {
  const t0 = performance.now();
  childDeadline = t0 + budgetS * 1000 - 1500;
  const isGpu = role === 'webgpu';
  const timestamps = isGpu && process.env.GPU_BENCH_TIMESTAMPS !== '0' ? requestTimestamps() : undefined;
  let info: BackendInfo;
  let fallback: string | undefined;
  try {
    info = await initBackend();
  } catch (err) {
    if (process.env.SPLAM_BACKEND !== 'native') throw err;
    fallback = `native backend did not load (${(err as Error).message.split('\n')[0]}); wasm (1 thread) instead`;
    info = await initBackend('wasm');
  }
  const hasTs = isGpu ? Boolean((tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery) : undefined;
  emit({ type: 'info', info, described: describeBackend(info), machine: machineInfo(info), fallback, timestamps: timestamps === undefined ? undefined : hasTs });

  if (role.startsWith('distill')) {
    emit({ type: 'distill', run: await distillRun(Number(option('distill-steps') ?? SIZES.distillSteps), budgetS) });
    emit({ type: 'done' });
    return;
  }
  const budget = budgetS * 1000;
  const rng = makeRng(0);
  const schedule = makeSchedule({ name: 'scaled-linear' });
  const timesteps = lcmTimesteps(solverGrid(), SAMPLER_STEPS);
  const m = (x: Measurement) => emit({ type: 'm', m: x });

  // 1. The latent U-Net: the goal's training step and sampler, the step's split and profile.
  const convQueue: [string, number[], number[]][] = [];
  {
    const B = SIZES.unetBatch;
    const net = makeUnet(LATENT_UNET, makeRng(1));
    const shape = [B, 7, 7, 4];
    const x = randn(rng, shape);
    const eps = randn(rng, shape);
    const t = tf.tensor1d(Array.from({ length: B }, () => rng.int(1000)));
    const g = tf.tensor1d(Array.from({ length: B }, () => rng.uniform()));
    const labels = Array.from({ length: B }, (_, i) => i % 10);
    const lossFn = () => tf.tidy(() => net.apply(x, t, g, labels).sub(eps).square().mean() as tf.Scalar);
    const { flops: fwd, convs } = await profileForward(() => net.apply(x, t, g, labels));
    emit({ type: 'shapes', id: 'unet', forwardFlopsPerSample: fwd / B, params: countParams(net.params), convs });
    const { step, adam } = adamStep(net.params, lossFn);
    m(await measure('unet', `unet train step B=${B}`, 3 * fwd, step, { budgetMs: 0.12 * budget }));
    const n = SIZES.unetSamples;
    const model = netGammaModel(net);
    const sampleLabels = Array.from({ length: n }, (_, i) => i % 10);
    const srng = makeRng(7);
    const sample = (): Returned => {
      const xT = tf.tensor(srng.normalArray(n * 196), [n, 7, 7, 4]);
      const { x: out } = lcmSample(model, schedule, xT, timesteps, { rng: srng, cond: { labels: sampleLabels } });
      xT.dispose();
      return [out];
    };
    m(await measure('unet', `unet sample ${n}×${SAMPLER_STEPS} steps`, (SAMPLER_STEPS * fwd * n) / B, sample, { budgetMs: 0.12 * budget, fullRead: true, maxK: 1 }));
    const vars = [...net.params.values()];
    m(await measure('unet split', `unet forward+loss B=${B}`, fwd, () => [lossFn()], { budgetMs: 0.04 * budget }));
    const fwdBwd = (): Returned => {
      const { value, grads } = tf.variableGrads(lossFn, vars);
      tf.dispose(Object.values(grads));
      return [value];
    };
    m(await measure('unet split', `unet forward+backward B=${B}`, 3 * fwd, fwdBwd, { budgetMs: 0.04 * budget }));
    // Kernels per phase (forward, + backward, + optimizer) and the kernel list of a whole step.
    if (leftMs() > 5000) emit({ type: 'profile', id: 'unet step', profile: await profileStep(step) });
    if (leftMs() > 5000) emit({ type: 'profile', id: 'unet forward+loss', profile: await profileStep(() => [lossFn()]) });
    if (leftMs() > 5000) emit({ type: 'profile', id: 'unet forward+backward', profile: await profileStep(fwdBwd) });
    adam.dispose();
    disposeParams(net.params);
    tf.dispose([x, eps, t, g]);

    // 3 (shapes from 1). Convolutions on the U-Net's forward shapes and one large 3×3.
    // Measured after matmul (section order = priority).
    for (const c of convs) convQueue.push([`conv ${c.x.join('×')} * ${c.filter.join('×')} (×${c.count}/fwd)`, c.x, c.filter]);
    const [bn, bh, bw, bci, bco] = SIZES.bigConv;
    convQueue.push([`conv large ${bn}×${bh}×${bw}×${bci} * 3×3×${bci}×${bco}`, [bn, bh, bw, bci], [3, 3, bci, bco]]);
  }

  // 2. Matmul.
  for (const N of SIZES.matmul) {
    const a = randn(rng, [N, N]);
    const b = randn(rng, [N, N]);
    m(await measure('matmul', `matmul ${N}`, 2 * N ** 3, () => [tf.matMul(a, b)], { budgetMs: 0.04 * budget, maxK: 50 }));
    tf.dispose([a, b]);
  }

  // 3. Convolutions.
  for (const [id, xs, fs] of convQueue) {
    const xt = randn(rng, xs);
    const f = randn(rng, fs);
    const bias = randn(rng, [fs[3]]);
    const flops = 2 * prod(xs.slice(0, 3)) * fs[0] * fs[1] * fs[2] * fs[3];
    m(await measure('conv', id, flops, () => [tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias })], { budgetMs: 0.02 * budget, maxK: 50 }));
    tf.dispose([xt, f, bias]);
  }

  // 4. The other networks: MLP student, autoencoder, classifier.
  {
    const B = SIZES.mlpBatch;
    const net = makeMlp(MLP_STUDENT, makeRng(2));
    const x = randn(rng, [B, 16]);
    const eps = randn(rng, [B, 16]);
    const t = tf.tensor1d(Array.from({ length: B }, () => rng.int(1000)));
    const g = tf.tensor1d(Array.from({ length: B }, () => rng.uniform()));
    const { flops: fwd } = await profileForward(() => net.apply(x, t, g));
    const { step, adam } = adamStep(net.params, () => tf.tidy(() => net.apply(x, t, g).sub(eps).square().mean() as tf.Scalar));
    m(await measure('mlp', `mlp train step B=${B}`, 3 * fwd, step, { budgetMs: 0.05 * budget }));
    const n = SIZES.mlpSamples;
    const srng = makeRng(8);
    const model = netGammaModel(net);
    const sample = (): Returned => {
      const xT = tf.tensor(srng.normalArray(n * 16), [n, 16]);
      const { x: out } = lcmSample(model, schedule, xT, timesteps, { rng: srng });
      xT.dispose();
      return [out];
    };
    m(await measure('mlp', `mlp sample ${n}×${SAMPLER_STEPS} steps`, (SAMPLER_STEPS * fwd * n) / B, sample, { budgetMs: 0.04 * budget, fullRead: true, maxK: 1 }));
    adam.dispose();
    disposeParams(net.params);
    tf.dispose([x, eps, t, g]);
  }
  {
    const B = SIZES.aeBatch;
    const ae = makeAutoencoder(AUTOENCODER, makeRng(3));
    const x = randn(rng, [B, 28, 28, 1]);
    const { flops: fwd } = await profileForward(() => ae.decode(ae.encode(x as tf.Tensor4D)));
    const lossFn = () =>
      tf.tidy(() => {
        const z = ae.encode(x as tf.Tensor4D);
        return ae.decode(z).sub(x).square().mean().add(z.square().mean().mul(1e-4)) as tf.Scalar;
      });
    const { step, adam } = adamStep(ae.params, lossFn);
    m(await measure('autoencoder', `autoencoder train step B=${B}`, 3 * fwd, step, { budgetMs: 0.04 * budget }));
    const n = SIZES.aeDecode;
    const z = randn(rng, [n, 7, 7, 4]);
    const { flops: dec } = await profileForward(() => ae.decode(z as tf.Tensor4D));
    m(await measure('autoencoder', `autoencoder decode ${n}`, dec, () => [ae.decode(z as tf.Tensor4D)], { budgetMs: 0.03 * budget, fullRead: true, maxK: 1 }));
    adam.dispose();
    disposeParams(ae.params);
    tf.dispose([x, z]);
  }
  {
    const B = SIZES.clsBatch;
    const cls = makeClassifier(CLASSIFIER, makeRng(4));
    const x = randn(rng, [B, 28, 28, 1]);
    const labels = Array.from({ length: B }, (_, i) => i % 10);
    const { flops: fwd } = await profileForward(() => cls.logits(x as tf.Tensor4D));
    const { step, adam } = adamStep(cls.params, () => tf.tidy(() => crossEntropy(cls.logits(x as tf.Tensor4D), labels)));
    m(await measure('classifier', `classifier train step B=${B}`, 3 * fwd, step, { budgetMs: 0.04 * budget }));
    const n = SIZES.clsForward;
    const images = randn(rng, [n, 28, 28, 1]);
    m(await measure('classifier', `classifier logits ${n}`, (fwd * n) / B, () => [cls.logits(images as tf.Tensor4D)], { budgetMs: 0.03 * budget, fullRead: true, maxK: 1 }));
    adam.dispose();
    disposeParams(cls.params);
    tf.dispose([x, images]);
  }
  emit({ type: 'done' });
}

interface DistillReport {
  config: string;
  /** Steps asked for (`--set train.steps=…`). */
  steps: number;
  /** Steps trained: fewer when the run was stopped at the child's time budget (then `stopped`). */
  stepsDone: number;
  stopped: boolean;
  /** ms from the call of runConfig (modules loaded) to its end: validation, store, training, evaluation, report. */
  wallMs: number;
  /** ms from the call until the training progress reached its last step. */
  trainMs: number | null;
  msPerStep: number | null;
  summary: Record<string, number>;
  runId?: string;
  error?: string;
}

/**
 * experiments/quick/distill.json through lib/experiments/runner (what `splam run` does), into a temporary store. Ten
 * seconds before the child's budget ends it sends itself SIGTERM, which the runner takes as "stop after this step with
 * a checkpoint" (as `splam run` does on Ctrl-C), so a slow device still reports its steps per second.
 */
async function distillRun(steps: number, budgetS: number): Promise<DistillReport> {
  const packed = join(here, 'distill.json'); // gpu.sh --pack puts it beside the bundle
  const file = existsSync(packed) ? packed : join(here, '..', 'experiments', 'quick', 'distill.json');
  const store = mkdtempSync(join(os.tmpdir(), 'splam-gpu-store-'));
  const base = { config: 'experiments/quick/distill.json', steps };
  let t0 = performance.now();
  let trainEnd: number | null = null;
  let done = 0;
  let started = false; // the runner's SIGTERM handler is in place from onStart on
  const timer = setTimeout(() => {
    if (started && done < steps) process.kill(process.pid, 'SIGTERM');
  }, Math.max(1000, budgetS * 1000 - 10_000));
  try {
    const { runConfig } = await import('../lib/experiments/runner.js');
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    t0 = performance.now(); // from here: what `splam run` does once its modules are loaded
    const r = await runConfig(raw, base.config, {
      overrides: [`train.steps=${steps}`],
      storeDir: store,
      onStart: () => (started = true),
      onProgress: (e) => {
        if (e.total !== steps) return;
        done = e.done;
        trainEnd = performance.now() - t0;
      },
    });
    const wallMs = performance.now() - t0;
    return { ...base, stepsDone: done, stopped: Boolean(r.stopped), wallMs, trainMs: trainEnd, msPerStep: trainEnd && done ? trainEnd / done : null, summary: r.summary, runId: r.runId };
  } catch (err) {
    const wallMs = performance.now() - t0;
    return { ...base, stepsDone: done, stopped: false, wallMs, trainMs: trainEnd, msPerStep: trainEnd && done ? trainEnd / done : null, summary: {}, error: (err as Error).message.split('\n')[0].slice(0, 300) };
  } finally {
    clearTimeout(timer);
    rmSync(store, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------------ parent side

interface ChildResult {
  role: string;
  backend: string;
  threads?: number;
  wallS: number;
  timedOut: boolean;
  exit: number | null;
  info?: Extract<Emitted, { type: 'info' }>;
  measurements: Measurement[];
  profiles: Record<string, StepProfile>;
  shapes?: Extract<Emitted, { type: 'shapes' }>;
  distill?: DistillReport;
  complete: boolean;
  error?: string;
}

/** The children: role, SPLAM_BACKEND, OMP_NUM_THREADS, share of the time budget. */
function plan(cores: number): { role: string; backend: string; threads?: number; share: number; label: string }[] {
  const all = [
    { role: 'webgpu', backend: 'webgpu', share: quick ? 0.45 : 0.36, label: 'webgpu' },
    { role: 'native2', backend: 'native', threads: 2, share: 0.2, label: 'native 2t' },
    { role: 'nativeAll', backend: 'native', threads: cores, share: 0.16, label: `native ${cores}t` },
    { role: 'distill-webgpu', backend: 'webgpu', share: quick ? 0.22 : 0.16, label: 'distill webgpu' },
    { role: 'distill-native2', backend: 'native', threads: 2, share: 0.1, label: 'distill native 2t' },
  ];
  const roles = option('backends')?.split(',') ?? all.map((c) => c.role);
  return all.filter((c) => roles.includes(c.role) && !(c.role === 'nativeAll' && cores <= 2) && !(args.includes('--no-distill') && c.role.startsWith('distill')));
}

function runChild(p: ReturnType<typeof plan>[number], timeoutS: number): ChildResult {
  const childArgs = [...process.execArgv, process.argv[1], '--child', p.role, '--budget', String(timeoutS), ...(quick ? ['--quick'] : [])];
  const steps = option('distill-steps');
  if (steps) childArgs.push('--distill-steps', steps);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, childArgs, {
    env: {
      ...process.env,
      SPLAM_BACKEND: p.backend,
      ...(p.threads ? { OMP_NUM_THREADS: String(p.threads) } : {}),
      // The Vulkan loader's own errors say why an adapter is missing (a driver that does not initialise, a missing ICD).
      VK_LOADER_DEBUG: process.env.VK_LOADER_DEBUG ?? 'error,warn',
    },
    encoding: 'utf8',
    timeout: (timeoutS + 2) * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 2 ** 20,
  });
  const res: ChildResult = { role: p.role, backend: p.backend, threads: p.threads, wallS: (performance.now() - t0) / 1000, timedOut: r.error !== undefined || r.signal !== null, exit: r.status, measurements: [], profiles: {}, complete: false };
  for (const line of (r.stdout ?? '').split('\n')) {
    if (!line.startsWith(MARK)) continue;
    const e = JSON.parse(line.slice(MARK.length)) as Emitted;
    if (e.type === 'info') res.info = e;
    else if (e.type === 'm') res.measurements.push(e.m);
    else if (e.type === 'profile') res.profiles[e.id] = e.profile;
    else if (e.type === 'shapes') res.shapes = e;
    else if (e.type === 'distill') res.distill = e.run;
    else if (e.type === 'done') res.complete = true;
  }
  if (!res.complete) {
    const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith(MARK) && !/artificially reduced|^Warning: max/.test(l));
    const diagnostics = [...new Set(lines.filter((l) => /^(ERROR|Warning: vk|Warning: Couldn't load)|error|unavailable|no adapter/i.test(l)))].slice(0, 8);
    res.error = res.timedOut
      ? `${p.role}: stopped at its ${timeoutS} s budget (what it measured before is kept)`
      : `${p.role}: exit ${r.status}${diagnostics.length || lines.length ? `: ${(diagnostics.length ? diagnostics : lines.slice(-4)).join(' | ').slice(0, 600)}` : ''}`;
  }
  return res;
}

const fmtMs = (ms: number) => (ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));

function cell(m: Measurement | undefined, peakTflops?: number): string {
  if (!m) return '—';
  if (m.ms === null) return (m.error ?? 'error').slice(0, 38);
  const rate = m.gflops !== null ? ` ${m.gflops >= 100 ? m.gflops.toFixed(0) : m.gflops.toFixed(1)} GF/s` : '';
  const ofPeak = peakTflops && m.gflops !== null && /^(matmul|conv)/.test(m.section) ? ` ${((100 * m.gflops) / (peakTflops * 1000)).toFixed(1)}%pk` : '';
  return `${fmtMs(m.ms)} ms${rate}${ofPeak}`;
}

async function parent(): Promise<void> {
  const tStart = performance.now();
  const deadlineS = Number(option('deadline') ?? (quick ? 480 : 265));
  const cores = os.availableParallelism();
  const children = plan(cores);
  const gpuName = process.env.GPU_SH_GPU_NAME ?? '';
  console.log(`machine: ${os.cpus()[0]?.model} × ${cores}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}${gpuName ? `; nvidia-smi: ${gpuName}` : ''}`);
  console.log(`gpu-bench${quick ? ' --quick (small sizes: a test of the script, not the goal figures)' : ''}: deadline ${deadlineS} s; children: ${children.map((c) => c.label).join(', ')}${cores <= 2 ? ` (native at all threads = native 2t on ${cores} cores: not run twice)` : ''}`);
  const results: ChildResult[] = [];
  const file = { saved: undefined as string | undefined };
  const save = (final: boolean) => {
    if (args.includes('--no-save')) return;
    const gpu = results.find((r) => r.role === 'webgpu' || r.role === 'distill-webgpu')?.info?.info.webgpu;
    const adapterNames = gpu ? [gpu.vendor, gpu.architecture, gpu.device, gpu.description].join(' ') : '';
    const name = option('name') ?? `gpu${gpu?.software ? (/llvmpipe|mesa/i.test(adapterNames) ? '-mesa' : '-software') : ''}${quick ? '-quick' : ''}`;
    const dir = option('results-dir') ?? RESULTS_DIR;
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${name}.json`);
    const data = {
      command: `gpu-bench ${args.join(' ')}`.trim(),
      quick,
      final,
      note: gpu?.software ? 'software adapter (no GPU): these WebGPU figures test the script and are not GPU figures' : undefined,
      date: new Date().toISOString(),
      wallS: +((performance.now() - tStart) / 1000).toFixed(1),
      deadlineS,
      loadAverage: os.loadavg(),
      nvidiaSmi: gpuName || undefined,
      webgpuDawnBackend: process.env.SPLAM_WEBGPU_BACKEND ?? 'auto',
      adapter: gpu,
      statedPeak: gpu ? statedPeak(`${adapterNames} ${gpuName}`) : undefined,
      sizes: SIZES,
      latentUnet: LATENT_UNET,
      summary: summarise(results),
      children: results,
    };
    writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
    const copy = option('out-copy');
    if (copy) copyFileSync(path, copy);
    file.saved = path;
  };

  for (let i = 0; i < children.length; i++) {
    const p = children[i];
    const left = deadlineS - (performance.now() - tStart) / 1000;
    const sharesLeft = children.slice(i).reduce((s, c) => s + c.share, 0);
    const budget = Math.floor(Math.min(left - 3, (left * p.share) / sharesLeft));
    if (budget < 8) {
      results.push({ role: p.role, backend: p.backend, threads: p.threads, wallS: 0, timedOut: false, exit: null, measurements: [], profiles: {}, complete: false, error: `${p.role}: not run, ${left.toFixed(0)} s left of the deadline` });
      continue;
    }
    process.stderr.write(`[${((performance.now() - tStart) / 1000).toFixed(0)} s] ${p.label}: up to ${budget} s ...\n`);
    const r = runChild(p, budget);
    results.push(r);
    if (r.error) process.stderr.write(`  ${r.error}\n`);
    save(false);
  }
  report(results, gpuName);
  save(true);
  if (file.saved) console.log(`saved ${file.saved}`);
}

interface Summary {
  unetStepMs: Record<string, number | null>;
  /** webgpu step time over native-2-thread step time, inverted: how many times faster (goal ≥ 10). */
  unetStepSpeedupVsNative2: number | null;
  unetSampleMs: Record<string, number | null>;
  unetSampleN: number;
  /** Goal: 1,000 latent samples at 4 steps in ≤ 1 s on WebGPU (null: --quick sizes or a software adapter). */
  sampleGoalMet: boolean | null;
  stepGoalMet: boolean | null;
}

function summarise(results: ChildResult[]): Summary {
  const software = Boolean(results.find((r) => r.info?.info.webgpu)?.info?.info.webgpu?.software);
  const find = (role: string, prefix: string) => results.find((r) => r.role === role)?.measurements.find((m) => m.id.startsWith(prefix))?.ms ?? null;
  const roles = results.filter((r) => !r.role.startsWith('distill')).map((r) => r.role);
  const unetStepMs = Object.fromEntries(roles.map((r) => [r, find(r, 'unet train step')]));
  const unetSampleMs = Object.fromEntries(roles.map((r) => [r, find(r, 'unet sample')]));
  const gpu = unetStepMs.webgpu;
  const cpu = unetStepMs.native2;
  const speedup = gpu && cpu ? cpu / gpu : null;
  const sample = unetSampleMs.webgpu ?? null;
  return {
    unetStepMs,
    unetStepSpeedupVsNative2: speedup === null ? null : +speedup.toFixed(3),
    unetSampleMs,
    unetSampleN: SIZES.unetSamples,
    sampleGoalMet: quick || software || sample === null ? null : sample <= 1000,
    stepGoalMet: quick || software || speedup === null ? null : speedup >= 10,
  };
}

function report(results: ChildResult[], gpuName: string): void {
  const benches = results.filter((r) => !r.role.startsWith('distill'));
  const gpuInfo = results.find((r) => r.info?.info.webgpu)?.info;
  for (const r of results) {
    const label = `${r.role}${r.threads ? ` (OMP_NUM_THREADS=${r.threads})` : ''}`;
    console.log(`${label.padEnd(34)} ${r.info ? r.info.described : 'no backend'}${r.info?.fallback ? ` — FALLBACK: ${r.info.fallback}` : ''}${r.error ? ` — ${r.error}` : ''}`);
  }
  const adapter = gpuInfo?.info.webgpu;
  let peak: number | undefined;
  if (adapter) {
    const names = `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description} ${gpuName}`;
    const p = statedPeak(names);
    peak = p === 'unknown' ? undefined : p.tflops;
    console.log(
      `adapter: ${[adapter.vendor, adapter.device, adapter.description].filter(Boolean).join(' | ')} (Dawn ${adapter.dawnBackend}${adapter.software ? ', SOFTWARE: not a GPU figure' : ''}); stated FP32 peak: ${p === 'unknown' ? 'unknown' : `${p.tflops} TFLOP/s (${p.name} datasheet)`}; timestamp queries: ${gpuInfo?.timestamps ? 'yes' : 'no'}`,
    );
  }
  const ok = benches.filter((r) => r.measurements.length > 0);
  if (ok.length === 0) console.log('no measurements (benchmark children not run or failed)');
  const ids = [...new Set(ok.flatMap((r) => r.measurements.map((m) => m.id)))];
  const widths = [Math.max(24, ...ids.map((i) => i.length)), ...ok.map(() => 34)];
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  if (ok.length) console.log(row(['case (median per call)', ...ok.map((r) => r.role + (r.info?.fallback ? ' (wasm!)' : ''))]));
  if (ok.length) console.log(row(widths.map((w) => '-'.repeat(w))));
  for (const id of ids) console.log(row([id, ...ok.map((r) => cell(r.measurements.find((m) => m.id === id), r.role === 'webgpu' ? peak : undefined))]));

  const s = summarise(results);
  const gpuStep = s.unetStepMs.webgpu;
  const notGoal = quick ? '; --quick sizes, not the goal' : adapter?.software ? '; SOFTWARE adapter, not a GPU figure' : '';
  console.log(
    `U-Net train step B=${SIZES.unetBatch}: webgpu ${gpuStep ? `${fmtMs(gpuStep)} ms` : '—'}, native 2t ${s.unetStepMs.native2 ? `${fmtMs(s.unetStepMs.native2)} ms` : '—'}` +
      ` → webgpu ${s.unetStepSpeedupVsNative2 !== null ? `${s.unetStepSpeedupVsNative2.toFixed(2)}×` : '—'} the speed of native 2t (goal ≥ 10×${notGoal || (s.stepGoalMet === null ? '' : s.stepGoalMet ? ': MET' : ': not met')})`,
  );
  const gpuSample = s.unetSampleMs.webgpu;
  console.log(
    `U-Net ${SIZES.unetSamples} samples × ${SAMPLER_STEPS} steps: webgpu ${gpuSample ? `${fmtMs(gpuSample)} ms` : '—'} (goal ≤ 1,000 ms for 1,000${notGoal || (s.sampleGoalMet === null ? '' : s.sampleGoalMet ? ': MET' : ': not met')})` +
      `; native 2t ${s.unetSampleMs.native2 ? `${fmtMs(s.unetSampleMs.native2)} ms` : '—'}`,
  );
  // What limits the step: the split, the host's enqueue time, and the kernel list.
  for (const r of ok) {
    const get = (p: string) => r.measurements.find((m) => m.id.startsWith(p));
    const step = get('unet train step');
    const fwd = get('unet forward+loss');
    const fb = get('unet forward+backward');
    const prof = r.profiles['unet step'];
    const pf = r.profiles['unet forward+loss']?.kernels;
    const pfb = r.profiles['unet forward+backward']?.kernels;
    if (!step?.ms) continue;
    const parts = [
      fwd?.ms ? `forward+loss ${fmtMs(fwd.ms)}` : undefined,
      fb?.ms && fwd?.ms ? `backward ${fmtMs(fb.ms - fwd.ms)}` : undefined,
      fb?.ms ? `optimizer ${fmtMs(step.ms - fb.ms)}` : undefined,
      step.enqueueMs !== null ? `host enqueue ${fmtMs(step.enqueueMs)} of ${fmtMs(step.ms)} (k=${step.k})` : undefined,
      prof && pf && pfb ? `kernels: forward+loss ${pf}, backward ${pfb - pf}, optimizer ${prof.kernels - pfb}` : undefined,
      prof ? `${prof.kernels} kernels/step${prof.timed ? `, Σ kernel ${fmtMs(prof.kernelMs)} ms` : ''} → ${((1000 * step.ms) / prof.kernels).toFixed(0)} µs per kernel` : undefined,
    ].filter(Boolean);
    console.log(`  ${r.role} step split (ms): ${parts.join('; ')}`);
    if (prof) console.log(`    top kernels${prof.timed ? ' by time' : ' by calls (no kernel times)'}: ${prof.top.slice(0, 8).map((k) => `${k.kernel} ${k.calls}×${prof.timed ? ` ${fmtMs(k.ms)} ms` : ''}`).join(', ')}`);
  }
  for (const r of results.filter((x) => x.distill)) {
    const d = r.distill!;
    const loss = Object.entries(d.summary).find(([k]) => /loss/.test(k));
    console.log(
      `distill ${d.steps} steps (${d.config}) on ${r.role.replace('distill-', '')}: ${d.error ? `FAILED after ${(d.wallMs / 1000).toFixed(1)} s: ${d.error}` : `${(d.wallMs / 1000).toFixed(1)} s wall${d.stopped ? ` (STOPPED at the time budget after ${d.stepsDone} steps)` : ''}${d.msPerStep ? `, ${fmtMs(d.msPerStep)} ms/step to the end of training (setup included)` : ''}${loss ? `, ${loss[0]} ${loss[1].toPrecision(4)}` : ''}`}`,
    );
  }
}

if (args.includes('--child')) await child(option('child')!, Number(option('budget') ?? 120));
else await parent();
