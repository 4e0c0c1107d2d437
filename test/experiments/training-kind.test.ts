import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { parseConfig } from '../../lib/config.js';
import { makeRng, restoreRng, type Rng, type RngState } from '../../lib/data/rng.js';
import { CHECKPOINT_NAME, type ExperimentContext, type RunLogger } from '../../lib/experiments/kind.js';
import { EXPERIMENT_KINDS } from '../../lib/experiments/registry.js';
import { defineTrainingKind, type TrainingKind, type TrainingKindSpec } from '../../lib/experiments/training-kind.js';
import { addParam, disposeParams, flatten, type ParamSet } from '../../lib/nn/params.js';
import { Adam } from '../../lib/train/adam.js';
import { decodeCheckpoint } from '../../lib/train/checkpoint.js';
import { setup } from '../helpers.js';

await setup();

/** A least-squares fit y = w·x as a training kind: the smallest thing with weights, an optimiser and an rng stream. */
const schema = z
  .object({
    kind: z.literal('fit'),
    experiment: z.string().default('fit'),
    seed: z.number().int().default(0),
    train: z.object({ steps: z.number().int().default(12), logEvery: z.number().int().default(4), checkpointEvery: z.number().int().default(5) }).strict().default({ steps: 12, logEvery: 4, checkpointEvery: 5 }),
  })
  .strict();
interface FitState {
  params: ParamSet;
  adam: Adam;
  rng: Rng;
  stepsSeen: number[];
}
const log: string[] = [];
const fitKind = defineTrainingKind({
  kind: 'fit',
  description: 'a test kind',
  schema,
  setup: (c): FitState => {
    const params: ParamSet = new Map();
    addParam(params, 'w', [3], Float32Array.from([0, 0, 0]));
    return { params, adam: new Adam(params, { lr: 0.05 }), rng: makeRng(c.seed), stepsSeen: [] };
  },
  step: (s, _c, step) => {
    s.stepsSeen.push(step);
    const x = tf.tensor2d(s.rng.normalArray(8 * 3), [8, 3]);
    const y = x.matMul(tf.tensor2d([1, -2, 0.5], [3, 1]));
    try {
      return s.adam.stepLazy(() => tf.tidy(() => x.matMul(s.params.get('w')!.reshape([3, 1])).sub(y).square().mean() as tf.Scalar));
    } finally {
      tf.dispose([x, y]);
    }
  },
  state: {
    kind: 'fit-train',
    label: 'fit',
    groups: (s) => [['net', s.params]],
    adam: (s) => s.adam,
    save: (s) => ({ rng: s.rng.state() }),
    load: (s, meta) => {
      s.rng = restoreRng(meta.rng as RngState);
    },
    missingHint: ' (hint)',
  },
  params: (s) => s.params,
  monitor: (_s, _c, ctx) => ({ start: async () => void log.push(`start ${ctx.run.id}`), after: async (done) => void log.push(`after ${done}`), dispose: () => void log.push('dispose') }),
  evaluate: async (s, _c, _ctx, { summary }) => ({ summary: { ...summary, w0: flatten(s.params)[0] }, report: 'done' }),
  dispose: (s) => {
    disposeParams(s.params);
    s.adam.dispose();
  },
});
const config = parseConfig(schema, { kind: 'fit' }, 'test config');

/** A run logger that keeps what it is given. */
function memoryRun(): RunLogger & { artifacts: Map<string, Uint8Array>; points: Record<string, number[]>; checkpoints: number[] } {
  const artifacts = new Map<string, Uint8Array>();
  const checkpoints: number[] = [];
  const points: Record<string, number[]> = {};
  return {
    id: 'run-1',
    artifacts,
    points,
    checkpoints,
    record: () => ({}) as ReturnType<RunLogger['record']>,
    logMetric: (k: string, v: number) => void (points[k] ??= []).push(v),
    logMetrics: (m: Record<string, number>) => {
      for (const [k, v] of Object.entries(m)) (points[k] ??= []).push(v);
    },
    logArtifact: async (name: string, data: unknown) => {
      artifacts.set(name, data as Uint8Array);
      if (name === CHECKPOINT_NAME) checkpoints.push(decodeCheckpoint<{ stepsDone: number }>(data as Uint8Array).meta.stepsDone);
      return {} as never;
    },
    setSummary: () => {},
    flush: async () => {},
  } as never;
}

test('the kind owns the step counter: step k of a session is called with k, and the session counts', async () => {
  const t = await fitKind.open(config);
  for (let i = 0; i < 3; i++) fitKind.step(t, config);
  assert.deepEqual(t.state.stepsSeen, [0, 1, 2]);
  assert.equal(t.stepsDone, 3);
  fitKind.close(t);
});

test('encode writes {kind, stepsDone, …saved, adamStep} and the groups then adam.m/, adam.v/; restore continues exactly', async () => {
  const straight = await fitKind.open(config);
  const losses = Array.from({ length: 7 }, () => fitKind.step(straight, config).loss);
  const first = await fitKind.open(config);
  const head = Array.from({ length: 3 }, () => fitKind.step(first, config).loss);
  const bytes = fitKind.encode(first);
  const ck = decodeCheckpoint<Record<string, unknown>>(bytes);
  assert.deepEqual(Object.keys(ck.meta), ['kind', 'stepsDone', 'rng', 'adamStep']);
  assert.equal(ck.meta.kind, 'fit-train');
  assert.equal(ck.meta.stepsDone, 3);
  assert.deepEqual(ck.tensors.map((x) => x.name), ['net/w', 'adam.m/w', 'adam.v/w']);
  const rest = await fitKind.open(config);
  fitKind.restore(rest, bytes);
  assert.equal(rest.stepsDone, 3);
  const tail = Array.from({ length: 4 }, () => fitKind.step(rest, config).loss);
  assert.deepEqual([...head, ...tail], losses);
  assert.deepEqual(rest.state.stepsSeen, [3, 4, 5, 6]);
  assert.deepEqual(flatten(rest.state.params), flatten(straight.state.params));
  [straight, first, rest].forEach((t) => fitKind.close(t));
});

test('restore refuses another kind\'s checkpoint and names a missing tensor, with the kind\'s hint', async () => {
  const t = await fitKind.open(config);
  const other = defineTrainingKind(fitSpecWith({ kind: 'other-train' }));
  const o = await other.open(config);
  assert.throws(() => fitKind.restore(t, other.encode(o)), /^Error: not a fit checkpoint \(kind other-train\)$/);
  const lacking = defineTrainingKind(fitSpecWith({ kind: 'fit-train', groups: () => [] }));
  const l = await lacking.open(config);
  assert.throws(() => fitKind.restore(t, lacking.encode(l)), /checkpoint lacks net\/w \(hint\)/);
  fitKind.close(t);
  other.close(o);
  lacking.close(l);
});

/** The fit kind's spec with its checkpoint kind or groups changed (to write foreign checkpoints). */
function fitSpecWith(over: { kind: string; groups?: () => [] }): TrainingKindSpec<typeof schema, FitState, undefined> {
  return {
    kind: 'fit',
    description: 'x',
    schema,
    setup: (c) => {
      const params: ParamSet = new Map();
      addParam(params, 'w', [3], Float32Array.from([0, 0, 0]));
      return { params, adam: new Adam(params, { lr: 0.05 }), rng: makeRng(c.seed), stepsSeen: [] };
    },
    step: () => ({ loss: 0, gradNorm: 0 }),
    state: { kind: over.kind, label: 'x', groups: over.groups ?? ((s) => [['net', s.params]]), adam: (s) => s.adam },
    params: (s) => s.params,
    evaluate: async () => ({ summary: {}, report: '' }),
    dispose: (s) => {
      disposeParams(s.params);
      s.adam.dispose();
    },
  };
}

test('run: series, checkpoints on schedule, monitor calls, summary; a stop request ends with a checkpoint that resumes to the same weights', async () => {
  log.length = 0;
  const full = memoryRun();
  const ctx = (run: RunLogger, o: Partial<ExperimentContext> = {}): ExperimentContext => ({ run, progress: () => {}, ...o });
  const done = await fitKind.run(config, ctx(full));
  assert.equal(done.report, 'done');
  assert.equal(done.summary['train/steps'], 12);
  assert.equal(done.summary.params, 3);
  assert.equal(full.points['train/loss'].length, 3, '12 steps logged every 4');
  assert.deepEqual(full.checkpoints, [5, 10, 12], 'a checkpoint every 5 steps and at the end');
  assert.deepEqual(log, ['start run-1', ...Array.from({ length: 12 }, (_, i) => `after ${i + 1}`), 'dispose']);

  const half = memoryRun();
  let asked = 0;
  const stopped = await fitKind.run(config, ctx(half, { shouldStop: () => ++asked > 6 }));
  assert.equal(stopped.stopped, true);
  assert.match(stopped.report, /stopped after \d+ steps \(checkpoint saved; resume with splam resume run-1\)/);
  const bytes = half.artifacts.get(CHECKPOINT_NAME)!;
  log.length = 0;
  const resumed = await fitKind.run(config, ctx(memoryRun(), { resume: bytes }));
  assert.ok(!log.includes('start run-1'), 'the start hook runs only on a fresh run');
  assert.equal(resumed.summary.w0, done.summary.w0, 'stopped + resumed = uninterrupted');
});

test('every training kind in the registry has the training fields the helper reads, with defaults (quick configs)', async () => {
  const quick = { teacher: 'teacher', distill: 'distill', classifier: 'classifier', autoencoder: 'autoencoder', 'latent-teacher': 'latent-teacher', splad: 'splad' } as const;
  let training = 0;
  for (const [name, load] of Object.entries(EXPERIMENT_KINDS)) {
    const kind = (await load()) as Partial<TrainingKind<z.ZodType, unknown, unknown>>;
    if (typeof kind.open !== 'function') continue;
    training++;
    const file = new URL(`../../experiments/quick/${quick[name as keyof typeof quick]}.json`, import.meta.url).pathname;
    const c = parseConfig(kind.schema!, JSON.parse(readFileSync(file, 'utf8')), file) as { train: { logEvery: unknown; checkpointEvery: unknown }; experiment: unknown; seed: unknown };
    assert.equal(typeof c.train.logEvery, 'number', `${name}: train.logEvery`);
    assert.equal(typeof c.train.checkpointEvery, 'number', `${name}: train.checkpointEvery`);
    assert.equal(typeof kind.experimentOf!(c), 'string', `${name}: experiment`);
    assert.equal(typeof kind.seedOf!(c), 'number', `${name}: seed`);
  }
  assert.equal(training, 6, 'six training kinds: teacher, distill, classifier, autoencoder, latent-teacher, splad');
});
