import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { parseConfig } from '../../lib/config.js';
import { distillSchema, type DistillConfig } from '../../lib/experiments/distill-config.js';
import { disposeDistill, distillStep, encodeDistillCheckpoint, evaluateDistill, restoreDistill, setupDistill } from '../../lib/experiments/distill.js';
import { flatten } from '../../lib/nn/params.js';
import { ConfigError } from '../../lib/errors.js';
import { setup } from '../helpers.js';

await setup();

const tiny = (over: Record<string, unknown> = {}): DistillConfig =>
  parseConfig(
    distillSchema,
    {
      kind: 'distill',
      seed: 3,
      data: { type: 'mixture', mixture: { type: 'ring', modes: 4, radius: 2, variance: 0.1 } },
      student: { architecture: { hidden: 16, blocks: 1, timeEmbedDim: 8 }, gammaEmbedDim: 8 },
      train: { steps: 20, batch: 32 },
      eval: { samples: 32, steps: [1, 2], referenceSubsteps: 20 },
      ...over,
    },
    'test config',
  );

function runSteps(c: DistillConfig, n: number, from?: Uint8Array) {
  const s = setupDistill(c);
  if (from) restoreDistill(s, from);
  const losses: number[] = [];
  for (let i = 0; i < n; i++) losses.push(distillStep(s, c).loss);
  return { s, losses };
}

test('the same config and seed give the same losses and weights on the same backend', () => {
  const c = tiny();
  const a = runSteps(c, 10);
  const b = runSteps(c, 10);
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(flatten(a.s.student.params), flatten(b.s.student.params));
  const other = runSteps(tiny({ seed: 4 }), 10);
  assert.notDeepEqual(other.losses, a.losses, 'another seed gives another run');
  [a, b, other].forEach((r) => disposeDistill(r.s));
});

test('resuming from a checkpoint gives exactly the uninterrupted run', () => {
  const c = tiny();
  const straight = runSteps(c, 12);
  const first = runSteps(c, 5);
  const bytes = encodeDistillCheckpoint(first.s);
  const rest = runSteps(c, 7, bytes);
  assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
  assert.deepEqual(flatten(rest.s.student.params), flatten(straight.s.student.params));
  assert.deepEqual(flatten(rest.s.target.params), flatten(straight.s.target.params));
  assert.equal(rest.s.stepsDone, 12);
  [straight, first, rest].forEach((r) => disposeDistill(r.s));
});

test('LCM is the same code path with γ ≡ 1 and no γ-embedding', () => {
  const c = tiny({ objective: { gamma: { kind: 'fixed', value: 1 } }, student: { architecture: { hidden: 16, blocks: 1, timeEmbedDim: 8 }, gammaEmbedDim: 0 } });
  const r = runSteps(c, 3);
  assert.ok(r.losses.every(Number.isFinite));
  assert.ok(![...r.s.student.params.keys()].some((k) => k.includes('cond_proj')));
  disposeDistill(r.s);
});

test('evaluation scores the student and the baselines on the same noise, and a training step does not leak tensors', () => {
  const c = tiny();
  const s = setupDistill(c);
  distillStep(s, c);
  const before = tf.memory().numTensors;
  distillStep(s, c);
  assert.equal(tf.memory().numTensors, before);
  const ev = evaluateDistill(s, c);
  assert.deepEqual(ev.rows.map((r) => `${r.method}:${r.steps}`), ['student:1', 'student:2', 'student-det:2', 'ddim:1', 'ddim:2', 'dpmpp2m:1', 'dpmpp2m:2']);
  // One DDIM step and one DPM-Solver++ step are the same update (written differently: float32 rounding only).
  assert.ok(Math.abs(ev.rows[3].metrics.sameNoiseMean! - ev.rows[5].metrics.sameNoiseMean!) < 1e-6);
  assert.ok(ev.rows.every((r) => Number.isFinite(r.metrics.sw2!) && r.metrics.coverage! >= 0));
  assert.equal(ev.jumpErrors.length, 10, "ten sub-path starts, each jumping to the data end");
  assert.equal(tf.memory().numTensors, before);
  disposeDistill(s);
});

test('invalid distillation configs name every bad field before any work', () => {
  assert.throws(
    () => tiny({ objective: { numDdimTimesteps: 30 }, eval: { steps: [1, 64] }, student: { init: 'teacher' } }),
    (e: unknown) => {
      if (!(e instanceof ConfigError)) return false;
      const paths = e.issues.map((i) => i.path);
      return paths.includes('objective.numDdimTimesteps') && paths.includes('student.init');
    },
  );
  assert.throws(() => tiny({ objective: { gamma: { kind: 'fixed', value: 2 } } }), (e: unknown) => e instanceof ConfigError && e.issues[0].path === 'objective.gamma.value');
  assert.throws(() => tiny({ teacher: { type: 'learned', checkpoint: '/nonexistent.ckpt' } }) && setupDistill(tiny({ teacher: { type: 'learned', checkpoint: '/nonexistent.ckpt' } })), (e: unknown) => e instanceof ConfigError && /cannot read the checkpoint/.test(e.message));
});
