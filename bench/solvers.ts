/**
 * bench/solvers: error against the exact flow vs NFE for every training-free solver on a 2-D and a 64-D mixture
 * (experiments/solvers.json), and the exact teacher's throughput in points per second, beside a numpy peer
 * computing the same ε* in the same run. Prints tables; saves bench/results/solvers.json with machine and backend.
 *
 *   npm run bench:solvers            (SPLAM_BACKEND=cpu|wasm to pick the backend)
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend.js';
import { makeMixture, mixtureDenoiser } from '../lib/analytic/mixture.js';
import { makeSchedule } from '../lib/diffusion/schedules.js';
import { mixtureFromConfig } from '../lib/experiments/mixture-config.js';
import { parseConfig, readConfigFile } from '../lib/config.js';
import { solverComparisonSchema } from '../lib/experiments/solver-comparison/config.js';
import { formatSolverTable, runSolverComparison } from '../lib/experiments/solver-comparison/run.js';
import { machineInfo, medianMs, pythonWithNumpy, saveResult } from './common.js';

const here = dirname(fileURLToPath(import.meta.url));
const configFile = join(here, '..', 'experiments', 'solvers.json');

const backend = await initBackend();
const config = parseConfig(solverComparisonSchema, readConfigFile(configFile), configFile);
const t0 = performance.now();
const comparison = await runSolverComparison(config, ({ done, total }) => {
  if (done === total || done % 10 === 0) process.stderr.write(`  solver grid ${done}/${total}\n`);
});
const comparisonSeconds = (performance.now() - t0) / 1000;
console.log(`\nSame-noise RMS error at t = 0 against RK4 (${config.referenceSubsteps} steps), ${config.samples} samples`);
console.log(formatSolverTable(comparison));

// Exact-teacher throughput: ε*(x, t) at t = 500 on each data set, batch 4096.
const schedule = makeSchedule({ name: 'scaled-linear' });
const batch = 4096;
const t = 500;
const throughput: { dataset: string; dim: number; components: number; ours: number; numpy?: number; ratio?: number }[] = [];
const peerCases: unknown[] = [];
for (const ds of config.datasets) {
  const spec = mixtureFromConfig(ds.mixture);
  const m = makeMixture(spec);
  const den = mixtureDenoiser(m, schedule);
  const x = tf.randomNormal([batch, m.D], 0, 1, 'float32', 0);
  const ms = await medianMs(() => den(x, t).dispose(), 7);
  x.dispose();
  throughput.push({ dataset: ds.name, dim: m.D, components: m.K, ours: (batch / ms) * 1000 });
  const variances = spec.variances.map((v) => (typeof v === 'number' ? new Array(m.D).fill(v) : v));
  peerCases.push({ label: ds.name, batch, repeats: 7, alpha: schedule.alpha(t), sigma: schedule.sigma(t), weights: spec.weights, means: spec.means, variances });
}
const py = pythonWithNumpy();
let numpyVersion: string | undefined;
if (py) {
  const out = JSON.parse(execFileSync(py, [join(here, 'peers', 'gmm_eps.py')], { input: JSON.stringify({ cases: peerCases }) }).toString()) as {
    numpy: string;
    throughput: Record<string, number>;
  };
  numpyVersion = out.numpy;
  for (const row of throughput) {
    row.numpy = out.throughput[row.dataset];
    row.ratio = row.numpy ? row.numpy / row.ours : undefined;
  }
}
console.log(`\nExact teacher ε*(x, t=${t}) throughput, batch ${batch} (points/s)${py ? `; peer numpy ${numpyVersion} (${py}), same formula, float32` : '; no numpy peer found'}`);
console.log(['dataset'.padEnd(10), 'D'.padStart(4), 'K'.padStart(4), 'splam-lab'.padStart(12), 'numpy'.padStart(12), 'time ratio ours/numpy'.padStart(22)].join(' '));
for (const r of throughput) {
  console.log(
    [r.dataset.padEnd(10), String(r.dim).padStart(4), String(r.components).padStart(4), r.ours.toExponential(3).padStart(12), (r.numpy?.toExponential(3) ?? '—').padStart(12), (r.ratio?.toFixed(2) ?? '—').padStart(22)].join(' '),
  );
}
const machine = machineInfo(backend);
const file = saveResult('solvers', { machine, config, comparisonSeconds, comparison, throughput: { t, batch, rows: throughput, peer: py ? { numpy: numpyVersion, python: py } : null } });
console.log(`\n${machine.cpu}, ${machine.cores} cores, node ${machine.node}, tfjs ${machine.tfjs}, backend ${machine.backend}; saved ${file}`);
