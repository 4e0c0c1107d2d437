/**
 * `kind: "classifier"`: train the Fashion-MNIST CNN (lib/nn/classifier.ts) whose penultimate layer is the feature
 * space of the image tier's FID and precision/recall. Cross-entropy, AdamW, mini-batches drawn by seed one epoch
 * at a time (lib/data/fashion-mnist.ts `EpochBatcher`, so a resumed run sees exactly the batches it would have);
 * `train/loss` and `train/grad_norm` series, `test/accuracy` and `test/loss` on the whole test split every
 * `eval.every` steps and at the end; checkpoints and resume like the teacher; the final weights can be exported to
 * models/ (`<file>` + `<file>.json` with the config, summary and run record).
 */
import * as tf from '@tensorflow/tfjs';
import { EpochBatcher, gatherRows, loadFashionMnist, type ImageSet } from '../../data/fashion-mnist.js';
import { makeRng } from '../../data/rng.js';
import { applyBatched, crossEntropy, makeClassifier, type Classifier } from '../../nn/classifier.js';
import { countParams, disposeParams } from '../../nn/params.js';
import { Adam, type LazyStepResult } from '../../train/adam.js';
import { learningRate } from '../../train/lr-schedule.js';
import { writeModelFile } from '../model-files.js';
import { writeClassifierCheckpoint } from './model.js';
import type { ClassifierExperimentConfig } from './config.js';
import type { ExperimentContext, KindResult } from '../kind.js';
import type { Trained, TrainingMonitor } from '../training-kind.js';



export interface ClassifierData {
  train: ImageSet;
  test: ImageSet;
}

export interface ClassifierState {
  net: Classifier;
  adam: Adam;
  batcher: EpochBatcher;
  data: ClassifierData;
  /** Steps in all: round(epochs·⌊N/batch⌋). */
  totalSteps: number;
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
  return { net, adam, batcher, data, totalSteps: Math.max(1, Math.round(c.train.epochs * batcher.stepsPerEpoch)) };
}

/**
 * Cross-entropy step `step` on that step's batch, at that step's learning rate (set on the optimiser's config
 * before the update, so it depends on the step alone and resumes exactly). The loss
 * and gradient norm are numbers, or scalar tensors on a backend that cannot read synchronously (WebGPU:
 * {@link Adam.stepLazy}; the training loop reads them a logging window at a time).
 */
export function classifierStep(s: ClassifierState, c: ClassifierExperimentConfig, step: number): LazyStepResult {
  s.adam.config.lr = learningRate(c.train.lr, c.train.schedule, step, s.totalSteps);
  const { images, labels } = gatherRows(s.data.train, s.batcher.indices(step));
  const [, H, W, C] = s.data.train.shape;
  const x = tf.tensor4d(images, [labels.length, H, W, C]);
  try {
    return s.adam.stepLazy(() => crossEntropy(s.net.logits(x), labels));
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

export function disposeClassifier(s: ClassifierState): void {
  disposeParams(s.net.params);
  s.adam.dispose();
}

/** Test accuracy and loss on the whole test split, logged at `step`. */
async function testAt(s: ClassifierState, c: ClassifierExperimentConfig, ctx: ExperimentContext, step: number) {
  const e = await evaluateClassifier(s.net, s.data.test, c.eval.batch);
  ctx.run.logMetrics({ 'test/accuracy': e.accuracy, 'test/loss': e.loss }, step);
  return e;
}

/** The test evaluation every `eval.every` steps (not at the last step: the final evaluation runs there). */
export function classifierMonitor(s: ClassifierState, c: ClassifierExperimentConfig, ctx: ExperimentContext): TrainingMonitor {
  return {
    after: async (done) => {
      if (c.eval.every > 0 && done % c.eval.every === 0 && done < s.totalSteps) await testAt(s, c, ctx, done);
    },
  };
}

/** After training: the final test evaluation, the export (`export`), the report with per-class accuracy. */
export async function finishClassifier(s: ClassifierState, c: ClassifierExperimentConfig, ctx: ExperimentContext, { result, summary }: Trained): Promise<KindResult> {
  const final = await testAt(s, c, ctx, result.stepsDone);
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
}
