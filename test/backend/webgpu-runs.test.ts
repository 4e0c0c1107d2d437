// `splam run` on WebGPU (Mesa's software adapter here and in CI) against the native backend, same configs and
// seeds — quick distill (LCM and SPLAM), SPLAD and image-eval runs: the training losses, the evaluation metrics and the
// checkpoints agree within a stated tolerance, the
// checkpoint is in the same file format (same meta, same tensors and shapes), and a non-finite loss stops both
// runs at the same step. Each run is a child process (the backend is a property of the process).
//
// Tolerance: 2e-2 relative on losses and continuous metrics (absolute 2e-3 near zero). Why not tighter: WebGPU
// computes in float32 with its own summation order and without the native backend's fused float64 AdamW, so the
// parameters drift apart by float32 rounding that Adam's division by √v amplifies over the steps (test/backend/
// webgpu.test.ts measures 1e-4 on single ops and 1e-3 after five Adam steps); sample metrics then move by more than
// the parameters. A wrong kernel or a missed update moves them by orders of magnitude more (a stale step: ~10 %).
// Discrete metrics (coverage, counts) are compared exactly only where both sides are far from a threshold, so
// they are left out here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCheckpoint } from '../../lib/train/checkpoint.js';
import { runInterrupted } from '../interrupt.js';

const bin = new URL('../../bin/splam.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'splam-webgpu-runs-'));
const REL_TOL = 2e-2;
const ABS_TOL = 2e-3;

/** A tiny distillation config (LCM with γ ≡ 1, or SPLAM). */
function distillConfig(name: string, over: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      kind: 'distill',
      name,
      experiment: 'webgpu-check',
      seed: 3,
      data: { type: 'mixture', mixture: { type: 'ring', modes: 8, radius: 2, variance: 0.05 } },
      student: { architecture: { hidden: 32, blocks: 2, timeEmbedDim: 16 }, gammaEmbedDim: 16 },
      train: { steps: 16, batch: 64, logEvery: 8, checkpointEvery: 8 },
      eval: { samples: 64, steps: [1, 2], referenceSubsteps: 20, baselines: ['ddim'] },
      ...over,
    }),
  );
  return file;
}

interface RunOut {
  code: number | null;
  stderr: string;
  summary: Record<string, number>;
  runId: string;
  store: string;
}

function run(config: string, backend: 'webgpu' | 'native', extra: string[] = []): RunOut {
  const store = mkdtempSync(join(dir, `store-${backend}-`));
  const r = spawnSync(process.execPath, [bin, 'run', config, '--json', ...extra], {
    env: { ...process.env, SPLAM_STORE: store, SPLAM_BACKEND: backend },
    encoding: 'utf8',
    timeout: 480_000,
  });
  let parsed: { summary?: Record<string, number>; runId?: string } = {};
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    // a failed run prints its error on stderr, not JSON
  }
  return { code: r.status, stderr: r.stderr, summary: parsed.summary ?? {}, runId: parsed.runId ?? '', store };
}

function checkpointOf(o: RunOut) {
  const runs = readdirSync(join(o.store, 'runs'));
  assert.equal(runs.length, 1);
  return decodeCheckpoint<Record<string, unknown>>(new Uint8Array(readFileSync(join(o.store, 'runs', runs[0], 'artifacts', 'checkpoint.bin'))));
}

/**
 * Every summary value of `native` is matched by `webgpu`: continuous metrics within the tolerance; k-NN precision
 * and recall (fractions of the n samples) within 2/n, two samples changing side; times and counts are left out.
 */
function assertClose(webgpu: Record<string, number>, native: Record<string, number>, what: string, n = 0): void {
  const keys = Object.keys(native).filter((k) => !/coverage|count|highQuality|\/n$|params|steps$|\/ms|s_per_1000|\/nfe$|^samples$/.test(k));
  assert.ok(keys.length > 5, `${what}: only ${keys.length} metrics to compare`);
  const bad: string[] = [];
  for (const k of keys) {
    const a = webgpu[k];
    const b = native[k];
    const tol = /precision|recall/.test(k) && n > 0 ? 2 / n : Math.max(ABS_TOL, REL_TOL * Math.abs(b));
    if (!(Math.abs(a - b) <= tol)) bad.push(`${k}: webgpu ${a} vs native ${b}`);
  }
  assert.deepEqual(bad, [], `${what}: metrics outside the tolerance`);
}

/** Checkpoints of two runs: the same meta and tensor names and shapes, values within the tolerance. */
function assertSameCheckpoint(gpu: RunOut, cpu: RunOut): void {
  const a = checkpointOf(gpu);
  const b = checkpointOf(cpu);
  assert.deepEqual(a.meta, b.meta, 'the same steps, rng states and Adam step');
  assert.deepEqual(a.tensors.map((t) => [t.name, t.shape]), b.tensors.map((t) => [t.name, t.shape]));
  let worst = 0;
  for (let i = 0; i < a.tensors.length; i++) {
    const x = a.tensors[i].data;
    const y = b.tensors[i].data;
    let scale = 0;
    let diff = 0;
    for (let j = 0; j < x.length; j++) {
      scale = Math.max(scale, Math.abs(y[j]));
      diff = Math.max(diff, Math.abs(x[j] - y[j]));
    }
    worst = Math.max(worst, diff / Math.max(scale, 1e-3));
  }
  assert.ok(worst < REL_TOL, `checkpoint tensors differ by ${worst} relative`);
}

for (const [name, gamma] of [
  ['lcm', { kind: 'fixed', value: 1 }],
  ['splam', { kind: 'uniform' }],
] as const) {
  test(`a quick ${name.toUpperCase()} distill run on webgpu matches native: losses, metrics and the checkpoint (same format, meta, tensors) within ${REL_TOL}`, () => {
    const config = distillConfig(name, { objective: { gamma } });
    const gpu = run(config, 'webgpu');
    assert.equal(gpu.code, 0, gpu.stderr);
    const cpu = run(config, 'native');
    assert.equal(cpu.code, 0, cpu.stderr);
    assert.equal(gpu.summary['train/steps'], 16);
    assertClose(gpu.summary, cpu.summary, name);
    assertSameCheckpoint(gpu, cpu);
  });
}

const quick = (kind: string) => fileURLToPath(new URL(`../../experiments/quick/${kind}.json`, import.meta.url));

test('the quick SPLAD run (latent U-Net student, guided latent teacher) on webgpu matches native: losses, FID / precision / recall at 1 and 2 steps, the checkpoint', () => {
  const gpu = run(quick('splad'), 'webgpu');
  assert.equal(gpu.code, 0, gpu.stderr);
  const cpu = run(quick('splad'), 'native');
  assert.equal(cpu.code, 0, cpu.stderr);
  assert.equal(gpu.summary['train/steps'], 10);
  assertClose(gpu.summary, cpu.summary, 'splad', 40);
  assertSameCheckpoint(gpu, cpu);
});

test('the quick image-eval run (teacher solvers, two committed students, reconstructions, the data floor) on webgpu matches native', () => {
  const gpu = run(quick('image-eval'), 'webgpu');
  assert.equal(gpu.code, 0, gpu.stderr);
  const cpu = run(quick('image-eval'), 'native');
  assert.equal(cpu.code, 0, cpu.stderr);
  assert.ok(Object.keys(cpu.summary).some((k) => k.endsWith('/fid')));
  assertClose(gpu.summary, cpu.summary, 'image-eval', 40);
});

test('a diverging run stops on webgpu at the same step as on native (non-finite loss detected per step, no checkpoint after it)', () => {
  const config = distillConfig('diverge', { train: { steps: 40, batch: 32, logEvery: 20, checkpointEvery: 5, lr: 1e30 }, eval: { samples: 16, steps: [1], referenceSubsteps: 10, baselines: [] } });
  const gpu = run(config, 'webgpu');
  const cpu = run(config, 'native');
  const stepOf = (o: RunOut) => /training stopped at step (\d+): (\w+) is/.exec(o.stderr)?.slice(1, 3);
  assert.notEqual(cpu.code, 0);
  assert.notEqual(gpu.code, 0);
  assert.ok(stepOf(cpu), cpu.stderr);
  assert.deepEqual(stepOf(gpu), stepOf(cpu), `webgpu: ${gpu.stderr.split('\n').find((l) => l.includes('stopped'))}`);
});

test('a run interrupted on webgpu resumes on native from its checkpoint and ends where the uninterrupted native run ends (within the tolerance)', async () => {
  const config = distillConfig('resume', { train: { steps: 16, batch: 64, logEvery: 2, checkpointEvery: 2 } });
  const straight = run(config, 'native');
  assert.equal(straight.code, 0, straight.stderr);
  const store = mkdtempSync(join(dir, 'store-resume-'));
  const env = { ...process.env, SPLAM_STORE: store };
  const { code, stdout, stderr } = await runInterrupted([bin, 'run', config, '--json'], { ...env, SPLAM_BACKEND: 'webgpu' }, (err) => /splam run: [2-9]\/16/.test(err));
  assert.equal(code, 130, stderr);
  const interrupted = JSON.parse(stdout) as { runId: string; summary: Record<string, number> };
  assert.ok(interrupted.summary['train/steps'] < 16, `stopped early: ${interrupted.summary['train/steps']}`);
  const resumed = spawnSync(process.execPath, [bin, 'resume', interrupted.runId, '--json'], { env: { ...env, SPLAM_BACKEND: 'native' }, encoding: 'utf8', timeout: 300_000 });
  assert.equal(resumed.status, 0, resumed.stderr);
  const out = JSON.parse(resumed.stdout) as { summary: Record<string, number> };
  assert.equal(out.summary['train/steps'], 16);
  const a = out.summary['train/loss_final'];
  const b = straight.summary['train/loss_final'];
  assert.ok(Math.abs(a - b) <= REL_TOL * Math.abs(b), `resumed ${a} vs uninterrupted ${b}`);
});
