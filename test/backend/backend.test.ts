import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { childThreadEnv, nativeAddonPath } from '../../lib/backend/native.js';

const fixture = new URL('./fixtures/choose.ts', import.meta.url).pathname;
const nativeBuilt = existsSync(nativeAddonPath());

function choose(value: string | undefined, extraEnv: Record<string, string> = {}): Record<string, any> {
  const env = { ...process.env, ...extraEnv };
  delete env.SPLAM_BACKEND;
  if (value !== undefined) env.SPLAM_BACKEND = value;
  const out = execFileSync(process.execPath, ['--import', 'tsx', fixture], { env, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const hasModule = (name: string) => {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
};

test('without SPLAM_BACKEND the first backend that loads is chosen, and the skipped ones say why', () => {
  const r = choose(undefined);
  assert.equal(r.ok, true);
  assert.equal(r.y, 14);
  const expected = hasModule('@tensorflow/tfjs-node-gpu') ? 'node-gpu' : hasModule('@tensorflow/tfjs-node') ? 'node' : nativeBuilt ? 'native' : 'wasm';
  assert.equal(r.info.name, expected);
  assert.equal(r.info.forced, false);
  if (expected === 'native' || expected === 'wasm') {
    assert.deepEqual(r.info.skipped.map((s: { name: string }) => s.name), expected === 'native' ? ['node-gpu', 'node'] : ['node-gpu', 'node', 'native']);
    assert.equal(r.active, 'wasm');
    assert.ok(r.info.patchedKernels.includes('BatchMatMul') || r.info.patchedKernels.includes('BatchMatMul (native)'), 'wasm registers its fixed kernels');
  }
});

test('SPLAM_BACKEND=cpu forces the cpu backend', () => {
  const r = choose('cpu');
  assert.equal(r.ok, true);
  assert.equal(r.info.name, 'cpu');
  assert.equal(r.info.forced, true);
  assert.equal(r.active, 'cpu');
  assert.equal(r.y, 14);
});

test('SPLAM_BACKEND=wasm forces wasm with the patched kernels', () => {
  const r = choose('wasm');
  assert.equal(r.info.name, 'wasm');
  assert.equal(r.active, 'wasm');
  assert.ok(r.info.patchedKernels.length >= 3);
});

test('a forced backend that cannot load fails with a clear message and an install hint', { skip: hasModule('@tensorflow/tfjs-node') }, () => {
  const r = choose('node');
  assert.equal(r.ok, false);
  assert.equal(r.name, 'BackendError');
  assert.equal(r.code, 'backend_unavailable');
  assert.equal(r.backend, 'node');
  assert.match(r.message, /forced by SPLAM_BACKEND/);
  assert.match(r.message, /npm install @tensorflow\/tfjs-node/);
});

test('an unknown SPLAM_BACKEND value is rejected with the allowed names', () => {
  const r = choose('tpu');
  assert.equal(r.ok, false);
  assert.equal(r.code, 'backend_unavailable');
  assert.equal(r.backend, 'tpu');
  assert.match(r.message, /node-gpu, node, native, wasm, cpu/);
});

test('SPLAM_BACKEND=native with the addon missing fails with the build command; without SPLAM_BACKEND wasm is chosen and says why native was skipped', () => {
  const missing = { SPLAM_NATIVE_ADDON: '/nonexistent/splam_native.node' };
  const forced = choose('native', missing);
  assert.equal(forced.ok, false);
  assert.equal(forced.backend, 'native');
  assert.match(forced.message, /native addon is not built \(no \/nonexistent\/splam_native.node\)/);
  assert.match(forced.message, /libdnnl-dev && npm run build:native/);
  if (hasModule('@tensorflow/tfjs-node')) return;
  const auto = choose(undefined, missing);
  assert.equal(auto.info.name, 'wasm');
  const native = auto.info.skipped.find((s: { name: string }) => s.name === 'native');
  assert.match(native.reason, /not built/);
});

test('SPLAM_BACKEND=native forces wasm with the oneDNN kernels and records oneDNN in the backend info', { skip: !nativeBuilt && 'native addon not built' }, () => {
  const r = choose('native');
  assert.equal(r.ok, true);
  assert.equal(r.info.name, 'native');
  assert.equal(r.active, 'wasm');
  assert.equal(r.y, 14);
  assert.match(r.info.native.library, /^oneDNN/);
  assert.ok(r.info.patchedKernels.includes('Conv2D (native)'));
});

test('children run side by side get their share of the cores as OMP_NUM_THREADS, and a value already set is kept', () => {
  const saved = process.env.OMP_NUM_THREADS;
  try {
    delete process.env.OMP_NUM_THREADS;
    assert.deepEqual(childThreadEnv(2, 2), { OMP_NUM_THREADS: '1' });
    assert.deepEqual(childThreadEnv(1, 2), { OMP_NUM_THREADS: '2' });
    assert.deepEqual(childThreadEnv(3, 8), { OMP_NUM_THREADS: '2' });
    assert.deepEqual(childThreadEnv(5, 2), { OMP_NUM_THREADS: '1' });
    process.env.OMP_NUM_THREADS = '3';
    assert.deepEqual(childThreadEnv(2, 2), { OMP_NUM_THREADS: '3' });
  } finally {
    if (saved === undefined) delete process.env.OMP_NUM_THREADS;
    else process.env.OMP_NUM_THREADS = saved;
  }
});
