import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { parseConfig } from '../../lib/config.js';
import { distillSchema, type DistillConfig } from '../../lib/experiments/distill/config.js';
import { distillKind } from '../../lib/experiments/distill/index.js';
import { sessionSteps } from './sessions.js';
import { disposeDistill, distillStep, EVAL_COLUMNS, evaluateDistill, finalLossNote, formatEval, setupDistill } from '../../lib/experiments/distill/run.js';
import { netGammaModel } from '../../lib/nn/eps-net.js';
import { flatten } from '../../lib/nn/params.js';
import { ConfigError } from '../../lib/errors.js';
import { maxAbsDiff, setup } from '../helpers.js';

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

/** `n` steps of the kind's session (from a checkpoint's bytes when given): the state, the session, the losses. */
const runSteps = (c: DistillConfig, n: number, from?: Uint8Array) => sessionSteps(distillKind, c, n, { from });

test('the same config and seed give the same losses and weights on the same backend', async () => {
  const c = tiny();
  const a = await runSteps(c, 10);
  const b = await runSteps(c, 10);
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(flatten(a.s.student.params), flatten(b.s.student.params));
  const other = await runSteps(tiny({ seed: 4 }), 10);
  assert.notDeepEqual(other.losses, a.losses, 'another seed gives another run');
  [a, b, other].forEach((r) => disposeDistill(r.s));
});

test('resuming from a checkpoint gives exactly the uninterrupted run', async () => {
  const c = tiny();
  const straight = await runSteps(c, 12);
  const first = await runSteps(c, 5);
  const bytes = distillKind.encode(first.t);
  const rest = await runSteps(c, 7, bytes);
  assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
  assert.deepEqual(flatten(rest.s.student.params), flatten(straight.s.student.params));
  assert.deepEqual(flatten(rest.s.target.params), flatten(straight.s.target.params));
  assert.equal(rest.t.stepsDone, 12);
  [straight, first, rest].forEach((r) => disposeDistill(r.s));
});

test('LCM is the same code path with γ ≡ 1 and no γ-embedding', async () => {
  const c = tiny({ objective: { gamma: { kind: 'fixed', value: 1 } }, student: { architecture: { hidden: 16, blocks: 1, timeEmbedDim: 8 }, gammaEmbedDim: 0 } });
  const r = await runSteps(c, 3);
  assert.ok(r.losses.every(Number.isFinite));
  assert.ok(![...r.s.student.params.keys()].some((k) => k.includes('cond_proj')));
  disposeDistill(r.s);
});

test('evaluation scores the student and the baselines on the same noise, and a training step does not leak tensors', async () => {
  const c = tiny();
  const s = setupDistill(c);
  distillStep(s, c, 0);
  const before = tf.memory().numTensors;
  distillStep(s, c, 1);
  assert.equal(tf.memory().numTensors, before);
  const ev = await evaluateDistill(s, c);
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

// LCM's w-embedding.

/** Two classes of two 2-D modes each: the smallest class-conditional data set, for the guided teacher. */
const CONDITIONAL = {
  type: 'conditional',
  classes: [
    { type: 'explicit', weights: [1, 1], means: [[2, 0], [0, 2]], variances: [0.05, 0.05] },
    { type: 'explicit', weights: [1, 1], means: [[-2, 0], [0, -2]], variances: [0.05, 0.05] },
  ],
};
const ARCH = { hidden: 16, blocks: 1, timeEmbedDim: 8 };
const tinyCond = (student: Record<string, unknown> = {}, over: Record<string, unknown> = {}) =>
  tiny({ data: CONDITIONAL, guidance: { w: 2 }, student: { architecture: ARCH, gammaEmbedDim: 8, ...student }, ...over });

test('with the w-embedding off, a run is the run without the switch: wEmbed absent and {dim: 0} give the same parameters and losses', async () => {
  for (const data of [undefined, CONDITIONAL]) {
    const over = data ? { data, guidance: { w: 2 } } : {};
    const absent = tiny({ ...over, student: { architecture: ARCH, gammaEmbedDim: 8 } });
    const zero = tiny({ ...over, student: { architecture: ARCH, gammaEmbedDim: 8, wEmbed: { dim: 0 } } });
    assert.equal(absent.student.wEmbed, undefined, 'absent stays absent in the parsed config');
    const a = await runSteps(absent, 6);
    const b = await runSteps(zero, 6);
    assert.deepEqual([...b.s.student.params.keys()], [...a.s.student.params.keys()]);
    assert.ok(![...a.s.student.params.keys()].some((k) => k.includes('w_proj')), 'no w_proj when off');
    assert.equal(a.s.objective.wRange, undefined, 'the objective draws no w');
    assert.deepEqual(b.losses, a.losses);
    assert.deepEqual(flatten(b.s.student.params), flatten(a.s.student.params));
    [a, b].forEach((r) => disposeDistill(r.s));
  }
});

test('with the w-embedding on, the student gets a zero time.w_proj (last), trains over w ~ U[min, max], and resumes exactly', async () => {
  const c = tinyCond({ wEmbed: { dim: 8, min: 0, max: 4 } });
  const s = setupDistill(c);
  const keys = [...s.student.params.keys()];
  assert.equal(keys.at(-1), 'time.w_proj.weight');
  assert.deepEqual(Array.from(s.student.params.get('time.w_proj.weight')!.dataSync()), new Array(8 * 8).fill(0), 'zero init (default)');
  assert.deepEqual(s.objective.wRange, { min: 0, max: 4 });
  // Zero init: the student's ε̂ does not depend on w.
  const x = tf.randomNormal([4, 2]);
  const t = tf.tensor1d([19, 259, 759, 999]);
  const g = tf.ones([4]) as tf.Tensor1D;
  const at = (w: number) => netGammaModel(s.student)(x, t, g, { labels: [0, 1, 0, 1], w: [w, w, w, w] });
  assert.equal(maxAbsDiff(at(0), at(3.5)), 0);
  disposeDistill(s);
  const random = setupDistill(tinyCond({ wEmbed: { dim: 8, min: 0, max: 4, projInit: 'random' } }));
  assert.ok(Array.from(random.student.params.get('time.w_proj.weight')!.dataSync()).some((v) => v !== 0), 'random init');
  disposeDistill(random);
  // Resume.
  const straight = await runSteps(c, 8);
  const first = await runSteps(c, 3);
  const rest = await runSteps(c, 5, distillKind.encode(first.t));
  assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
  assert.deepEqual(flatten(rest.s.student.params), flatten(straight.s.student.params));
  assert.deepEqual(flatten(rest.s.target.params), flatten(straight.s.target.params));
  assert.ok(Array.from(straight.s.student.params.get('time.w_proj.weight')!.dataSync()).some((v) => v !== 0), 'training moves w_proj');
  const off = await runSteps(tinyCond(), 8);
  assert.notDeepEqual(off.losses, straight.losses, 'per-sample w changes the run');
  [straight, first, rest, off].forEach((r) => disposeDistill(r.s));
  tf.dispose([x, t, g]);
});

test('a student with the w-embedding is evaluated at the sampling w (guidance.w): different w, different samples', async () => {
  const c = tinyCond({ wEmbed: { dim: 8, min: 0, max: 4, projInit: 'random' } }, { train: { steps: 4, batch: 32 } });
  const s = setupDistill(c);
  for (let i = 0; i < 4; i++) distillStep(s, c, i);
  const a = await evaluateDistill(s, c);
  const b = await evaluateDistill(s, { ...c, guidance: { ...c.guidance, w: 0 } });
  const student = (ev: typeof a) => ev.rows.find((r) => r.method === 'student' && r.steps === 1)!.metrics.sameNoiseMean!;
  assert.ok(Number.isFinite(student(a)) && Number.isFinite(student(b)));
  assert.notEqual(student(a), student(b));
  disposeDistill(s);
});

test('invalid w-embedding configs name the field: odd, 2 or negative dim, min > max, unconditional data', () => {
  const issue = (student: Record<string, unknown>, over: Record<string, unknown> = {}) => {
    try {
      tinyCond(student, over);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.issues.map((i) => i.path);
    }
    assert.fail('expected a ConfigError');
  };
  assert.ok(issue({ wEmbed: { dim: 7 } }).includes('student.wEmbed.dim'));
  assert.ok(issue({ wEmbed: { dim: 2 } }).includes('student.wEmbed.dim'));
  assert.ok(issue({ wEmbed: { dim: -4 } }).includes('student.wEmbed.dim'));
  assert.ok(issue({ wEmbed: { dim: 8, min: 6, max: 3 } }).includes('student.wEmbed.min'));
  assert.ok(issue({ wEmbed: { dim: 8, projInit: 'ones' } }).includes('student.wEmbed.projInit'));
  assert.ok(issue({ wEmbed: { dim: 8 } }, { data: { type: 'mixture', mixture: { type: 'ring', modes: 4, radius: 2, variance: 0.1 } } }).includes('student.wEmbed.dim'));
  const ok = tinyCond({ wEmbed: { dim: 8 } });
  assert.deepEqual(ok.student.wEmbed, { dim: 8, min: 5, max: 15, projInit: 'zero', scale: 1000 }, "the defaults: diffusers' w_min 5, w_max 15, scale 1000");
});

test('the evaluation table reads without the code: every row kind named and explained, aligned columns, a legend line per metric with its better direction; the final loss is the progress line\'s', () => {
  const m = (v: number) => ({ n: 10, sameNoiseMean: v, sw2: v / 2, mmd2: v / 10, coverage: 1, highQuality: 0.9, logDensity: -1.5 });
  const ev = {
    rows: [
      { method: 'student', steps: 1, nfe: 1, metrics: m(0.5) },
      { method: 'student', steps: 2, nfe: 2, metrics: m(0.9) },
      { method: 'student-det', steps: 2, nfe: 2, metrics: m(0.4) },
      { method: 'ddim', steps: 1, nfe: 1, metrics: m(1.2) },
      { method: 'dpmpp2m', steps: 2, nfe: 2, metrics: m(0.3) },
    ],
    jumpErrors: [],
  };
  const text = formatEval(ev, 'SPLAM student');
  const [table, legend] = text.split('\n\n');
  const lines = table.split('\n');
  assert.deepEqual(lines.slice(1).map((l) => l.split(/\s{2,}/)[0]), [
    'SPLAM student, one jump',
    'SPLAM student, deterministic chain',
    'SPLAM student, LCM sampler (fresh noise)',
    'DDIM on the exact teacher',
    'DPM-Solver++(2M) on the exact teacher',
  ]);
  assert.ok(!/^student(-det)?\b/m.test(table), 'no bare internal method names');
  // Aligned: every column ends at the same character on every line.
  const ends = (l: string) => [...l.matchAll(/\S+(?=\s{2,}|$)/g)].map((x) => x.index! + x[0].length);
  const want = ends(lines[1]).slice(-8);
  for (const l of lines.slice(2)) assert.deepEqual(ends(l).slice(-8), want, l);
  for (const c of EVAL_COLUMNS) {
    assert.ok(lines[0].includes(c.head), c.head);
    assert.match(c.head, /[↓↑]$/);
    assert.ok(legend.split('\n').some((l) => l.includes(c.legend) && /(lower|higher) is better/.test(l)), `legend for ${c.key}`);
  }
  assert.match(legend, /deterministic chain: n jumps/);
  assert.match(legend, /fresh noise/);
  const loop = { stepsDone: 100, lastMetrics: { loss: 9 }, lastLogged: { step: 100, count: 50, metrics: { loss: 1.5e-3 } }, stopped: false };
  assert.equal(finalLossNote(loop, { 'train/loss_final': 9 }), '1.500e-3 (mean of steps 51–100, as in the progress line)');
  assert.equal(finalLossNote({ ...loop, lastLogged: undefined }, { 'train/loss_final': 9 }), '9.000e+0');
});
