import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../lib/backend.js';
import { makeRng } from '../../lib/data/rng.js';
import { ringMixture } from '../../lib/data/mixtures.js';
import { timeGrid } from '../../lib/diffusion/grids.js';
import { makeSchedule, type ScheduleSpec } from '../../lib/diffusion/schedules.js';
import { WorkerError } from '../../lib/parallel/pool.js';
import { parallelSample, rowsOfStream, sampleSerial, splitRows, startSamplingPool, type SamplingSpec } from '../../lib/parallel/sampling.js';

// Workers take the backend this process chose; wasm is the engine whose per-row arithmetic must not depend on
// the batch split.
const backend = await initBackend('wasm');
const SCHEDULE: ScheduleSpec = { name: 'scaled-linear' };
const TEACHER_CKPT = fileURLToPath(new URL('../../models/teacher-ring2d.ckpt', import.meta.url));
/** An odd batch, so the chunks differ in size. */
const B = 1001;
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

test('2 workers reproduce serial DDIM on the exact ring teacher bit for bit (B = 1001, 25 steps)', async () => {
  assert.equal(backend.name, 'wasm');
  const ts = timeGrid(makeSchedule(SCHEDULE), 25);
  const spec: SamplingSpec = { schedule: SCHEDULE, model: { kind: 'mixture', mixture: ringMixture() }, sampler: { kind: 'solver', solver: 'ddim', ts } };
  const serial = await sampleSerial(spec, noise, 2);
  const parallel = await parallelSample(spec, noise, 2, { workers: 2 });
  assertMoved(serial);
  assert.equal(countDifferent(parallel, serial), 0);
});

test('2 and 3 workers reproduce serial LCM sampling of an MLP student bit for bit, fresh noise between its 4 steps', async () => {
  // The student as distillation builds it: the learned ring teacher plus a new γ-embedding.
  const spec: SamplingSpec = {
    schedule: SCHEDULE,
    model: { kind: 'checkpoint', file: TEACHER_CKPT, overrides: { gammaEmbedDim: 16 }, initSeed: 3 },
    sampler: { kind: 'lcm', timesteps: [999, 759, 499, 259], noise: 'fresh', seed: 5 },
  };
  const serial = await sampleSerial(spec, noise, 2);
  assertMoved(serial);
  const pool = await startSamplingPool(spec, { workers: 3 });
  try {
    assert.equal(countDifferent(await pool.sample(noise, 2), serial), 0, '3 workers');
    // The same pool again: the noise stream restarts from the seed for every batch, as a serial call does.
    assert.equal(countDifferent(await pool.sample(noise, 2), serial), 0, '3 workers, second batch');
  } finally {
    await pool.close();
  }
  assert.equal(countDifferent(await parallelSample(spec, noise, 2, { workers: 2 }), serial), 0, '2 workers');
  // The fresh noise matters: another seed gives other samples.
  const other = await sampleSerial({ ...spec, sampler: { ...spec.sampler, seed: 6 } as SamplingSpec['sampler'] }, noise, 2);
  assert.ok(countDifferent(other, serial) > serial.length / 2);
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

test('splitRows covers 0…B−1 once, in order, with sizes differing by at most 1', () => {
  for (const [b, parts] of [[1001, 2], [10, 3], [2, 4], [1, 1]]) {
    const chunks = splitRows(b, parts);
    assert.equal(chunks.length, Math.min(b, parts));
    assert.deepEqual(chunks.map((c) => c.rowStart), chunks.map((_, i) => chunks.slice(0, i).reduce((s, c) => s + c.rows, 0)));
    assert.equal(chunks.reduce((s, c) => s + c.rows, 0), b);
    const sizes = chunks.map((c) => c.rows);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  }
});

test("rowsOfStream gives each chunk its rows of the full-batch stream, draw after draw", () => {
  const full = makeRng(9);
  const parts = [makeRng(9), makeRng(9)].map((r, i) => rowsOfStream(r, 10, i * 6, i === 0 ? 6 : 4));
  for (let draw = 0; draw < 3; draw++) {
    const want = full.normalArray(10);
    const got = Float32Array.from([...parts[0].normalArray(6), ...parts[1].normalArray(4)]);
    assert.deepEqual(got, want);
  }
  assert.throws(() => parts[0].normalArray(5), /rowsOfStream: argument n = 5 is not allowed; expected 6/);
  assert.throws(() => parts[0].uniform(), /normalArray only/);
});
