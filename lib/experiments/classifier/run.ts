/**
 * `kind: "classifier"`: train the Fashion-MNIST CNN (lib/nn/classifier.ts) whose penultimate layer is the feature
 * space of the image tier's FID and precision/recall. Cross-entropy, AdamW, mini-batches drawn by seed one epoch
 * at a time (lib/data/fashion-mnist.ts `EpochBatcher`, so a resumed run sees exactly the batches it would have);
 * `train/loss` and `train/grad_norm` series, `test/accuracy` and `test/loss` on the whole test split every
 * `eval.every` steps and at the end; checkpoints and resume like the teacher; the final weights can be exported to
 * models/ (`<file>` + `<file>.json` with the config, summary and run record).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { EpochBatcher, gatherRows, loadFashionMnist, type ImageSet } from '../../data/fashion-mnist.js';
import { makeRng } from '../../data/rng.js';
import { ConfigError } from '../../errors.js';
import { applyBatched, crossEntropy, makeClassifier, type Classifier, type ClassifierConfig } from '../../nn/classifier.js';
import { countParams, disposeParams } from '../../nn/params.js';
import { Adam, type LazyStepResult } from '../../train/adam.js';
import { decodeCheckpoint, encodeCheckpoint, paramTensors, restoreParams, type Checkpoint } from '../../train/checkpoint.js';
import { writeModelFile } from '../model-files.js';
import type { ExperimentContext, KindResult } from '../kind.js';
import { stoppedResult, trainAsRun, trainingSummary } from '../train-run.js';

/** `constant`: lr throughout. `cosine`: from lr down to final·lr by half a cosine (Loshchilov & Hutter 2017, no restarts). */
export const lrScheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant') }).strict(),
  z.object({ kind: z.literal('cosine'), final: z.number().min(0).max(1).default(0) }).strict(),
]);

export type LrSchedule = z.output<typeof lrScheduleSchema>;

/**
 * The learning rate of step `step` (0-based) of `total`: lr for `constant`; for `cosine`
 * lr·(final + (1 − final)·½·(1 + cos(π·step/total))), lr at step 0, → final·lr at the end.
 */
export function learningRate(lr: number, schedule: LrSchedule, step: number, total: number): number {
  if (schedule.kind === 'constant') return lr;
  return lr * (schedule.final + (1 - schedule.final) * 0.5 * (1 + Math.cos((Math.PI * step) / total)));
}

export const classifierSchema = z
  .object({
    kind: z.literal('classifier'),
    name: z.string().min(1).optional(),
    experiment: z.string().min(1).default('classifier'),
    seed: z.number().int().default(0),
    data: z
      .object({
        /** The only image set so far; its folder comes from SPLAM_FASHION_MNIST or the Debian path. */
        dataset: z.literal('fashion-mnist').default('fashion-mnist'),
        /** Use the first n training / test examples only (quick runs). Default: all (60,000 / 10,000). */
        trainLimit: z.number().int().min(1).optional(),
        testLimit: z.number().int().min(1).optional(),
      })
      .strict()
      .default({ dataset: 'fashion-mnist' }),
    /**
     * Channels of the two 3×3 convolutions and the feature width F. Our default 16/32/128 (half the channels of
     * the Keras MNIST example's 32/64): measured here, a step at batch 64 takes ~2.4× less than 32/64 on wasm.
     */
    architecture: z
      .object({
        conv1: z.number().int().min(1).default(16),
        conv2: z.number().int().min(1).default(32),
        features: z.number().int().min(1).default(128),
      })
      .strict()
      .default({ conv1: 16, conv2: 32, features: 128 }),
    train: z
      .object({
        /** Passes over the training set; steps = round(epochs·⌊N/batch⌋) (fractions allowed). */
        epochs: z.number().gt(0).default(5),
        batch: z.number().int().min(1).default(64),
        lr: z.number().gt(0).default(1e-3),
        /** Learning-rate schedule over the run's steps (see {@link learningRate}). Default cosine to 0. */
        schedule: lrScheduleSchema.default({ kind: 'cosine', final: 0 }),
        weightDecay: z.number().min(0).default(0),
        /** Global-norm clip (0 = none). */
        gradClip: z.number().min(0).default(0),
        logEvery: z.number().int().min(1).default(50),
        checkpointEvery: z.number().int().min(0).default(500),
      })
      .strict()
      .default({ epochs: 5, batch: 64, lr: 1e-3, schedule: { kind: 'cosine', final: 0 }, weightDecay: 0, gradClip: 0, logEvery: 50, checkpointEvery: 500 }),
    eval: z
      .object({
        /** Test accuracy every this many steps (0 = only at the end, where it always runs). */
        every: z.number().int().min(0).default(1000),
        /** Images per forward pass during evaluation (memory only). */
        batch: z.number().int().min(1).default(500),
      })
      .strict()
      .default({ every: 1000, batch: 500 }),
    /** Write the final weights here (e.g. models/classifier-fmnist.ckpt) plus `<file>.json` with config and run record. */
    export: z.string().min(1).optional(),
  })
  .strict();

export type ClassifierExperimentConfig = z.output<typeof classifierSchema>;

export interface ClassifierData {
  train: ImageSet;
  test: ImageSet;
}

export interface ClassifierState {
  net: Classifier;
  adam: Adam;
  batcher: EpochBatcher;
  data: ClassifierData;
  /** Optimisation steps done (the next step's batch is `batcher.indices(stepsDone)`). */
  stepsDone: number;
  totalSteps: number;
}

interface ClassifierTrainMeta {
  kind: 'classifier-train';
  stepsDone: number;
  adamStep: number;
}

/** Load the splits the config names. @throws DatasetError when the files are missing or corrupt. */
export function loadClassifierData(c: ClassifierExperimentConfig): ClassifierData {
  return { train: loadFashionMnist('train', { limit: c.data.trainLimit }), test: loadFashionMnist('test', { limit: c.data.testLimit }) };
}

/**
 * Network, optimiser and batcher from the seed: the network's weights from the first split of makeRng(seed), the
 * batch order from its next word. `data` defaults to the config's splits (tests pass small synthetic sets).
 */
export function setupClassifier(c: ClassifierExperimentConfig, data: ClassifierData = loadClassifierData(c)): ClassifierState {
  const [, H, W, C] = data.train.shape;
  const root = makeRng(c.seed);
  const net = makeClassifier({ height: H, width: W, channels: C, ...c.architecture, numClasses: data.train.classNames.length }, root.split());
  const adam = new Adam(net.params, { lr: c.train.lr, weightDecay: c.train.weightDecay, gradClip: c.train.gradClip });
  const batcher = new EpochBatcher(data.train.shape[0], c.train.batch, root.uint32());
  return { net, adam, batcher, data, stepsDone: 0, totalSteps: Math.max(1, Math.round(c.train.epochs * batcher.stepsPerEpoch)) };
}

/**
 * One cross-entropy step on the batch of step `s.stepsDone`, at that step's learning rate (set on the optimiser's
 * config before the update, so it depends on the step alone and resumes exactly); advances `stepsDone`. The loss
 * and gradient norm are numbers, or scalar tensors on a backend that cannot read synchronously (WebGPU:
 * {@link Adam.stepLazy}; the training loop reads them a logging window at a time).
 */
export function classifierStep(s: ClassifierState, c: ClassifierExperimentConfig): LazyStepResult {
  s.adam.config.lr = learningRate(c.train.lr, c.train.schedule, s.stepsDone, s.totalSteps);
  const { images, labels } = gatherRows(s.data.train, s.batcher.indices(s.stepsDone));
  const [, H, W, C] = s.data.train.shape;
  const x = tf.tensor4d(images, [labels.length, H, W, C]);
  try {
    const r = s.adam.stepLazy(() => crossEntropy(s.net.logits(x), labels));
    s.stepsDone += 1;
    return r;
  } finally {
    x.dispose();
  }
}

/**
 * Accuracy, mean cross-entropy and per-class accuracy of `net` on a whole set. The loss and the predicted classes
 * are computed on the active backend and read with `await` (tfjs's WebGPU backend in Node cannot read synchronously).
 */
export async function evaluateClassifier(net: Classifier, set: ImageSet, batch = 500): Promise<{ accuracy: number; loss: number; perClass: number[] }> {
  const logits = applyBatched((x) => net.logits(x), set.images, set.shape, batch);
  try {
    const [lossT, predT] = tf.tidy(() => [crossEntropy(logits, set.labels), logits.argMax(1)]);
    const [lossV, pred] = await Promise.all([lossT.data(), predT.data()]).finally(() => tf.dispose([lossT, predT]));
    const loss = lossV[0];
    const K = logits.shape[1];
    const right = new Array(K).fill(0);
    const total = new Array(K).fill(0);
    let correct = 0;
    for (let i = 0; i < set.labels.length; i++) {
      const l = set.labels[i];
      total[l]++;
      if (pred[i] === l) {
        right[l]++;
        correct++;
      }
    }
    return { accuracy: correct / set.labels.length, loss, perClass: right.map((r, k) => (total[k] ? r / total[k] : NaN)) };
  } finally {
    logits.dispose();
  }
}

export function encodeClassifierCheckpoint(s: ClassifierState): Uint8Array {
  const meta: ClassifierTrainMeta = { kind: 'classifier-train', stepsDone: s.stepsDone, adamStep: s.adam.state.step };
  return encodeCheckpoint({ meta, tensors: [...paramTensors('net', s.net.params), ...paramTensors('adam.m', s.adam.state.m), ...paramTensors('adam.v', s.adam.state.v)] });
}

export function restoreClassifier(s: ClassifierState, bytes: Uint8Array): void {
  const ck = decodeCheckpoint<ClassifierTrainMeta>(bytes);
  if (ck.meta.kind !== 'classifier-train') throw new Error(`not a classifier training checkpoint (kind ${String(ck.meta.kind)})`);
  for (const [prefix, set] of [['net', s.net.params], ['adam.m', s.adam.state.m], ['adam.v', s.adam.state.v]] as const) {
    const missing = restoreParams(ck, prefix, set);
    if (missing.length) throw new Error(`checkpoint lacks ${prefix}/${missing[0]}`);
  }
  s.adam.state.step = ck.meta.adamStep;
  s.stepsDone = ck.meta.stepsDone;
}

export function disposeClassifier(s: ClassifierState): void {
  disposeParams(s.net.params);
  s.adam.dispose();
}

/** Meta of an exported classifier (models/*.ckpt): the architecture and where the weights came from. */
export interface ClassifierMeta {
  kind: 'classifier';
  classifier: ClassifierConfig;
  classNames: string[];
  source: Record<string, unknown>;
}

/**
 * Write a classifier's config and weights (tensor prefix `net/`), its folder made first, with the store's atomic
 * writer ({@link writeModelFile}: a per-process temp file doctor recognises, fsync, rename).
 */
export function writeClassifierCheckpoint(file: string, net: Classifier, classNames: readonly string[], source: Record<string, unknown>): void {
  const meta: ClassifierMeta = { kind: 'classifier', classifier: net.config, classNames: [...classNames], source };
  writeModelFile(file, encodeCheckpoint({ meta, tensors: paramTensors('net', net.params) }));
}

/** @throws ConfigError naming the file when it cannot be read or is not a classifier checkpoint. */
export function readClassifierCheckpoint(file: string): Checkpoint<ClassifierMeta> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError(file, [{ path: 'checkpoint', value: file, message: `cannot read the checkpoint (${(err as NodeJS.ErrnoException).code ?? String(err)})`, allowed: 'a file written by a classifier run with "export" (e.g. models/classifier-fmnist.ckpt)' }]);
  }
  try {
    const ck = decodeCheckpoint<ClassifierMeta>(bytes);
    if (ck.meta?.kind !== 'classifier' || !ck.meta.classifier) throw new Error(`not a classifier checkpoint (meta.kind ${String(ck.meta?.kind)})`);
    return ck;
  } catch (err) {
    throw new ConfigError(file, [{ path: 'checkpoint', value: file, message: (err as Error).message }]);
  }
}

/** The network of an exported checkpoint, weights restored. @throws Error when a weight is missing. */
export function loadClassifier(ck: Checkpoint<ClassifierMeta>): Classifier {
  const net = makeClassifier(ck.meta.classifier, makeRng(0));
  const missing = restoreParams(ck, 'net', net.params);
  if (missing.length) {
    disposeParams(net.params);
    throw new Error(`classifier checkpoint lacks net/${missing[0]}`);
  }
  return net;
}

export async function runClassifier(c: ClassifierExperimentConfig, ctx: ExperimentContext): Promise<KindResult> {
  const s = setupClassifier(c);
  const evalAt = async (step: number) => {
    const e = await evaluateClassifier(s.net, s.data.test, c.eval.batch);
    ctx.run.logMetrics({ 'test/accuracy': e.accuracy, 'test/loss': e.loss }, step);
    return e;
  };
  try {
    if (ctx.resume) restoreClassifier(s, ctx.resume);
    const result = await trainAsRun(ctx, {
      startStep: s.stepsDone,
      totalSteps: s.totalSteps,
      logEvery: c.train.logEvery,
      checkpointEvery: c.train.checkpointEvery,
      step: async () => {
        const r = classifierStep(s, c);
        if (c.eval.every > 0 && s.stepsDone % c.eval.every === 0 && s.stepsDone < s.totalSteps) await evalAt(s.stepsDone);
        return r;
      },
      encode: () => encodeClassifierCheckpoint(s),
    });
    const summary = trainingSummary(result, countParams(s.net.params));
    if (result.stopped) return stoppedResult(ctx, result, summary);
    const final = await evalAt(result.stepsDone);
    summary['train/epochs'] = result.stepsDone / s.batcher.stepsPerEpoch;
    summary['test/accuracy'] = final.accuracy;
    summary['test/loss'] = final.loss;
    await ctx.run.flush();
    let exported = '';
    if (c.export) {
      writeClassifierCheckpoint(c.export, s.net, s.data.train.classNames, { runId: ctx.run.id, experiment: c.experiment, steps: result.stepsDone, testAccuracy: final.accuracy });
      const sidecar = { file: c.export, runId: ctx.run.id, config: c, summary, run: ctx.run.record() };
      writeModelFile(`${c.export}.json`, JSON.stringify(sidecar, null, 2) + '\n');
      exported = `\nweights written to ${c.export} (+ .json with config and run record)`;
    }
    const names = s.data.test.classNames;
    const lines = [
      `classifier ${c.architecture.conv1}/${c.architecture.conv2}/${c.architecture.features} (${countParams(s.net.params)} params), ${result.stepsDone} steps = ${summary['train/epochs'].toFixed(2)} epochs`,
      `  test accuracy ${(100 * final.accuracy).toFixed(2)}% (${s.data.test.shape[0]} images), test loss ${final.loss.toFixed(4)}, final train loss ${summary['train/loss_final'].toFixed(4)}`,
      ...final.perClass.map((a, k) => `    ${names[k].padEnd(12)} ${(100 * a).toFixed(1)}%`),
    ];
    return { summary, report: lines.join('\n') + exported };
  } finally {
    disposeClassifier(s);
  }
}
