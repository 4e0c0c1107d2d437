/**
 * The floor of the image-tier metrics: FID and improved precision/recall between REAL image sets, on the
 * penultimate features of the trained Fashion-MNIST classifier, recorded as its own run in the store:
 *   node --import tsx scripts/fid-floor.ts [models/classifier-fmnist.ckpt] [--n 10000] [--seed 0] [--k 3]
 * Compares n training images (a seeded random subset) against n test images (the first n; all 10,000 by default),
 * and against n other training images (disjoint from the first). A generator cannot be expected to score below
 * these: they are what finite samples of the data itself score.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend.js';
import { loadFashionMnist, shuffledIndices, gatherRows, type ImageSet } from '../lib/data/fashion-mnist.js';
import { makeRng } from '../lib/data/rng.js';
import { loadClassifier, readClassifierCheckpoint } from '../lib/experiments/classifier/model.js';
import { featureStats, frechetDistance, type GaussianStats } from '../lib/metrics/fid.js';
import { trace } from '../lib/metrics/linalg.js';
import { precisionRecall } from '../lib/metrics/precision-recall.js';
import { applyBatched, type Classifier } from '../lib/nn/classifier.js';
import { openStore, withRun } from '../lib/track/index.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`fid-floor: --${name} must be an integer ≥ 0 (got ${process.argv[i + 1]})`);
    process.exit(2);
  }
  return v;
}
const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(i > 0 && all[i - 1].startsWith('--')));
const file = positional[0] ?? 'models/classifier-fmnist.ckpt';
const n = option('n', 10000);
const seed = option('seed', 0);
const k = option('k', 3);

const backend = await initBackend();
const ck = readClassifierCheckpoint(file);
const net = loadClassifier(ck);
const train = loadFashionMnist('train');
const test = loadFashionMnist('test');
if (n < k + 1 || 2 * n > train.shape[0] || n > test.shape[0]) {
  console.error(`fid-floor: --n ${n} must be in [${k + 1}, ${Math.min(train.shape[0] / 2, test.shape[0])}]`);
  process.exit(2);
}

/** Features [rows, F] of the given rows of a set. */
function featuresOf(c: Classifier, set: ImageSet, rows: ArrayLike<number>): tf.Tensor2D {
  const { images } = gatherRows(set, rows);
  return applyBatched((x) => c.features(x), images, [rows.length, ...set.shape.slice(1)] as [number, number, number, number], 500);
}

const store = await openStore();
try {
  const params = { checkpoint: file, classifierRun: String(ck.meta.source.runId ?? ''), n, seed, k, features: ck.meta.classifier.features };
  await withRun(store, { experiment: 'image-metrics', name: `fid floor ${file}`, params, backend, seed }, async (run) => {
    const order = shuffledIndices(train.shape[0], makeRng(seed));
    const t0 = performance.now();
    const trainA = featuresOf(net, train, order.subarray(0, n));
    const trainB = featuresOf(net, train, order.subarray(n, 2 * n));
    const testF = featuresOf(net, test, Int32Array.from({ length: n }, (_, i) => i));
    const tFeatures = (performance.now() - t0) / 1000;
    const ts = performance.now();
    const stats = new Map<tf.Tensor2D, GaussianStats>(await Promise.all([trainA, trainB, testF].map(async (x) => [x, await featureStats(x)] as const)));
    const tStats = (performance.now() - ts) / 1000;
    const rows: [string, tf.Tensor2D, tf.Tensor2D][] = [
      ['train_vs_test', trainA, testF],
      ['train_vs_train', trainA, trainB],
    ];
    const F = ck.meta.classifier.features;
    const traces = { train_a: trace(stats.get(trainA)!.cov, F), train_b: trace(stats.get(trainB)!.cov, F), test: trace(stats.get(testF)!.cov, F) };
    const summary: Record<string, number> = { 'time/features_s': tFeatures, 'time/stats_s': tStats };
    for (const [set, t] of Object.entries(traces)) summary[`trace_cov/${set}`] = t;
    const report = [
      `FID floor on the ${F}-D penultimate features of ${file} (run ${params.classifierRun}), n = ${n} per set, k = ${k}`,
      `  tr Σ: train A ${traces.train_a.toFixed(3)}, train B ${traces.train_b.toFixed(3)}, test ${traces.test.toFixed(3)}`,
    ];
    for (const [label, real, other] of rows) {
      const t1 = performance.now();
      const f = frechetDistance(stats.get(real)!, stats.get(other)!);
      const t2 = performance.now();
      const pr = await precisionRecall(real, other, { k });
      const t3 = performance.now();
      Object.assign(summary, {
        [`fid/${label}`]: f.fid,
        [`fid_mean_term/${label}`]: f.meanTerm,
        [`fid_trace_term/${label}`]: f.traceTerm,
        [`precision/${label}`]: pr.precision,
        [`recall/${label}`]: pr.recall,
        [`time/fid_${label}_s`]: (t2 - t1) / 1000,
        [`time/pr_${label}_s`]: (t3 - t2) / 1000,
      });
      report.push(
        `  ${label.padEnd(15)} FID ${f.fid.toFixed(4)} (mean term ${f.meanTerm.toFixed(4)}, trace term ${f.traceTerm.toFixed(4)}, clamped eigenvalue ${f.clampedEigenvalue.toExponential(1)}); ` +
          `precision ${pr.precision.toFixed(4)}, recall ${pr.recall.toFixed(4)}  [FID ${((t2 - t1) / 1000).toFixed(2)} s, P/R ${((t3 - t2) / 1000).toFixed(2)} s]`,
      );
    }
    report.push(`  features of ${3 * n} images: ${tFeatures.toFixed(1)} s; mean and covariance of the three sets: ${tStats.toFixed(2)} s`);
    run.logMetrics(summary);
    await run.setSummary(summary);
    await run.logArtifact('report.txt', report.join('\n') + '\n', { kind: 'text' });
    console.log(report.join('\n'));
    console.log(`\nrecorded as run ${run.id}`);
    tf.dispose([trainA, trainB, testF]);
  });
} finally {
  await store.close();
}
