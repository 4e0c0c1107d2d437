import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../lib/backend.js';
import { makeRng } from '../../lib/data/rng.js';
import { ringMixture } from '../../lib/analytic/mixtures.js';
import { timeGrid } from '../../lib/diffusion/grids.js';
import { makeSchedule, type ScheduleSpec } from '../../lib/diffusion/schedules.js';
import { ArgumentError } from '../../lib/errors.js';
import { WorkerError } from '../../lib/parallel/pool.js';
import {
  chunkNoiseRng,
  parallelSample,
  planChunks,
  SAMPLE_CHUNK_ROWS,
  sampleSerial,
  startSamplingPool,
  type SamplingSpec,
} from '../../lib/parallel/sampling.js';
import { relErr } from '../backend/cpu-oracle.js';

// Workers take the backend this process chose. The same claims on `native` (oneDNN kernels, whose bits may depend
// on row count, thread count and ISA): test/backend/native-kernels.test.ts.
const backend = await initBackend('wasm');
const SCHEDULE: ScheduleSpec = { name: 'scaled-linear' };
const TEACHER_CKPT = fileURLToPath(new URL('../../models/teacher-ring2d.ckpt', import.meta.url));
/** A batch that is not a multiple of the chunk size: chunks of 256, 256, 256 and 233 rows. */
const B = 1001;
const CHUNK = 256;
const noise = makeRng(11).normalArray(B * 2);

function countDifferent(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

function assertMoved(x: Float32Array): void {
  assert.ok(x.every(Number.isFinite), 'samples are finite');
  assert.ok(countDifferent(x, noise) > x.length / 2, 'samples are not the noise');
}

test('2 workers reproduce serial DDIM on the exact ring teacher bit for bit (B = 1001 in chunks of 256, 25 steps)', async () => {
  assert.equal(backend.name, 'wasm');
  const ts = timeGrid(makeSchedule(SCHEDULE), 25);
  const spec: SamplingSpec = { schedule: SCHEDULE, model: { kind: 'mixture', mixture: ringMixture() }, sampler: { kind: 'solver', solver: 'ddim', ts } };
  const serial = await sampleSerial(spec, noise, 2, { chunkRows: CHUNK });
  const parallel = await parallelSample(spec, noise, 2, { workers: 2, chunkRows: CHUNK });
  assertMoved(serial);
  assert.equal(countDifferent(parallel, serial), 0);
  // Another chunk size is another computation: equal bits are not promised, agreement to float32 rounding is.
  const whole = await sampleSerial(spec, noise, 2, { chunkRows: B });
  assert.ok(relErr(whole, serial) < 1e-5, `whole vs chunks of ${CHUNK}: ${relErr(whole, serial)}`);
});

test('1, 2 and 3 workers reproduce serial LCM sampling of an MLP student bit for bit (B = 1001 in chunks of 256), fresh noise between its 4 steps', async () => {
  // The student as distillation builds it: the learned ring teacher plus a new γ-embedding.
  const spec: SamplingSpec = {
    schedule: SCHEDULE,
    model: { kind: 'checkpoint', file: TEACHER_CKPT, overrides: { gammaEmbedDim: 16 }, initSeed: 3 },
    sampler: { kind: 'lcm', timesteps: [999, 759, 499, 259], noise: 'fresh', seed: 5 },
  };
  const serial = await sampleSerial(spec, noise, 2, { chunkRows: CHUNK });
  assertMoved(serial);
  const pool = await startSamplingPool(spec, { workers: 3, chunkRows: CHUNK });
  try {
    assert.deepEqual(pool.plan(B), planChunks(B, CHUNK), 'a pool of 3 cuts the batch as the serial run does');
    assert.equal(countDifferent(await pool.sample(noise, 2), serial), 0, '3 workers');
    // The same pool again: every chunk's noise stream restarts from the seed for every batch, as a serial call's does.
    assert.equal(countDifferent(await pool.sample(noise, 2), serial), 0, '3 workers, second batch');
  } finally {
    await pool.close();
  }
  for (const workers of [1, 2]) {
    assert.equal(countDifferent(await parallelSample(spec, noise, 2, { workers, chunkRows: CHUNK }), serial), 0, `${workers} workers`);
  }
  // The fresh noise matters: another seed gives other samples; so does another chunk size (other noise streams).
  const other = await sampleSerial({ ...spec, sampler: { ...spec.sampler, seed: 6 } as SamplingSpec['sampler'] }, noise, 2, { chunkRows: CHUNK });
  assert.ok(countDifferent(other, serial) > serial.length / 2);
  const otherChunks = await sampleSerial(spec, noise, 2, { chunkRows: 200 });
  assert.ok(countDifferent(otherChunks.subarray(2 * 200), serial.subarray(2 * 200)) > serial.length / 2);
});

test("a worker's failure reaches the caller with its message: an unreadable checkpoint", async () => {
  const spec: SamplingSpec = {
    schedule: SCHEDULE,
    model: { kind: 'checkpoint', file: '/nonexistent/student.ckpt' },
    sampler: { kind: 'lcm', timesteps: [999] },
  };
  await assert.rejects(parallelSample(spec, noise, 2, { workers: 2 }), (err: unknown) => {
    assert.ok(err instanceof WorkerError);
    assert.equal(err.phase, 'start');
    assert.equal(err.remote.name, 'ConfigError');
    assert.match(err.message, /ConfigError: invalid \/nonexistent\/student\.ckpt/);
    assert.match(err.message, /cannot read the checkpoint \(ENOENT\)/);
    return true;
  });
});

test('an unknown solver is rejected in this thread, naming the allowed ones, before any worker starts', async () => {
  const spec = { schedule: SCHEDULE, model: { kind: 'mixture', mixture: ringMixture() }, sampler: { kind: 'solver', solver: 'rk45', ts: [999, 0] } };
  await assert.rejects(parallelSample(spec as unknown as SamplingSpec, noise, 2, { workers: 2 }), /argument sampler\.solver = "rk45" is not allowed; expected ddim, euler, heun, dpmpp2m, reference/);
});

test('planChunks cuts B rows into chunks of chunkRows in row order, the last holding the rest: a function of B and the chunk size alone', () => {
  assert.deepEqual(planChunks(1001, 256), [
    { rowStart: 0, rows: 256 },
    { rowStart: 256, rows: 256 },
    { rowStart: 512, rows: 256 },
    { rowStart: 768, rows: 233 },
  ]);
  assert.deepEqual(planChunks(512, 256), [{ rowStart: 0, rows: 256 }, { rowStart: 256, rows: 256 }]);
  assert.deepEqual(planChunks(3, 256), [{ rowStart: 0, rows: 3 }]);
  assert.deepEqual(planChunks(0, 256), []);
  assert.equal(planChunks(5000).length, Math.ceil(5000 / SAMPLE_CHUNK_ROWS), 'default chunk size');
  for (const [b, c] of [[1001, 256], [10, 3], [2, 4], [1, 1], [70_000, 1024]]) {
    const chunks = planChunks(b, c);
    assert.equal(chunks.length, Math.ceil(b / c));
    chunks.forEach((ch, i) => {
      assert.equal(ch.rowStart, i * c);
      assert.equal(ch.rows, i < chunks.length - 1 ? c : b - i * c);
    });
  }
  assert.throws(() => planChunks(10, 0), /planChunks: argument chunkRows = 0 is not allowed; expected an integer ≥ 1/);
  assert.throws(() => planChunks(10.5, 4), ArgumentError);
});

test('a chunk size or kernel thread count that is not an integer ≥ 1 is rejected, naming it, before any worker starts', async () => {
  const spec: SamplingSpec = { schedule: SCHEDULE, model: { kind: 'mixture', mixture: ringMixture() }, sampler: { kind: 'solver', solver: 'ddim', ts: [999, 0] } };
  await assert.rejects(sampleSerial(spec, noise, 2, { chunkRows: 0 }), /sampleSerial: argument chunkRows = 0 is not allowed/);
  await assert.rejects(sampleSerial(spec, noise, 2, { kernelThreads: 1.5 }), /sampleSerial: argument kernelThreads = 1\.5 is not allowed/);
  await assert.rejects(parallelSample(spec, noise, 2, { workers: 2, chunkRows: -1 }), /startSamplingPool: argument chunkRows = -1 is not allowed/);
});

test("chunkNoiseRng: a chunk's fresh noise is fixed by the seed and the chunk's index, and differs between chunks and seeds", () => {
  const draw = (seed: number, index: number) => chunkNoiseRng(seed, index).normalArray(64);
  assert.deepEqual(draw(5, 3), draw(5, 3));
  assert.deepEqual(draw(5, 0), makeRng(5).split().normalArray(64), 'chunk 0: the first split of the seed');
  const differ = (a: Float32Array, b: Float32Array) => countDifferent(a, b) > 32;
  assert.ok(differ(draw(5, 0), draw(5, 1)));
  assert.ok(differ(draw(5, 3), draw(6, 3)));
  assert.ok(differ(draw(5, 0), makeRng(5).normalArray(64)), 'not the seed\'s own stream');
  assert.throws(() => chunkNoiseRng(5, -1), ArgumentError);
});
