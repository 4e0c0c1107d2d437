/**
 * bench/engine: training and sampling throughput of the project's networks on the default backend, against this
 * machine's native matmul peak and against PyTorch (CPU) running the same networks, all in one run.
 *
 * Networks (lib/nn): the MLP (SPLAM student on 16-D data: hidden 256, 3 blocks, γ-embedding 256, batch 1024), the
 * latent U-Net (7×7×4 SPLAD student: 64/128 channels, two levels on the 8×8-padded latent, 10 classes, γ-embedding
 * 256, batch 128) and the pixel U-Net (28×28×1: 32/64/64 channels, three levels, 10 classes, batch 64).
 *
 * Per network:
 * - train: one step = forward, loss mean((ε̂ − ε)²), backward, global-norm clipping, AdamW (lib/train/adam.ts;
 *   lr 1e-4, weight decay 1e-2, clip 1), loss read back;
 * - sample: the LCM multistep sampler (lib/splam/sampler.ts) with 4 steps at γ = 1 from fresh noise, same batch.
 * Times are medians (and minima) of wall-clock ms after warm-up calls, inputs made once outside the timing.
 *
 * FLOPs are counted analytically (2 per multiply-add) over the dense layers and convolutions only, at the sizes
 * actually computed (the padded 8×8 latent): a forward pass costs Σ MACs; a training step adds one weight-gradient
 * product per layer and one input-gradient product per layer whose input depends on a parameter (not conv_in, not
 * the layers reading the time/γ features or the one-hot labels). GroupNorm, SiLU, pooling, the loss and the
 * optimiser are not counted, so GFLOP/s is "useful matmul/conv work per second". The layer list also sums to the
 * parameter count, which the bench checks against the built network.
 *
 * Peers, in the same run (Debian's /usr/bin/python3):
 * - the matmul peak: numpy float32 GEMM (bench/peers/blas_peak.py) on OpenBLAS (Debian `libopenblas0-pthread`),
 *   with 1 thread and with every core;
 * - PyTorch (Debian `python3-torch`, bench/peers/torch_engine.py): the same architectures (parameter counts are
 *   asserted equal), batch, loss, AdamW and sampler, with torch.set_num_threads(1) and with every core.
 * Reported: ms, GFLOP/s, fraction of the 1-thread and all-core peaks, and time ratios ours/PyTorch at equal thread
 * counts: on the `native` backend ours runs once with 1 thread and once with every core (oneDNN's OpenMP count,
 * set through the addon), each against PyTorch with the same count; wasm is single-threaded, so its one time
 * stands for both.
 * Before/after of the native engine: on `native` the same networks are also timed on plain `wasm` (with all its
 * replacement kernels) in a child process of the same run (`--no-wasm` skips it), and the speed-up is reported.
 * A profile of one training step per network (tf.profile, kernel time by kernel name) is printed and saved too, and
 * (on wasm) an A/B of the training step with the kernels added after profiling (OURS_REPLACED, OURS_NEW; `oursMs`,
 * `issue7Ms` in result files written before 2026-12-06) swapped
 * out for the stock ones and back, step by step in alternation so that both variants see the same machine load
 * (before/after of those fixes; without the fused GroupNorm kernels lib/nn/groupnorm.ts composes GroupNorm from tfjs
 * ops, as it did before).
 *
 *   npm run bench:engine
 *   node --import tsx bench/engine.ts [--quick] [--no-peers] [--no-profile] [--no-ab] [--no-wasm] [--only=mlp,latent,pixel]
 *   (--emit-json: print our timings as JSON and save nothing; how the wasm comparison runs its child)
 *
 * Saves bench/results/engine.json with machine, backend and the load average at start and end.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend.js';
import { loadNative } from '../lib/backend/native.js';
import { makeRng } from '../lib/data/rng.js';
import { makeSchedule } from '../lib/diffusion/schedules.js';
import { DEFAULT_MLP, makeMlp, type MlpConfig } from '../lib/nn/mlp.js';
import { countParams, disposeParams, type ParamSet } from '../lib/nn/params.js';
import { DEFAULT_UNET, makeUnet, type UnetConfig } from '../lib/nn/unet.js';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL } from '../lib/backend/kernels/group-norm.js';
import { cOut, cSkip } from '../lib/splam/boundary.js';
import { solverGrid } from '../lib/splam/grid.js';
import { lcmSample, lcmTimesteps } from '../lib/splam/sampler.js';
import { Adam, DEFAULT_ADAM, type AdamConfig } from '../lib/train/adam.js';
import { machineInfo, saveResult } from './common.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const PEERS = !args.includes('--no-peers');
const PROFILE = !args.includes('--no-profile');
const ONLY = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const AB = !args.includes('--no-ab');
const WASM_BASELINE = !args.includes('--no-wasm');
const EMIT_JSON = args.includes('--emit-json');
const PYTHON = '/usr/bin/python3';
const SAMPLER_STEPS = 4;

type NetSpec =
  | { name: string; kind: 'mlp'; config: MlpConfig; batch: number; trainRepeats: number; sampleRepeats: number }
  | { name: string; kind: 'unet'; config: UnetConfig; batch: number; trainRepeats: number; sampleRepeats: number };

const WARMUP = 2;
const reps = (n: number) => (QUICK ? Math.max(2, Math.ceil(n / 3)) : n);
const NETS: NetSpec[] = (
  [
    {
      name: 'mlp',
      kind: 'mlp',
      config: { ...DEFAULT_MLP, dim: 16, hidden: 256, blocks: 3, gammaEmbedDim: 256 },
      batch: 1024,
      trainRepeats: reps(15),
      sampleRepeats: reps(15),
    },
    {
      name: 'latent',
      kind: 'unet',
      config: { ...DEFAULT_UNET, height: 7, width: 7, channels: 4, baseChannels: 64, channelMults: [1, 2], numClasses: 10, gammaEmbedDim: 256 },
      batch: 128,
      trainRepeats: reps(5),
      sampleRepeats: reps(4),
    },
    {
      name: 'pixel',
      kind: 'unet',
      config: { ...DEFAULT_UNET, height: 28, width: 28, channels: 1, numClasses: 10 },
      batch: 64,
      trainRepeats: reps(4),
      sampleRepeats: reps(3),
    },
  ] satisfies NetSpec[]
).filter((n) => !ONLY || ONLY.includes(n.name));

const ADAM: AdamConfig = { ...DEFAULT_ADAM, lr: 1e-4, weightDecay: 1e-2, gradClip: 1 };

// ---------------------------------------------------------------------------------------------------------------
// Analytic FLOP count

/** One parameterised layer: its parameter count, multiply-adds per sample, and whether its input gradient is needed. */
interface Layer {
  name: string;
  params: number;
  macs: number;
  inputGrad: boolean;
}

function conditioningLayers(E: number, T: number, numClasses: number, dGamma: number): Layer[] {
  const out: Layer[] = [
    { name: 'time.linear1', params: E * T + T, macs: E * T, inputGrad: dGamma > 0 },
    { name: 'time.linear2', params: T * T + T, macs: T * T, inputGrad: true },
  ];
  if (dGamma > 0) out.push({ name: 'time.cond_proj', params: dGamma * E, macs: dGamma * E, inputGrad: false });
  if (numClasses > 0) out.push({ name: 'class_embedding (one-hot matmul)', params: (numClasses + 1) * T, macs: (numClasses + 1) * T, inputGrad: false });
  return out;
}

function mlpLayers(c: MlpConfig): Layer[] {
  const { dim: D, hidden: H } = c;
  const dense = (name: string, i: number, o: number, inputGrad = true): Layer => ({ name, params: i * o + o, macs: i * o, inputGrad });
  const out = [...conditioningLayers(c.timeEmbedDim, H, c.numClasses, c.gammaEmbedDim), dense('in', D, H, false)];
  for (let b = 0; b < c.blocks; b++) out.push(dense(`block${b}.linear1`, H, H), dense(`block${b}.time`, H, H), dense(`block${b}.linear2`, H, H));
  out.push(dense('out', H, D));
  return out;
}

/** The U-Net of lib/nn/unet.ts, level by level, at the padded size. GroupNorms carry parameters but no MACs. */
function unetLayers(c: UnetConfig): Layer[] {
  const L = c.channelMults.length;
  const step = 2 ** (L - 1);
  const H0 = Math.ceil(c.height / step) * step;
  const W0 = Math.ceil(c.width / step) * step;
  const chans = c.channelMults.map((m) => c.baseChannels * m);
  const T = c.timeHidden;
  const out = conditioningLayers(c.timeEmbedDim, T, c.numClasses, c.gammaEmbedDim);
  const conv = (name: string, k: number, ci: number, co: number, pixels: number, inputGrad = true): Layer => ({
    name, params: k * k * ci * co + co, macs: k * k * ci * co * pixels, inputGrad,
  });
  const norm = (name: string, ch: number): Layer => ({ name, params: 2 * ch, macs: 0, inputGrad: true });
  const res = (name: string, ci: number, co: number, pixels: number) => {
    out.push(norm(`${name}.norm1`, ci), conv(`${name}.conv1`, 3, ci, co, pixels));
    out.push({ name: `${name}.time`, params: T * co + co, macs: T * co, inputGrad: true });
    out.push(norm(`${name}.norm2`, co), conv(`${name}.conv2`, 3, co, co, pixels));
    if (ci !== co) out.push(conv(`${name}.skip`, 1, ci, co, pixels));
  };
  const pixelsAt = (l: number) => (H0 / 2 ** l) * (W0 / 2 ** l);
  out.push(conv('conv_in', 3, c.channels, chans[0], pixelsAt(0), false));
  for (let l = 0; l < L; l++) {
    for (let r = 0; r < c.resBlocks; r++) res(`down${l}.res${r}`, r === 0 ? (l === 0 ? chans[0] : chans[l - 1]) : chans[l], chans[l], pixelsAt(l));
  }
  res('mid.res', chans[L - 1], chans[L - 1], pixelsAt(L - 1));
  for (let l = L - 1; l >= 0; l--) {
    const below = l === L - 1 ? chans[L - 1] : chans[l + 1];
    for (let r = 0; r < c.resBlocks; r++) res(`up${l}.res${r}`, r === 0 ? below + chans[l] : chans[l], chans[l], pixelsAt(l));
  }
  out.push(norm('out.norm', chans[0]), conv('out.conv', 3, chans[0], c.channels, pixelsAt(0)));
  return out;
}

function flopsOf(layers: Layer[], batch: number) {
  const fwdMacs = layers.reduce((s, l) => s + l.macs, 0);
  const trainMacs = layers.reduce((s, l) => s + l.macs * (2 + (l.inputGrad ? 1 : 0)), 0);
  return {
    params: layers.reduce((s, l) => s + l.params, 0),
    forward: 2 * fwdMacs * batch,
    train: 2 * trainMacs * batch,
    sample: 2 * fwdMacs * batch * SAMPLER_STEPS,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Timing

function timeMs(fn: () => void, repeats: number, warmup = WARMUP): { ms: number; minMs: number; reps: number } {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], minMs: times[0], reps: repeats };
}

interface Built {
  params: ParamSet;
  apply: (x: tf.Tensor, t: tf.Tensor1D, gamma?: tf.Tensor1D, labels?: number[]) => tf.Tensor;
  shape: number[];
  numClasses: number;
}

function build(spec: NetSpec): Built {
  const rng = makeRng(0);
  if (spec.kind === 'mlp') {
    const net = makeMlp(spec.config, rng);
    return { params: net.params, apply: net.apply, shape: [spec.batch, spec.config.dim], numClasses: spec.config.numClasses };
  }
  const net = makeUnet(spec.config, rng);
  const c = spec.config;
  return { params: net.params, apply: net.apply, shape: [spec.batch, c.height, c.width, c.channels], numClasses: c.numClasses };
}

const schedule = makeSchedule({ name: 'scaled-linear' });
const timesteps = lcmTimesteps(solverGrid(), SAMPLER_STEPS);

interface KernelShare {
  kernel: string;
  ms: number;
  calls: number;
  share: number;
}

/** A built network with a fixed batch (x, ε, t, γ, labels), its AdamW, one training step, and their disposal. */
function trainingSetup(spec: NetSpec) {
  const net = build(spec);
  const B = spec.batch;
  const x = tf.randomNormal(net.shape, 0, 1, 'float32', 1);
  const eps = tf.randomNormal(net.shape, 0, 1, 'float32', 2);
  const t = tf.tensor1d(Array.from({ length: B }, (_, i) => (i * 997) % 1000));
  const gamma = tf.tensor1d(Array.from({ length: B }, (_, i) => (i + 0.5) / B));
  const labels = Array.from({ length: B }, (_, i) => (i % (net.numClasses + 1)) - 1);
  const opt = new Adam(net.params, ADAM);
  const lossFn = () => tf.tidy(() => tf.mean(tf.square(tf.sub(net.apply(x, t, gamma, labels), eps))) as tf.Scalar);
  return {
    net,
    x,
    labels,
    trainStep: () => void opt.step(lossFn),
    dispose: () => {
      opt.dispose();
      disposeParams(net.params);
      tf.dispose([x, eps, t, gamma]);
    },
  };
}

function measureOurs(spec: NetSpec) {
  const { net, x, labels, trainStep, dispose } = trainingSetup(spec);
  const rng = makeRng(3);
  const sample = () => {
    const xT = tf.tensor(rng.normalArray(x.size), net.shape);
    const { x: out } = lcmSample((xi, ti, g) => net.apply(xi, ti, g, labels), schedule, xT, timesteps, { rng });
    out.dataSync();
    out.dispose();
    xT.dispose();
  };
  const before = tf.memory().numTensors;
  const train = timeMs(trainStep, spec.trainRepeats);
  const sampling = timeMs(sample, spec.sampleRepeats);
  const leaked = tf.memory().numTensors - before;
  return {
    params: countParams(net.params),
    train,
    sample: sampling,
    leakedTensors: leaked,
    profile: () => profileStep(trainStep),
    dispose,
  };
}

async function profileStep(step: () => void): Promise<{ totalMs: number; top: KernelShare[] }> {
  const info = await tf.profile(() => {
    step();
  });
  const agg = new Map<string, { ms: number; calls: number }>();
  // tf.profile also lists op scopes that wrap kernels (customGrad ops such as fused conv2d and our GroupNorm): keep
  // registered kernels only, so that no time is counted twice.
  const backendName = tf.getBackend();
  for (const k of info.kernels.filter((k) => tf.getKernel(k.name, backendName) !== undefined)) {
    const a = agg.get(k.name) ?? { ms: 0, calls: 0 };
    a.ms += Number(k.kernelTimeMs);
    a.calls += 1;
    agg.set(k.name, a);
  }
  const totalMs = [...agg.values()].reduce((s, a) => s + a.ms, 0);
  const top = [...agg]
    .map(([kernel, a]) => ({ kernel, ms: +a.ms.toFixed(2), calls: a.calls, share: +(a.ms / totalMs).toFixed(4) }))
    .sort((p, q) => q.ms - p.ms)
    .slice(0, 12);
  return { totalMs: +totalMs.toFixed(1), top };
}

/** Register the stock kernels (and drop the fused GroupNorm ones) or their replacements, on wasm. */
function useKernels(variant: 'stock' | 'ours'): void {
  for (const name of [...OURS_REPLACED, ...OURS_NEW]) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    const config = variant === 'stock' ? stockConfigs.get(name) : oursConfigs.get(name);
    if (config) tf.registerKernel(config);
  }
}

/** Training-step ms with stock kernels and with their replacements, alternating step by step. */
function abTrainStep(spec: NetSpec, pairs: number) {
  const { trainStep: step, dispose } = trainingSetup(spec);
  const times = { stock: [] as number[], ours: [] as number[] };
  try {
    for (let i = 0; i <= pairs; i++) {
      for (const variant of ['stock', 'ours'] as const) {
        useKernels(variant);
        const t0 = performance.now();
        step();
        if (i > 0) times[variant].push(performance.now() - t0); // pair 0 warms both up
      }
    }
  } finally {
    useKernels('ours');
    dispose();
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const stock = median(times.stock);
  const ours = median(times.ours);
  return { pairs, stockMs: +stock.toFixed(2), oursMs: +ours.toFixed(2), speedup: +(stock / ours).toFixed(2) };
}

// ---------------------------------------------------------------------------------------------------------------
// Peers

function runPython(script: string, input: string | undefined, env: Record<string, string>, scriptArgs: string[] = []): unknown {
  const res = spawnSync(PYTHON, [join(here, 'peers', script), ...scriptArgs], {
    input,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`${script} failed (exit ${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout);
}

interface BlasPeak {
  numpy: string;
  blas: string[];
  gflops: Record<string, number>;
  peak: number;
}

interface TorchReport {
  torch: string;
  threads: number;
  nets: { name: string; params: number; trainMs: number; trainMinMs: number; sampleMs: number; sampleMinMs: number }[];
}

const threadEnv = (n: number) => ({ OPENBLAS_NUM_THREADS: String(n), OMP_NUM_THREADS: String(n), MKL_NUM_THREADS: String(n) });

function torchJob(threads: number) {
  return JSON.stringify({
    threads,
    nets: NETS.map((n) => ({ ...n, warmup: WARMUP })),
    sampler: {
      timesteps,
      alpha: timesteps.map((s) => schedule.alpha(s)),
      sigma: timesteps.map((s) => schedule.sigma(s)),
      cSkip: timesteps.map((s) => cSkip(s)),
      cOut: timesteps.map((s) => cOut(s)),
    },
    adam: ADAM,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Main

const loadAtStart = readFileSync('/proc/loadavg', 'utf8').trim();
// The stock wasm kernels replaced after profiling training steps, captured before initBackend registers the
// replacements (for the A/B).
const OURS_REPLACED = ['Identity', 'Sum', 'SplitV', 'AvgPoolGrad', 'ResizeNearestNeighborGrad'];
const OURS_NEW = [GROUP_NORM_KERNEL, GROUP_NORM_GRAD_KERNEL];
await import('@tensorflow/tfjs-backend-wasm');
const stockConfigs = new Map(OURS_REPLACED.map((n) => [n, tf.getKernel(n, 'wasm')]));
const backend = await initBackend();
const oursConfigs = new Map([...OURS_REPLACED, ...OURS_NEW].map((n) => [n, tf.getKernel(n, 'wasm')]));
const canAB = AB && backend.name === 'wasm' && [...oursConfigs.values(), ...stockConfigs.values()].every((c) => c !== undefined);
const cores = os.cpus().length;
const t0 = performance.now();

type Timing = ReturnType<typeof timeMs>;
interface OursNet {
  params: number;
  flops: ReturnType<typeof flopsOf>;
  /** Timings by thread count (`1` and `${cores}` on native; `1` alone on single-threaded backends). */
  threads: Record<number, { train: Timing; sample: Timing }>;
  leakedTensors: number;
  profile?: Awaited<ReturnType<typeof profileStep>>;
}
const native = backend.name === 'native' ? loadNative() : undefined;
const threadCounts = native ? [...new Set([1, cores])] : [1];
const ours: Record<string, OursNet> = {};
for (const spec of NETS) {
  const layers = spec.kind === 'mlp' ? mlpLayers(spec.config) : unetLayers(spec.config);
  const flops = flopsOf(layers, spec.batch);
  const entry: OursNet = { params: 0, flops, threads: {}, leakedTensors: 0 };
  for (const n of threadCounts) {
    native?.setThreads(n);
    process.stderr.write(`ours: ${spec.name}, ${n} thread(s) … `);
    const m = measureOurs(spec);
    if (m.params !== flops.params) throw new Error(`${spec.name}: layer list counts ${flops.params} parameters, the network has ${m.params}`);
    entry.params = m.params;
    entry.leakedTensors += m.leakedTensors;
    entry.threads[n] = { train: m.train, sample: m.sample };
    if (PROFILE && n === threadCounts[threadCounts.length - 1]) entry.profile = await m.profile();
    m.dispose();
    process.stderr.write(`train ${m.train.ms.toFixed(1)} ms, sample ${m.sample.ms.toFixed(1)} ms\n`);
  }
  ours[spec.name] = entry;
}
native?.setThreads(cores);
/** Our timing at `n` threads (single-threaded backends: their only timing). */
const oursAt = (name: string, n: number) => ours[name].threads[n] ?? ours[name].threads[1];

if (EMIT_JSON) {
  console.log(JSON.stringify({ backend: backend.name, ours }));
  process.exit(0);
}

// Before/after of the native engine: the same nets on plain wasm (with its replacement kernels), in a child process.
let wasmBaseline: Record<string, OursNet> | undefined;
if (native && WASM_BASELINE) {
  process.stderr.write('wasm baseline (child process, SPLAM_BACKEND=wasm) … ');
  const childArgs = ['--import', 'tsx', fileURLToPath(import.meta.url), '--emit-json', '--no-peers', '--no-profile', '--no-ab', ...(QUICK ? ['--quick'] : []), ...(ONLY ? [`--only=${ONLY.join(',')}`] : [])];
  const res = spawnSync(process.execPath, childArgs, { env: { ...process.env, SPLAM_BACKEND: 'wasm' }, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`wasm baseline failed (exit ${res.status}): ${res.stderr}`);
  wasmBaseline = (JSON.parse(res.stdout.trim().split('\n').pop()!) as { ours: Record<string, OursNet> }).ours;
  process.stderr.write('done\n');
}

const ab: Record<string, ReturnType<typeof abTrainStep>> = {};
if (canAB) {
  for (const spec of NETS) {
    process.stderr.write(`A/B stock vs our kernels: ${spec.name} … `);
    ab[spec.name] = abTrainStep(spec, reps(spec.kind === 'mlp' ? 9 : 3));
    process.stderr.write(`${ab[spec.name].stockMs} → ${ab[spec.name].oursMs} ms\n`);
  }
}

let peaks: { oneThread: BlasPeak; allCores: BlasPeak } | undefined;
const torch: Record<string, TorchReport> = {};
if (PEERS) {
  process.stderr.write('peak: numpy GEMM, 1 thread and all cores … ');
  peaks = {
    oneThread: runPython('blas_peak.py', undefined, threadEnv(1)) as BlasPeak,
    allCores: runPython('blas_peak.py', undefined, threadEnv(cores)) as BlasPeak,
  };
  process.stderr.write(`${peaks.oneThread.peak.toFixed(1)} / ${peaks.allCores.peak.toFixed(1)} GFLOP/s\n`);
  for (const threads of [1, cores]) {
    process.stderr.write(`PyTorch, ${threads} thread(s) … `);
    torch[threads] = runPython('torch_engine.py', torchJob(threads), threadEnv(threads)) as TorchReport;
    process.stderr.write('done\n');
  }
  for (const spec of NETS) {
    for (const rep of Object.values(torch)) {
      const theirs = rep.nets.find((n) => n.name === spec.name)!;
      if (theirs.params !== ours[spec.name].params) {
        throw new Error(`${spec.name}: PyTorch net has ${theirs.params} parameters, ours ${ours[spec.name].params} (architectures differ)`);
      }
    }
  }
}
const loadAtEnd = readFileSync('/proc/loadavg', 'utf8').trim();

// Tables.
const rows = NETS.flatMap((spec) =>
  (['train', 'sample'] as const).map((what) => {
    const o = ours[spec.name];
    const ms1 = oursAt(spec.name, 1)[what].ms;
    const msAll = oursAt(spec.name, cores)[what].ms;
    const flops = what === 'train' ? o.flops.train : o.flops.sample;
    const gflops1 = flops / ms1 / 1e6;
    const gflopsAll = flops / msAll / 1e6;
    const torch1 = torch[1]?.nets.find((n) => n.name === spec.name);
    const torchAll = torch[cores]?.nets.find((n) => n.name === spec.name);
    const wasm = wasmBaseline?.[spec.name]?.threads[1]?.[what].ms;
    const key = what === 'train' ? 'trainMs' : 'sampleMs';
    return {
      net: spec.name,
      what: what === 'train' ? 'train step' : `sample (${SAMPLER_STEPS} steps)`,
      batch: spec.batch,
      params: o.params,
      gflop: +(flops / 1e9).toFixed(3),
      ms1: +ms1.toFixed(2),
      msAll: +msAll.toFixed(2),
      minMsAll: +oursAt(spec.name, cores)[what].minMs.toFixed(2),
      samplesPerSec: what === 'sample' ? +((spec.batch / msAll) * 1000).toFixed(1) : undefined,
      gflops1: +gflops1.toFixed(2),
      gflopsAll: +gflopsAll.toFixed(2),
      fractionOfPeak1: peaks ? +(gflops1 / peaks.oneThread.peak).toFixed(3) : undefined,
      fractionOfPeakAll: peaks ? +(gflopsAll / peaks.allCores.peak).toFixed(3) : undefined,
      torch1Ms: torch1 ? +torch1[key].toFixed(2) : undefined,
      torchAllMs: torchAll ? +torchAll[key].toFixed(2) : undefined,
      ratioTorch1: torch1 ? +(ms1 / torch1[key]).toFixed(2) : undefined,
      ratioTorchAll: torchAll ? +(msAll / torchAll[key]).toFixed(2) : undefined,
      wasmMs: wasm !== undefined ? +wasm.toFixed(2) : undefined,
      speedupVsWasm: wasm !== undefined ? +(wasm / msAll).toFixed(2) : undefined,
    };
  }),
);

const header = ['net', 'measure', 'batch', 'GFLOP', 'ms 1t', `ms ${cores}t`, 'GFLOP/s 1t', `GFLOP/s ${cores}t`, 'of peak 1t', `of peak ${cores}t`, 'torch 1t ms', `torch ${cores}t ms`, 'ours/torch 1t', `ours/torch ${cores}t`, 'wasm ms', 'vs wasm'];
const fmt = (v: number | undefined, d: number) => (v === undefined ? '—' : v.toFixed(d));
const cells = rows.map((r) => [
  r.net, r.what, String(r.batch), r.gflop.toFixed(3), r.ms1.toFixed(1), r.msAll.toFixed(1), r.gflops1.toFixed(1), r.gflopsAll.toFixed(1),
  fmt(r.fractionOfPeak1, 3), fmt(r.fractionOfPeakAll, 3), fmt(r.torch1Ms, 1), fmt(r.torchAllMs, 1), fmt(r.ratioTorch1, 2), fmt(r.ratioTorchAll, 2),
  fmt(r.wasmMs, 1), r.speedupVsWasm === undefined ? '—' : `${r.speedupVsWasm.toFixed(2)}×`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c: string[]) => `| ${c.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const c of cells) console.log(line(c));
for (const r of rows.filter((r) => r.samplesPerSec !== undefined)) console.log(`${r.net}: ${r.samplesPerSec} samples/s (${SAMPLER_STEPS}-step sampler, batch ${r.batch})`);
if (peaks) {
  console.log(`\nmatmul peak (numpy ${peaks.oneThread.numpy} GEMM on ${peaks.oneThread.blas.join(', ') || 'unknown BLAS'}): ` +
    `1 thread ${peaks.oneThread.peak.toFixed(1)} GFLOP/s, ${cores} threads ${peaks.allCores.peak.toFixed(1)} GFLOP/s; PyTorch ${torch[1]?.torch}`);
}
if (canAB) {
  console.log('\ntraining step, stock wasm kernels → with our kernels (alternating steps, median ms):');
  for (const [name, r] of Object.entries(ab)) console.log(`  ${name.padEnd(7)} ${r.stockMs.toFixed(1).padStart(8)} → ${r.oursMs.toFixed(1).padStart(8)} ms  (${r.speedup.toFixed(2)}×, ${r.pairs} pairs)`);
}
if (PROFILE) {
  for (const spec of NETS) {
    const p = ours[spec.name].profile!;
    console.log(`\nprofile of one ${spec.name} training step (kernel time ${p.totalMs} ms):`);
    for (const k of p.top) console.log(`  ${k.kernel.padEnd(28)} ${k.ms.toFixed(1).padStart(8)} ms ${String(k.calls).padStart(5)} calls ${(100 * k.share).toFixed(1).padStart(5)}%`);
  }
}

const machine = machineInfo(backend);
const totalSeconds = +((performance.now() - t0) / 1000).toFixed(1);
const file = saveResult('engine', {
  machine,
  loadAverage: { start: loadAtStart, end: loadAtEnd },
  quick: QUICK,
  method:
    `median (and min) wall-clock ms after ${WARMUP} warm-up calls; train = forward + backward + clip + AdamW + loss read; ` +
    `sample = LCM multistep sampler, ${SAMPLER_STEPS} steps; FLOPs = 2·MACs of dense layers and convolutions (see bench/engine.ts)`,
  nets: NETS.map((n) => ({ name: n.name, kind: n.kind, config: n.config, batch: n.batch, trainRepeats: n.trainRepeats, sampleRepeats: n.sampleRepeats })),
  adam: ADAM,
  threadCounts,
  native: backend.native ?? null,
  ours,
  wasmBaseline: wasmBaseline ?? null,
  kernelAB: canAB ? { replaced: OURS_REPLACED, added: OURS_NEW, trainStep: ab } : null,
  peaks: peaks ?? null,
  torch: PEERS ? torch : null,
  rows,
  totalSeconds,
});
console.log(`\nload average (1, 5, 15 min) at start: ${loadAtStart}; at end: ${loadAtEnd} (${cores} cores)`);
console.log(`${machine.cpu}, ${cores} cores, node ${machine.node}, tfjs ${machine.tfjs}, backend ${machine.backend}; ${totalSeconds} s; saved ${file}`);
