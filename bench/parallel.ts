/**
 * Sampling on one thread against a pool of worker threads (lib/parallel/sampling.ts), and optionally a sweep
 * with one child process per point against two at once (lib/experiments/sweep-runner.ts).
 *
 * Cases: DDIM with many steps on the exact 8-mode ring teacher (ε* of the mixture), and LCM sampling of an MLP
 * student (the learned ring teacher models/teacher-ring2d.ckpt with a new γ-embedding, as distillation builds it).
 * For each: the serial time in this process; the pool's start-up; the pool's time per batch once started (the
 * speed-up is serial / this); one cold `parallelSample` (start + sample + terminate). Serial and parallel runs
 * compute the same chunks (the default chunk size and kernel thread count, lib/parallel/sampling.ts), so every
 * parallel result is checked to equal the serial one bit for bit. Times are medians of `--repeats` calls after one
 * warm-up call.
 * The machine's load average is recorded before and after: on a shared 2-core machine other work lowers the
 * speed-up.
 *
 * Usage: `node --import tsx bench/parallel.ts [--workers 2] [--repeats 3] [--quick] [--sweep]`
 * Saves bench/results/parallel.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeBackend, initBackend } from '../lib/backend.js';
import { makeRng } from '../lib/data/rng.js';
import { ringMixture } from '../lib/analytic/mixtures.js';
import { timeGrid } from '../lib/diffusion/grids.js';
import { makeSchedule, type ScheduleSpec } from '../lib/diffusion/schedules.js';
import { parallelSample, SAMPLE_CHUNK_ROWS, SAMPLE_KERNEL_THREADS, sampleSerial, startSamplingPool, type SamplingSpec } from '../lib/parallel/sampling.js';
import { machineInfo, medianMs, saveResult } from './common.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = flag('quick');
const workers = option('workers', 2);
const repeats = option('repeats', quick ? 1 : 3);

const backend = await initBackend();
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCHEDULE: ScheduleSpec = { name: 'scaled-linear' };
const schedule = makeSchedule(SCHEDULE);

interface Case {
  id: string;
  what: string;
  spec: SamplingSpec;
  batch: number;
  /** Denoiser evaluations per sample. */
  nfe: number;
}

const cases: Case[] = [
  {
    id: 'ring-exact-ddim',
    what: 'exact ring teacher (K = 8, D = 2), DDIM',
    spec: { schedule: SCHEDULE, model: { kind: 'mixture', mixture: ringMixture() }, sampler: { kind: 'solver', solver: 'ddim', ts: timeGrid(schedule, quick ? 50 : 200) } },
    batch: quick ? 4096 : 16384,
    nfe: quick ? 50 : 200,
  },
  {
    id: 'mlp-student-lcm',
    what: 'MLP student (128 wide, 3 blocks, γ-embedding 16), LCM sampler',
    spec: {
      schedule: SCHEDULE,
      model: { kind: 'checkpoint', file: join(ROOT, 'models/teacher-ring2d.ckpt'), overrides: { gammaEmbedDim: 16 } },
      sampler: { kind: 'lcm', timesteps: [999, 759, 499, 259], seed: 1 },
    },
    batch: quick ? 8192 : 65536,
    nfe: 4,
  },
];

const loadBefore = os.loadavg();
const chunking = { chunkRows: SAMPLE_CHUNK_ROWS, kernelThreads: SAMPLE_KERNEL_THREADS };
console.log(
  `backend ${describeBackend(backend)}; ${workers} workers; chunks of ${chunking.chunkRows} rows, ${chunking.kernelThreads} kernel thread(s) ` +
    `in the serial run and in each worker; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
);

const results = [];
for (const c of cases) {
  const noise = makeRng(0).normalArray(c.batch * 2);
  let serialOut: Float32Array | undefined;
  const serialMs = await medianMs(async () => {
    serialOut = await sampleSerial(c.spec, noise, 2);
  }, repeats);
  const pool = await startSamplingPool(c.spec, { workers });
  let poolOut: Float32Array | undefined;
  let poolMs: number;
  try {
    poolMs = await medianMs(async () => {
      poolOut = await pool.sample(noise, 2);
    }, repeats);
  } finally {
    await pool.close();
  }
  const t0 = performance.now();
  const coldOut = await parallelSample(c.spec, noise, 2, { workers });
  const coldMs = performance.now() - t0;
  const identical = [poolOut!, coldOut].every((o) => o.length === serialOut!.length && o.every((v, i) => Object.is(v, serialOut![i])));
  const r = {
    id: c.id,
    what: c.what,
    batch: c.batch,
    nfe: c.nfe,
    serialMs,
    workers,
    startMs: pool.startMs,
    parallelMs: poolMs,
    speedup: serialMs / poolMs,
    coldParallelMs: coldMs,
    coldSpeedup: serialMs / coldMs,
    serialSampleStepsPerS: (c.batch * c.nfe) / (serialMs / 1000),
    parallelSampleStepsPerS: (c.batch * c.nfe) / (poolMs / 1000),
    identical,
  };
  results.push(r);
  console.log(
    `${c.id.padEnd(16)} B=${String(c.batch).padStart(6)} nfe=${String(c.nfe).padStart(3)}  serial ${serialMs.toFixed(0).padStart(6)} ms  ` +
      `${workers} workers ${poolMs.toFixed(0).padStart(6)} ms (×${r.speedup.toFixed(2)})  start ${pool.startMs.toFixed(0)} ms  ` +
      `cold ${coldMs.toFixed(0)} ms (×${r.coldSpeedup.toFixed(2)})  bit-identical to serial (same chunks) ${identical}`,
  );
}

/** `splam sweep` over 4 points of a quick config, one child process at a time against two at once. */
function sweepWallMs(parallel: number): number {
  const store = mkdtempSync(join(os.tmpdir(), 'splam-bench-sweep-'));
  try {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      ['bin/splam.mjs', 'sweep', 'experiments/quick/solvers.json', '--set', 'seed=0,1,2,3', '--parallel', String(parallel), '--store', store, '--json'],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SPLAM_BACKEND: backend.name } },
    );
    if (r.status !== 0) throw new Error(`splam sweep --parallel ${parallel} failed (${r.status}): ${r.stderr.slice(-500)}`);
    return performance.now() - t0;
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

let sweep: { points: number; serialMs: number; parallelMs: number; speedup: number } | undefined;
if (flag('sweep')) {
  const serialMs = sweepWallMs(1);
  const parallelMs = sweepWallMs(2);
  sweep = { points: 4, serialMs, parallelMs, speedup: serialMs / parallelMs };
  console.log(`sweep experiments/quick/solvers.json × 4 seeds: --parallel 1 ${serialMs.toFixed(0)} ms, --parallel 2 ${parallelMs.toFixed(0)} ms (×${sweep.speedup.toFixed(2)})`);
}

const loadAfter = os.loadavg();
console.log(`load average after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
const file = saveResult('parallel', {
  machine: machineInfo(backend),
  command: `node --import tsx bench/parallel.ts ${args.join(' ')}`.trim(),
  repeats,
  chunking,
  loadAverage: { before: loadBefore, after: loadAfter },
  cases: results,
  sweep,
});
console.log(`saved ${file}`);
