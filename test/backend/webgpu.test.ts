// WebGPU (tfjs-backend-webgpu on Dawn, npm `webgpu`) against the cpu backend.
//
// The backend is a property of the process, so this file runs itself as a child with SPLAM_BACKEND=webgpu
// (SPLAM_WEBGPU_TEST_CHILD=1 selects that mode): the child computes every case on WebGPU and prints the numbers
// as JSON; the test process computes the same cases on cpu and compares. On a machine without a GPU the adapter is
// Mesa's software OpenGL ES (Debian: libegl1 libegl-mesa0 libegl-dev libgl1-mesa-dri;
// Dawn dlopens the unversioned libEGL.so, which only libegl-dev provides). When no adapter is found the
// tests FAIL with the backend's message: they never skip, so a CI machine without those packages is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { activeBackendHas, initBackend, type BackendInfo } from '../../lib/backend.js';
import { ADAMW_DEVICE_KERNEL } from '../../lib/backend/kernels/webgpu-adamw.js';
import { makeRng } from '../../lib/data/rng.js';
import { makeMlp } from '../../lib/nn/mlp.js';
import { readScalars } from '../../lib/backend/reads.js';
import type { ParamSet } from '../../lib/nn/params.js';
import { Adam, type Reading } from '../../lib/train/adam.js';

const SELF = fileURLToPath(import.meta.url);
const CHILD_FLAG = 'SPLAM_WEBGPU_TEST_CHILD';
/** Relative tolerance: ‖webgpu − cpu‖∞ / ‖cpu‖∞ for every case (float32 with a different summation order). */
const REL_TOL = 1e-4;
/** The AdamW losses: five steps let the two backends' rounding grow (Adam divides by √v), so 1e-3 there. */
const ADAM_CASE = 'adam losses (5 lazy steps)';
const ADAM_TOL = 1e-3;
/** The parameters and both moments after those five steps (on webgpu through the device AdamW kernel), also at ADAM_TOL. */
const ADAM_STATE_CASES = ['adam params after 5 lazy steps', 'adam m after 5 lazy steps', 'adam v after 5 lazy steps'];
const ADAM_CASES = new Set([ADAM_CASE, ...ADAM_STATE_CASES]);
/**
 * The optimizer's share of one stepLazy (kernels and GPU dispatches of the step less those of its forward+backward):
 * at most this many per parameter tensor plus {@link OPT_CONST}. With the device AdamW kernel it is 1 kernel (3
 * dispatches) per parameter plus the global norm's Square, Sum and Add; the composed update alone is ~30
 * kernels (~21 dispatches) per tensor.
 */
const OPT_KERNELS_PER_PARAM = 4;
const OPT_DISPATCHES_PER_PARAM = 6;
const OPT_CONST = 16;

type Results = Record<string, number[]>;

/** Every case, computed on the active backend from seeded inputs (the same in both processes). Async reads only. */
async function computeCases(): Promise<Results> {
  const rng = makeRng(7);
  const randn = (shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
  const out: Results = {};
  const keep = async (name: string, t: tf.Tensor) => {
    out[name] = Array.from(await t.data());
    t.dispose();
  };

  const a = randn([64, 96]);
  const b = randn([96, 48]);
  const bt = randn([48, 96]);
  await keep('matmul [64,96]x[96,48]', tf.matMul(a, b));
  await keep('matmul [64,96]x[48,96]^T', tf.matMul(a, bt, false, true));

  // More inputs than a shader may bind (8 storage buffers on Mesa's compatibility adapter): stock AddN gave zeros.
  const many = Array.from({ length: 20 }, () => randn([3, 5]));
  await keep('addN of 20 tensors [3,5]', tf.addN(many));
  await keep('concat of 20 tensors [3,5]', tf.concat(many));
  tf.dispose(many);

  const x = randn([2, 9, 9, 3]);
  const f = randn([3, 3, 3, 4]);
  await keep('conv2d x=[2,9,9,3] f=[3,3,3,4] s=1 p=same', tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'));
  await keep('conv2d x=[2,9,9,3] f=[3,3,3,4] s=2 p=valid', tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid'));

  const net = makeMlp({ dim: 2, hidden: 32, blocks: 2, timeEmbedDim: 16, gammaEmbedDim: 8 }, rng);
  const xs = randn([16, 2]);
  const ts = tf.tensor1d(Array.from({ length: 16 }, () => rng.int(1000)));
  const gammas = tf.tensor1d(Array.from({ length: 16 }, () => rng.uniform()));
  const target = randn([16, 2]);
  await keep('mlp forward', net.apply(xs, ts, gammas));

  const vars = [...net.params.values()];
  const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(target, net.apply(xs, ts, gammas)) as tf.Scalar, vars);
  await keep('mlp loss', value);
  for (const [name, v] of net.params) await keep(`mlp grad ${name}`, grads[v.name]);
  value.dispose();

  // Training without a synchronous read: five AdamW steps through stepLazy on the same batch (on webgpu the losses
  // come back as tensors and are read at the end in one transfer, as the training loop reads a logging window).
  const adam = new Adam(net.params, { lr: 1e-3, weightDecay: 0.01 });
  const readings: Reading[] = [];
  for (let i = 0; i < 5; i++) {
    const r = adam.stepLazy(() => tf.losses.meanSquaredError(target, net.apply(xs, ts, gammas)) as tf.Scalar);
    readings.push(r.loss);
    if (typeof r.gradNorm !== 'number') r.gradNorm.dispose();
  }
  const lazy = readings.filter((r): r is tf.Scalar => typeof r !== 'number');
  const read = await readScalars(lazy);
  tf.dispose(lazy);
  let j = 0;
  out[ADAM_CASE] = readings.map((r) => (typeof r === 'number' ? r : read[j++]));
  const [paramsCase, mCase, vCase] = ADAM_STATE_CASES;
  out[paramsCase] = await flat([...net.params.values()]);
  out[mCase] = await flat([...adam.state.m.values()]);
  out[vCase] = await flat([...adam.state.v.values()]);
  adam.dispose();
  return out;
}

/** Every element of these tensors, in order, as one array. */
async function flat(ts: tf.Tensor[]): Promise<number[]> {
  return (await Promise.all(ts.map((t) => t.data()))).flatMap((d) => Array.from(d));
}

/** What only the webgpu child checks: the device AdamW kernel is in use, skips a NaN step, and its kernel count. */
interface GpuChecks {
  deviceAdamW: boolean;
  nanStep: { lossIsNaN: boolean; paramsChanged: number; mChanged: number; vChanged: number };
  optimizer: { params: number; fused: OptCount; composed: OptCount };
}
interface OptCount {
  kernels: number;
  dispatches: number;
}

async function computeGpuChecks(): Promise<GpuChecks> {
  const deviceAdamW = activeBackendHas(ADAMW_DEVICE_KERNEL);
  const rng = makeRng(11);
  const randn = (shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
  const net = makeMlp({ dim: 2, hidden: 32, blocks: 2, timeEmbedDim: 16, gammaEmbedDim: 8 }, rng);
  const xs = randn([16, 2]);
  const ts = tf.tensor1d(Array.from({ length: 16 }, () => rng.int(1000)));
  const gammas = tf.tensor1d(Array.from({ length: 16 }, () => rng.uniform()));
  const target = randn([16, 2]);
  const lossFn = () => tf.losses.meanSquaredError(target, net.apply(xs, ts, gammas)) as tf.Scalar;
  const adam = new Adam(net.params, { lr: 1e-3, weightDecay: 0.01 });
  const lazyStep = (f: () => tf.Scalar) => {
    const r = adam.stepLazy(f);
    return [r.loss, r.gradNorm].filter((x): x is tf.Scalar => typeof x !== 'number');
  };

  // Two ordinary steps (non-zero moments), then a step whose loss (and so every gradient) is NaN.
  for (let i = 0; i < 2; i++) tf.dispose(lazyStep(lossFn));
  const snapshot = async (ps: ParamSet | Map<string, tf.Variable>) => flat([...ps.values()]);
  const before = [await snapshot(net.params), await snapshot(adam.state.m), await snapshot(adam.state.v)];
  const nan = lazyStep(() => tf.mul(lossFn(), NaN) as tf.Scalar);
  const [loss] = await readScalars(nan);
  tf.dispose(nan);
  const after = [await snapshot(net.params), await snapshot(adam.state.m), await snapshot(adam.state.v)];
  // Count of elements that changed (NaN ≠ NaN counts as changed).
  const changed = (a: number[], b: number[]) => a.filter((x, i) => !(x === b[i])).length;
  const [paramsChanged, mChanged, vChanged] = before.map((b, i) => changed(b, after[i]));

  // Kernels (tf.profile, registered kernels only) and GPU dispatches of a step, less those of its forward+backward.
  const backend = tf.backend() as unknown as { runWebGPUProgram: (...args: unknown[]) => unknown };
  const run = backend.runWebGPUProgram.bind(backend);
  let dispatches = 0;
  backend.runWebGPUProgram = (...args: unknown[]) => (dispatches++, run(...args));
  const count = async (f: () => tf.Tensor[]): Promise<OptCount> => {
    tf.dispose(f()); // compiled before counting
    dispatches = 0;
    const info = await tf.profile(() => tf.dispose(f()));
    return { kernels: info.kernels.filter((k) => tf.getKernel(k.name, 'webgpu') !== undefined).length, dispatches };
  };
  const vars = [...net.params.values()];
  const forwardBackward = () => {
    const { value, grads } = tf.variableGrads(lossFn, vars);
    tf.dispose(Object.values(grads));
    return [value];
  };
  const minus = (a: OptCount, b: OptCount): OptCount => ({ kernels: a.kernels - b.kernels, dispatches: a.dispatches - b.dispatches });
  const base = await count(forwardBackward);
  const fused = minus(await count(() => lazyStep(lossFn)), base);
  const kernel = tf.getKernel(ADAMW_DEVICE_KERNEL, 'webgpu');
  let composed: OptCount;
  if (kernel) tf.unregisterKernel(ADAMW_DEVICE_KERNEL, 'webgpu');
  try {
    composed = minus(await count(() => lazyStep(lossFn)), base);
  } finally {
    if (kernel) tf.registerKernel(kernel);
    backend.runWebGPUProgram = run;
  }
  adam.dispose();
  return { deviceAdamW, nanStep: { lossIsNaN: Number.isNaN(loss), paramsChanged, mChanged, vChanged }, optimizer: { params: net.params.size, fused, composed } };
}

// ------------------------------------------------------------------------------------------------ child mode
if (process.env[CHILD_FLAG]) {
  try {
    const info = await initBackend();
    const results = await computeCases();
    const gpu = tf.getBackend() === 'webgpu' ? await computeGpuChecks() : undefined;
    console.log(JSON.stringify({ ok: true, info, active: tf.getBackend(), results, gpu }));
  } catch (err) {
    const e = err as Error & { code?: string; backend?: string };
    console.log(JSON.stringify({ ok: false, name: e.name, code: e.code, backend: e.backend, message: e.message }));
  }
} else {
  registerTests();
}

// ------------------------------------------------------------------------------------------------ test mode
interface ChildOk {
  ok: true;
  info: BackendInfo;
  active: string;
  results: Results;
  /** On webgpu only. */
  gpu?: GpuChecks;
}
interface ChildFailed {
  ok: false;
  name: string;
  code?: string;
  backend?: string;
  message: string;
}

/** Run this file as a child with SPLAM_BACKEND=webgpu and `env` on top; returns its JSON line. */
function runChild(env: Record<string, string | undefined>, nodeArgs: string[] = []): ChildOk | ChildFailed {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, SPLAM_BACKEND: 'webgpu', [CHILD_FLAG]: '1' };
  delete childEnv.SPLAM_WEBGPU_BACKEND;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const out = execFileSync(process.execPath, [...nodeArgs, '--import', 'tsx', SELF], {
    env: childEnv,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'], // Dawn writes its warnings to stderr
    timeout: 300_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function relErr(got: number[], want: number[]): number {
  assert.equal(got.length, want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / (scale || 1);
}

function registerTests(): void {
  let child: ChildOk | ChildFailed | undefined;
  const gpuRun = (): ChildOk & { gpu: GpuChecks } => {
    child ??= runChild({});
    if (!child.ok) {
      assert.fail(
        `SPLAM_BACKEND=webgpu failed in a child process (${child.name}): ${child.message}\n` +
          'This machine needs a WebGPU adapter: the software one comes from Mesa (Debian: libegl1 libegl-mesa0 libegl-dev libgl1-mesa-dri).',
      );
    }
    assert.ok(child.gpu, 'the webgpu child ran its own checks');
    return child as ChildOk & { gpu: GpuChecks };
  };

  test('SPLAM_BACKEND=webgpu activates tfjs webgpu on a Dawn adapter (Vulkan core or OpenGL ES compatibility)', () => {
    const r = gpuRun();
    assert.equal(r.active, 'webgpu');
    assert.equal(r.info.name, 'webgpu');
    assert.equal(r.info.tfBackend, 'webgpu');
    assert.equal(r.info.forced, true);
    assert.ok(r.info.webgpu, 'BackendInfo.webgpu describes the adapter');
    const expectedLevel = { vulkan: 'core', opengles: 'compatibility' }[r.info.webgpu.dawnBackend];
    assert.ok(expectedLevel, `Dawn backend is vulkan or opengles, got ${r.info.webgpu.dawnBackend}`);
    assert.equal(r.info.webgpu.featureLevel, expectedLevel);
    assert.ok(r.info.webgpu.device || r.info.webgpu.description, 'the adapter names itself');
  });

  test(`matmul, conv2d, addN and concat of 20 tensors (past the storage-buffer limit), an MLP forward and its gradient on webgpu match the cpu backend within ${REL_TOL} relative (AdamW losses ${ADAM_TOL})`, async () => {
    const r = gpuRun();
    await initBackend('cpu');
    const want = await computeCases();
    assert.deepEqual(Object.keys(r.results).sort(), Object.keys(want).sort());
    const names = Object.keys(want);
    assert.ok(names.filter((n) => n.startsWith('mlp grad')).length >= 10, 'every MLP parameter has a gradient case');
    for (const name of names) {
      const e = relErr(r.results[name], want[name]);
      const tol = ADAM_CASES.has(name) ? ADAM_TOL : REL_TOL;
      assert.ok(e <= tol, `${name}: relative error ${e.toExponential(2)} > ${tol}`);
      assert.ok(want[name].some((v) => v !== 0), `${name}: the cpu reference is not all zeros`);
    }
  });

  test('AdamW trains on webgpu through stepLazy (no synchronous read): the loss falls over five steps', () => {
    const losses = gpuRun().results[ADAM_CASE];
    assert.equal(losses.length, 5);
    for (let i = 1; i < 5; i++) assert.ok(losses[i] < losses[i - 1], `step ${i + 1}: ${losses[i]} ≥ ${losses[i - 1]}`);
  });

  test(`stepLazy on webgpu runs the device AdamW kernel (${ADAMW_DEVICE_KERNEL}): parameters, m and v after five steps match cpu's step within ${ADAM_TOL} relative`, () => {
    const r = gpuRun();
    assert.equal(r.gpu.deviceAdamW, true, `${ADAMW_DEVICE_KERNEL} is registered for webgpu`);
    // The values themselves are compared with cpu in the test above (ADAM_CASES at ADAM_TOL); here, that they exist.
    for (const name of ADAM_STATE_CASES) assert.ok(r.results[name]?.length > 1000, `${name}: every element of every parameter`);
  });

  test('a NaN loss on webgpu leaves the parameters, m and v unchanged (the device kernel selects the old values)', () => {
    const { nanStep } = gpuRun().gpu;
    assert.equal(nanStep.lossIsNaN, true, 'the loss read back is NaN');
    assert.deepEqual({ params: nanStep.paramsChanged, m: nanStep.mChanged, v: nanStep.vChanged }, { params: 0, m: 0, v: 0 });
  });

  test(`the optimizer's kernels per step on webgpu: ≤ ${OPT_KERNELS_PER_PARAM} kernels and ≤ ${OPT_DISPATCHES_PER_PARAM} dispatches per parameter + ${OPT_CONST} with the device kernel; the composed fallback exceeds both`, () => {
    const { params, fused, composed } = gpuRun().gpu.optimizer;
    const kernelBound = OPT_KERNELS_PER_PARAM * params + OPT_CONST;
    const dispatchBound = OPT_DISPATCHES_PER_PARAM * params + OPT_CONST;
    const seen = `${params} parameters; fused ${JSON.stringify(fused)}, composed ${JSON.stringify(composed)}`;
    assert.ok(fused.kernels >= params && fused.dispatches >= 3 * params, `the update is counted (${seen})`);
    assert.ok(fused.kernels <= kernelBound, `fused kernels ${fused.kernels} > ${kernelBound} (${seen})`);
    assert.ok(fused.dispatches <= dispatchBound, `fused dispatches ${fused.dispatches} > ${dispatchBound} (${seen})`);
    assert.ok(composed.kernels > kernelBound && composed.dispatches > dispatchBound, `the bound separates the paths (${seen})`);
  });

  test('an unknown SPLAM_WEBGPU_BACKEND is rejected with the allowed Dawn backends', () => {
    const r = runChild({ SPLAM_WEBGPU_BACKEND: 'metal' });
    assert.equal(r.ok, false);
    const f = r as ChildFailed;
    assert.equal(f.name, 'BackendError');
    assert.equal(f.backend, 'webgpu');
    assert.match(f.message, /SPLAM_WEBGPU_BACKEND="metal"/);
    assert.match(f.message, /auto, vulkan, opengles/);
  });

  test('no adapter (OpenGL ES with EGL on X11 and no display) fails with a BackendError naming the packages to install', () => {
    const r = runChild({ SPLAM_WEBGPU_BACKEND: 'opengles', EGL_PLATFORM: 'x11', DISPLAY: undefined, WAYLAND_DISPLAY: undefined });
    assert.equal(r.ok, false);
    const f = r as ChildFailed;
    assert.equal(f.name, 'BackendError');
    assert.equal(f.code, 'backend_unavailable');
    assert.equal(f.backend, 'webgpu');
    assert.match(f.message, /no WebGPU adapter \(opengles: no adapter\)/);
    assert.match(f.message, /libegl1 libegl-mesa0 libegl-dev libgl1-mesa-dri/);
    assert.match(f.message, /libvulkan1/);
  });

  test('without the webgpu package, SPLAM_BACKEND=webgpu fails with an npm install hint', () => {
    // A resolve hook that hides the package, as on a machine where the optional dependency did not install.
    const hook = `export async function resolve(s, c, next) { if (s === 'webgpu') { const e = new Error("Cannot find package 'webgpu'"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; } return next(s, c); }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
    const r = runChild({}, ['--import', `data:text/javascript,${encodeURIComponent(register)}`]);
    assert.equal(r.ok, false);
    const f = r as ChildFailed;
    assert.equal(f.name, 'BackendError');
    assert.equal(f.backend, 'webgpu');
    assert.match(f.message, /a package is missing: Cannot find package 'webgpu'/);
    assert.match(f.message, /npm install webgpu @tensorflow\/tfjs-backend-webgpu/);
  });

  test('webgpu is never chosen automatically: without SPLAM_BACKEND the choice stays in node-gpu, node, native, wasm, cpu', () => {
    const r = runChild({ SPLAM_BACKEND: undefined });
    assert.equal(r.ok, true);
    assert.notEqual((r as ChildOk).info.name, 'webgpu');
    assert.ok(!(r as ChildOk).info.skipped.some((s) => s.name === 'webgpu'));
  });
}
