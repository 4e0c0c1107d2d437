/**
 * One writer process of bench/store-backends.ts: opens the store, prints `ready`, waits for a line on stdin (the
 * start barrier), then logs `runs` runs × `points` points through the public API (startRun, logMetric per point,
 * finish with a summary) and prints `done`.
 * argv: <location> <writer> <runs> <points> <first run number>
 */
import { createInterface } from 'node:readline';
import { openStore } from '../lib/track/index.js';

const [location, writer, runs, points, first] = process.argv.slice(2);
const NO_GIT = { gitCommit: null, gitDirty: null, gitBranch: null };
const ks = [10, 20, 40, 80];
const gammas = ['one', 'uniform', 'beta'];
const store = await openStore(location);
process.stdout.write('ready\n');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
for (let r = 0; r < Number(runs); r++) {
  const i = Number(first) + r;
  // A fixed pseudo-random fid per run, so that a filter selects the same share on both backends.
  const fid = 5 + ((i * 2654435761) % 2 ** 32) / 2 ** 32 * 20;
  const run = await store.startRun({
    experiment: `exp-${i % 10}`,
    params: { k: ks[i % 4], lr: [1e-4, 3e-4, 1e-3][i % 3], gamma: gammas[i % 3], seed: i, loss: { kind: 'pseudoHuber', c: 0.03 }, ema: { mu: 0.95 } },
    tags: { paper: 'table2', writer },
    seed: i,
    provenance: NO_GIT,
  });
  for (let s = 0; s < Number(points); s++) run.logMetric('loss', fid * Math.exp(-s / 200), s);
  await run.finish({ fid });
}
await store.close();
process.stdout.write('done\n', () => process.exit(0)); // stdin may still be open
