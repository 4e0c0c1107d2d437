/**
 * Sampling split across worker threads: the rows of a noise batch [B, D] are cut into contiguous chunks, each
 * worker runs the same sampler on its chunk, and the chunks are concatenated in order.
 *
 * Deterministic: the result equals, bit for bit, {@link sampleSerial} on the whole batch in one process on the
 * same backend (tested). That holds because every operation on the sampling path is row-wise (a row's output
 * depends only on that row, with the same summation order whatever the batch size), and because the fresh noise
 * of the LCM sampler is drawn, for every chunk, from the same stream as a serial run would draw it: each worker
 * replays the full-batch stream of `seed` and keeps its own rows ({@link rowsOfStream}).
 *
 * A sampler is described as plain data ({@link SamplingSpec}) so it can cross to the workers: the model is an
 * exact Gaussian-mixture teacher or an MLP checkpoint file (models/*.ckpt), the sampler a PF-ODE solver on a
 * time grid or the LCM multistep sampler at γ = 1.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { backendInfo, type BackendName } from '../backend.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { makeMixture, mixtureDenoiser, type MixtureSpec } from '../analytic/mixture.js';
import { makeRng, type Rng } from '../data/rng.js';
import { makeSchedule, type ScheduleSpec } from '../diffusion/schedules.js';
import { SOLVERS, SOLVER_NAMES, type SolverName } from '../diffusion/solvers/index.js';
import type { Denoiser } from '../diffusion/types.js';
import { loadNet, readNetCheckpoint } from '../experiments/net-checkpoint.js';
import { mlpDenoiser, mlpGammaModel } from '../nn/adapters.js';
import type { MlpConfig } from '../nn/mlp.js';
import type { BoundaryOptions } from '../splam/boundary.js';
import type { GammaEpsModel } from '../splam/objective.js';
import { lcmSample } from '../splam/sampler.js';
import { WorkerPool } from './pool.js';

/** The model: the exact ε* of a Gaussian mixture, or an MLP read from a checkpoint file. */
export type ModelSpec =
  | { kind: 'mixture'; mixture: MixtureSpec }
  | {
      kind: 'checkpoint';
      /** Path of a network checkpoint (lib/experiments/net-checkpoint.ts), absolute or relative to the cwd. */
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
      /** Seed of the fresh noise (the same stream for a serial and a parallel run). Default 0. */
      seed?: number;
      boundary?: BoundaryOptions;
    };

export interface SamplingSpec {
  schedule: ScheduleSpec;
  model: ModelSpec;
  sampler: SamplerSpec;
}

/** One chunk of rows: the noise for rows [rowStart, rowStart + rows) of a batch of `totalRows`. */
export interface SampleChunk {
  noise: Float32Array;
  rowStart: number;
  rows: number;
  totalRows: number;
  /** Values per row (the data dimension D). */
  dim: number;
}

/** A built sampler: noise rows in, samples out (host arrays, row-major [rows, D]). */
export type ChunkSampler = (chunk: SampleChunk) => Promise<Float32Array>;

/**
 * A generator that yields, for each `normalArray` call, the slice [start, start + n) of what `base` would draw
 * in a call of `total` values: a chunk's view of a full-batch noise stream. Only `normalArray` is supported.
 * @throws ArgumentError when asked for a count other than the chunk's n, or for another kind of draw.
 */
export function rowsOfStream(base: Rng, total: number, start: number, n: number): Rng {
  const unsupported = (what: string) => (): never => {
    throw new ArgumentError('rowsOfStream', 'draw', what, 'normalArray only (a chunk of a full-batch noise stream)');
  };
  const normalArray = ((count: number) => {
    if (count !== n) throw new ArgumentError('rowsOfStream', 'n', count, `${n} (the chunk's size)`);
    return base.normalArray(total).slice(start, start + n);
  }) as Rng['normalArray'];
  return {
    normalArray,
    uint32: unsupported('uint32'),
    uniform: unsupported('uniform'),
    int: unsupported('int'),
    normal: unsupported('normal'),
    split: unsupported('split'),
    state: unsupported('state'),
  };
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
    denoise = mlpDenoiser(net) as Denoiser;
    gammaModel = mlpGammaModel(net) as GammaEpsModel;
  }
  const sampler = spec.sampler;
  return async (c) => {
    if (c.noise.length !== c.rows * c.dim) throw new ShapeError('sample', 'noise', `${c.rows}·${c.dim} values`, [c.noise.length]);
    const xT = tf.tensor2d(c.noise, [c.rows, c.dim]);
    let out: tf.Tensor;
    if (sampler.kind === 'solver') {
      out = SOLVERS[sampler.solver](denoise, schedule, xT, sampler.ts).x;
    } else {
      const rng = rowsOfStream(makeRng(sampler.seed ?? 0), c.totalRows * c.dim, c.rowStart * c.dim, c.rows * c.dim);
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

/**
 * Sample the whole batch in this thread: the reference a parallel run must reproduce.
 * @param noise x_T, row-major [B, dim]. @returns samples, row-major [B, dim].
 */
export function sampleSerial(spec: SamplingSpec, noise: Float32Array, dim: number): Promise<Float32Array> {
  const B = checkNoise('sampleSerial', noise, dim);
  return buildSampler(spec)({ noise, rowStart: 0, rows: B, totalRows: B, dim });
}

/** Contiguous row ranges, as equal as possible, for `parts` workers (empty ones dropped). */
export function splitRows(B: number, parts: number): { rowStart: number; rows: number }[] {
  const out: { rowStart: number; rows: number }[] = [];
  for (let p = 0, start = 0; p < parts; p++) {
    const rows = Math.floor(B / parts) + (p < B % parts ? 1 : 0);
    if (rows > 0) out.push({ rowStart: start, rows });
    start += rows;
  }
  return out;
}

export interface SamplingPoolOptions {
  /** Worker threads. */
  workers: number;
  /** Backend in every worker. Default: the one this process chose ({@link backendInfo}), else `SPLAM_BACKEND`. */
  backend?: BackendName;
}

/** Workers with a sampler loaded, ready for batches. */
export interface SamplingPool {
  /** Samples for `noise` (row-major [B, dim]), split across the workers, in row order. */
  sample(noise: Float32Array, dim: number): Promise<Float32Array>;
  /** Milliseconds the workers took to start (module load, backend, model). */
  readonly startMs: number;
  /** Terminate the workers. */
  close(): Promise<void>;
}

/**
 * Start `workers` threads, each with the backend and the sampler of `spec` loaded (once).
 * @throws WorkerError when a worker cannot start (for example an unreadable checkpoint: its ConfigError's message).
 */
export async function startSamplingPool(spec: SamplingSpec, opts: SamplingPoolOptions): Promise<SamplingPool> {
  checkSpec(spec);
  const backend = opts.backend ?? (await backendInfo())?.name;
  const threadsPerWorker = Math.max(1, Math.floor(os.availableParallelism() / opts.workers));
  const pool = await WorkerPool.start(new URL('./sampling-worker.ts', import.meta.url), {
    workers: opts.workers,
    setup: { spec, backend, threadsPerWorker },
  });
  return {
    startMs: pool.startMs,
    async sample(noise, dim) {
      const B = checkNoise('SamplingPool.sample', noise, dim);
      const chunks: SampleChunk[] = splitRows(B, opts.workers).map(({ rowStart, rows }) => ({
        noise: noise.slice(rowStart * dim, (rowStart + rows) * dim), // a copy: a view would clone the whole buffer
        rowStart,
        rows,
        totalRows: B,
        dim,
      }));
      const parts = await pool.map<SampleChunk, Float32Array>(chunks);
      const out = new Float32Array(noise.length);
      parts.forEach((p, i) => out.set(p, chunks[i].rowStart * dim));
      return out;
    },
    close: () => pool.close(),
  };
}

/**
 * Sample `noise` on `workers` fresh threads and terminate them: the same result as {@link sampleSerial}, bit for
 * bit, on the same backend. For repeated batches keep a {@link startSamplingPool} open instead (start-up costs
 * 0.5–2 s per worker).
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
