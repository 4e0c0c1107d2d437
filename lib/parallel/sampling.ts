/**
 * Sampling in fixed-size row chunks, in this thread ({@link sampleSerial}) or across worker threads
 * ({@link startSamplingPool}, {@link parallelSample}): the rows of a noise batch [B, D] are cut into chunks of
 * `chunkRows` rows (the last one holds the rest; {@link planChunks}), each chunk is one call of the sampler, and
 * the chunks' samples are joined in row order.
 *
 * Deterministic by construction: a parallel run equals the serial run bit for bit, on any CPU, when both use the
 * same chunk size and kernel thread count (tested with 1, 2 and 3 workers). The serial path and every worker
 * compute the very same chunks: the chunk boundaries depend only on B and `chunkRows`, never on the worker count;
 * a chunk's fresh LCM noise comes from its own stream ({@link chunkNoiseRng}: the seed and the chunk's index);
 * and on `native` a chunk's oneDNN kernels run with `kernelThreads` OpenMP threads in this thread and in every
 * worker alike. So each chunk is the same computation (same shapes, same inputs, same thread count, same
 * machine) wherever it runs. Nothing relies on a kernel giving equal bits for different row counts or thread
 * counts: oneDNN does not promise that (its GEMM picks its blocking by shape, thread count and ISA).
 * A different chunk size or thread count may change the last bits (and, for fresh noise, the noise itself).
 *
 * A sampler is described as plain data ({@link SamplingSpec}) so it can cross to the workers: the model is an
 * exact Gaussian-mixture teacher or an MLP checkpoint file (models/*.ckpt), the sampler a PF-ODE solver on a
 * time grid or the LCM multistep sampler at γ = 1.
 */
import * as tf from '@tensorflow/tfjs';
import { backendInfo, type BackendName } from '../backend.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { makeMixture, mixtureDenoiser, type MixtureSpec } from '../analytic/mixture.js';
import { makeRng, type Rng } from '../data/rng.js';
import { makeSchedule, type ScheduleSpec } from '../diffusion/schedules.js';
import { SOLVERS, SOLVER_NAMES, type SolverName } from '../diffusion/solvers/index.js';
import type { Denoiser } from '../diffusion/types.js';
import { loadNet, readNetCheckpoint } from '../train/net-checkpoint.js';
import { netDenoiser, netGammaModel } from '../nn/eps-net.js';
import type { MlpConfig } from '../nn/mlp.js';
import type { BoundaryOptions } from '../splam/boundary.js';
import type { GammaEpsModel } from '../diffusion/types.js';
import { lcmSample } from '../splam/sampler.js';
import { WorkerPool } from './pool.js';

/** The model: the exact ε* of a Gaussian mixture, or an MLP read from a checkpoint file. */
export type ModelSpec =
  | { kind: 'mixture'; mixture: MixtureSpec }
  | {
      kind: 'checkpoint';
      /** Path of a network checkpoint (lib/train/net-checkpoint.ts), absolute or relative to the cwd. */
      file: string;
      /** Architecture changes on load (e.g. a γ-embedding); new weights are drawn from `initSeed`. */
      overrides?: Partial<MlpConfig>;
      /** Seed of weights the checkpoint lacks. Default 0. */
      initSeed?: number;
    };

/** The sampler: a PF-ODE solver over a grid of DDPM times, or the LCM multistep sampler at γ = 1. */
export type SamplerSpec =
  | { kind: 'solver'; solver: SolverName; ts: number[] }
  | {
      kind: 'lcm';
      timesteps: number[];
      /** `fresh` noise between steps (LCM's sampler, default) or the model's `implied` noise (deterministic). */
      noise?: 'fresh' | 'implied';
      /** Seed of the fresh noise; each chunk draws from its own stream of it ({@link chunkNoiseRng}). Default 0. */
      seed?: number;
      boundary?: BoundaryOptions;
    };

export interface SamplingSpec {
  schedule: ScheduleSpec;
  model: ModelSpec;
  sampler: SamplerSpec;
}

/**
 * Rows per chunk unless a call says otherwise ({@link ChunkingOptions.chunkRows}). Small chunks pay tfjs's per-op
 * dispatch once per chunk: serial DDIM on the ring teacher (4,096 rows × 50 steps, wasm) took 229 ms in chunks of
 * 256, 131 ms in chunks of 1,024 and 94 ms whole; LCM sampling of the MLP student barely changed (1.18–1.24 s for
 * 16,384 rows). 1,024 keeps most of the speed and still gives 2 workers 2 chunks from 2,048 rows on.
 */
export const SAMPLE_CHUNK_ROWS = 1024;

/**
 * OpenMP threads of the native kernels while a chunk runs, unless a call says otherwise
 * ({@link ChunkingOptions.kernelThreads}). Fixed, not the cores divided by the workers: oneDNN does not promise
 * equal bits for another thread count, so the count must not follow the worker count.
 */
export const SAMPLE_KERNEL_THREADS = 1;

/**
 * How a batch is cut and run. Both are part of the result: a parallel run reproduces a serial one bit for bit
 * when both use the same values (the defaults, unless changed on both).
 */
export interface ChunkingOptions {
  /** Rows per chunk; the last chunk holds the rest. An integer ≥ 1. Default {@link SAMPLE_CHUNK_ROWS}. */
  chunkRows?: number;
  /**
   * OpenMP threads of the native (oneDNN) kernels while a chunk runs, in this thread and in every worker; other
   * backends ignore it. An integer ≥ 1. Default {@link SAMPLE_KERNEL_THREADS}: a pool of one worker per core uses
   * every core; for a serial run on every core pass the core count (and the same to a pool of 1 worker).
   */
  kernelThreads?: number;
}

/** A chunk's place in its batch: rows [rowStart, rowStart + rows). */
export interface RowRange {
  rowStart: number;
  rows: number;
}

/** One chunk of rows: the noise for rows [rowStart, rowStart + rows), the `index`-th chunk of its batch. */
export interface SampleChunk extends RowRange {
  index: number;
  noise: Float32Array;
  /** Values per row (the data dimension D). */
  dim: number;
}

/** A built sampler: noise rows in, samples out (host arrays, row-major [rows, D]). */
export type ChunkSampler = (chunk: SampleChunk) => Promise<Float32Array>;

/**
 * The fresh-noise stream of chunk `index` of a batch sampled with `seed`: the (index + 1)-th generator split off
 * `makeRng(seed)`. A function of the seed and the chunk alone, so a chunk draws the same noise in any thread.
 * @throws ArgumentError for an index that is not an integer ≥ 0.
 */
export function chunkNoiseRng(seed: number, index: number): Rng {
  if (!Number.isInteger(index) || index < 0) throw new ArgumentError('chunkNoiseRng', 'index', index, 'an integer ≥ 0');
  const root = makeRng(seed);
  let rng = root.split();
  for (let i = 0; i < index; i++) rng = root.split();
  return rng;
}

/** Specs arrive as data (from workers, configs): check the discriminants before building anything. */
function checkSpec(spec: SamplingSpec): void {
  const fn = 'buildSampler';
  const model = spec.model as { kind?: unknown } | undefined;
  if (model?.kind !== 'mixture' && model?.kind !== 'checkpoint') throw new ArgumentError(fn, 'model.kind', model?.kind, 'mixture, checkpoint');
  const s = spec.sampler as { kind?: unknown; solver?: unknown } | undefined;
  if (s?.kind === 'solver') {
    if (!(SOLVER_NAMES as unknown[]).includes(s.solver)) throw new ArgumentError(fn, 'sampler.solver', s.solver, SOLVER_NAMES.join(', '));
  } else if (s?.kind !== 'lcm') {
    throw new ArgumentError(fn, 'sampler.kind', s?.kind, 'solver, lcm');
  }
}

/**
 * Build the model and sampler of `spec` in this thread (on its current backend). Loads a checkpoint once.
 * @throws ArgumentError for an unknown model, sampler or solver; ConfigError for an unreadable checkpoint.
 */
export function buildSampler(spec: SamplingSpec): ChunkSampler {
  checkSpec(spec);
  const schedule = makeSchedule(spec.schedule);
  let denoise: Denoiser;
  let gammaModel: GammaEpsModel;
  if (spec.model.kind === 'mixture') {
    denoise = mixtureDenoiser(makeMixture(spec.model.mixture), schedule);
    gammaModel = (x, t) => denoise(x, t); // an exact teacher has no γ
  } else {
    const { net } = loadNet(readNetCheckpoint(spec.model.file), makeRng(spec.model.initSeed ?? 0), spec.model.overrides);
    denoise = netDenoiser(net) as Denoiser;
    gammaModel = netGammaModel(net) as GammaEpsModel;
  }
  const sampler = spec.sampler;
  return async (c) => {
    if (c.noise.length !== c.rows * c.dim) throw new ShapeError('sample', 'noise', `${c.rows}·${c.dim} values`, [c.noise.length]);
    const xT = tf.tensor2d(c.noise, [c.rows, c.dim]);
    let out: tf.Tensor;
    if (sampler.kind === 'solver') {
      out = SOLVERS[sampler.solver](denoise, schedule, xT, sampler.ts).x;
    } else {
      const rng = chunkNoiseRng(sampler.seed ?? 0, c.index);
      out = lcmSample(gammaModel, schedule, xT, sampler.timesteps, { rng, noise: sampler.noise, boundary: sampler.boundary }).x;
    }
    xT.dispose();
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  };
}

function checkNoise(fn: string, noise: Float32Array, dim: number): number {
  if (!Number.isInteger(dim) || dim < 1) throw new ArgumentError(fn, 'dim', dim, 'an integer ≥ 1');
  if (!(noise instanceof Float32Array) || noise.length === 0 || noise.length % dim !== 0) {
    throw new ShapeError(fn, 'noise', `a non-empty Float32Array of B·${dim} values`, [noise?.length ?? 0]);
  }
  return noise.length / dim;
}

function checkPositiveInt(fn: string, arg: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 1) throw new ArgumentError(fn, arg, value, 'an integer ≥ 1');
}

/** The options with their defaults, checked. */
function chunking(fn: string, opts: ChunkingOptions): Required<ChunkingOptions> {
  const chunkRows = opts.chunkRows ?? SAMPLE_CHUNK_ROWS;
  const kernelThreads = opts.kernelThreads ?? SAMPLE_KERNEL_THREADS;
  checkPositiveInt(fn, 'chunkRows', chunkRows);
  checkPositiveInt(fn, 'kernelThreads', kernelThreads);
  return { chunkRows, kernelThreads };
}

/**
 * The chunks a batch of `B` rows is cut into: [0, c), [c, 2c), …, the last holding the rest (c = `chunkRows`).
 * A function of B and the chunk size only: the worker count has no say in it.
 * @throws ArgumentError when B is not an integer ≥ 0 or `chunkRows` not an integer ≥ 1.
 */
export function planChunks(B: number, chunkRows: number = SAMPLE_CHUNK_ROWS): RowRange[] {
  if (!Number.isInteger(B) || B < 0) throw new ArgumentError('planChunks', 'B', B, 'an integer ≥ 0');
  checkPositiveInt('planChunks', 'chunkRows', chunkRows);
  const out: RowRange[] = [];
  for (let rowStart = 0; rowStart < B; rowStart += chunkRows) out.push({ rowStart, rows: Math.min(chunkRows, B - rowStart) });
  return out;
}

/** The chunks of `noise` ([B, dim], B = noise.length / dim) as tasks: each with a copy of its rows. */
function chunksOf(noise: Float32Array, dim: number, chunkRows: number): SampleChunk[] {
  return planChunks(noise.length / dim, chunkRows).map(({ rowStart, rows }, index) => ({
    index,
    rowStart,
    rows,
    noise: noise.slice(rowStart * dim, (rowStart + rows) * dim), // a copy: a view would clone the whole buffer to a worker
    dim,
  }));
}

/** The chunks' samples joined in row order, [B, dim]. */
function joinChunks(chunks: readonly SampleChunk[], parts: readonly Float32Array[], length: number): Float32Array {
  const out = new Float32Array(length);
  parts.forEach((p, i) => {
    const c = chunks[i];
    if (p.length !== c.rows * c.dim) throw new ShapeError('sample', `chunk ${c.index}`, `${c.rows}·${c.dim} values`, [p.length]);
    out.set(p, c.rowStart * c.dim);
  });
  return out;
}

/**
 * Set this thread's native kernel threads to `threads` for the duration of `fn` (restored after); a no-op on other
 * backends. The serial path's counterpart of the count every sampling worker sets once at setup.
 */
async function withKernelThreads<T>(threads: number, fn: () => Promise<T>): Promise<T> {
  if ((await backendInfo())?.name !== 'native') return fn();
  const { loadNative } = await import('../backend/native.js');
  const native = loadNative();
  const before = native.threads();
  native.setThreads(threads);
  try {
    return await fn();
  } finally {
    native.setThreads(before);
  }
}

/**
 * Sample the batch in this thread, chunk after chunk ({@link planChunks}): the reference a parallel run with the
 * same {@link ChunkingOptions} reproduces bit for bit. On `native` the kernels run with `kernelThreads` threads
 * until it returns (other work this thread does meanwhile, between its awaits, does too).
 * @param noise x_T, row-major [B, dim]. @returns samples, row-major [B, dim].
 * @throws ArgumentError for a chunk size or thread count that is not an integer ≥ 1.
 */
export async function sampleSerial(spec: SamplingSpec, noise: Float32Array, dim: number, opts: ChunkingOptions = {}): Promise<Float32Array> {
  checkNoise('sampleSerial', noise, dim);
  const { chunkRows, kernelThreads } = chunking('sampleSerial', opts);
  const chunks = chunksOf(noise, dim, chunkRows);
  return withKernelThreads(kernelThreads, async () => {
    const sample = buildSampler(spec);
    const parts: Float32Array[] = [];
    for (const c of chunks) parts.push(await sample(c));
    return joinChunks(chunks, parts, noise.length);
  });
}

export interface SamplingPoolOptions extends ChunkingOptions {
  /** Worker threads. They take the chunks in turn; the chunks themselves do not depend on how many there are. */
  workers: number;
  /** Backend in every worker. Default: the one this process chose ({@link backendInfo}), else `SPLAM_BACKEND`. */
  backend?: BackendName;
}

/** Workers with a sampler loaded, ready for batches. */
export interface SamplingPool {
  /** Samples for `noise` (row-major [B, dim]): its chunks ({@link plan}) run on the workers, joined in row order. */
  sample(noise: Float32Array, dim: number): Promise<Float32Array>;
  /** The chunks a batch of B rows is cut into: {@link planChunks} with this pool's chunk size. */
  plan(B: number): RowRange[];
  /** Rows per chunk and the kernel threads of every worker. */
  readonly chunking: Readonly<Required<ChunkingOptions>>;
  /** Milliseconds the workers took to start (module load, backend, model). */
  readonly startMs: number;
  /** Terminate the workers. */
  close(): Promise<void>;
}

/**
 * Start `workers` threads, each with the backend and the sampler of `spec` loaded (once) and, on `native`, its
 * kernels set to `kernelThreads` threads (workers × kernelThreads above the core count oversubscribes them).
 * @throws ArgumentError for a bad chunk size or thread count; WorkerError when a worker cannot start (for example
 *   an unreadable checkpoint: its ConfigError's message).
 */
export async function startSamplingPool(spec: SamplingSpec, opts: SamplingPoolOptions): Promise<SamplingPool> {
  checkSpec(spec);
  const options = chunking('startSamplingPool', opts);
  const backend = opts.backend ?? (await backendInfo())?.name;
  const pool = await WorkerPool.start(new URL('./sampling-worker.ts', import.meta.url), {
    workers: opts.workers,
    setup: { spec, backend, kernelThreads: options.kernelThreads },
  });
  return {
    startMs: pool.startMs,
    chunking: Object.freeze({ ...options }),
    plan: (B) => planChunks(B, options.chunkRows),
    async sample(noise, dim) {
      checkNoise('SamplingPool.sample', noise, dim);
      const chunks = chunksOf(noise, dim, options.chunkRows);
      return joinChunks(chunks, await pool.map<SampleChunk, Float32Array>(chunks), noise.length);
    },
    close: () => pool.close(),
  };
}

/**
 * Sample `noise` on `workers` fresh threads and terminate them: the same result as {@link sampleSerial} with the
 * same {@link ChunkingOptions}, bit for bit, on the same backend and machine. For repeated batches keep a
 * {@link startSamplingPool} open instead (start-up costs 0.5–2 s per worker).
 * @param noise x_T, row-major [B, dim]. @returns samples, row-major [B, dim].
 * @throws WorkerError with the worker's message when a worker fails.
 */
export async function parallelSample(spec: SamplingSpec, noise: Float32Array, dim: number, opts: SamplingPoolOptions): Promise<Float32Array> {
  checkNoise('parallelSample', noise, dim);
  const pool = await startSamplingPool(spec, opts);
  try {
    return await pool.sample(noise, dim);
  } finally {
    await pool.close();
  }
}
