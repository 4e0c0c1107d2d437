/**
 * `splam --version` and `splam doctor`, in-process through runCli: doctor checks Chromium,
 * Jupyter (nbclient and a front end) and the kernelspec, each on its own line with a fix when missing, and gives
 * the backend one short line; `--verbose` adds every patched kernel and why each other backend was skipped.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { initBackend } from '../../lib/backend.js';
import { kernelspecCheck, webgpuLines } from '../../lib/cli/doctor-checks.js';
import { ROOT, tempDir } from '../track/helpers.js';
import { splamInProcess } from './in-process.js';

const dir = tempDir('splam-doctor-');
const store = path.join(dir, 'store');

/** The text after a doctor label (`chromium    …`). */
function labelled(out: string, label: string): string {
  const m = new RegExp(`^${label} +(.*)$`, 'm').exec(out);
  assert.ok(m, `a ${label} line:\n${out}`);
  return m[1];
}

test('splam --version prints the version of package.json and exits 0', async () => {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await splamInProcess([flag]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `splam ${version}\n`);
  }
});

test('splam doctor: one short backend line, then Chromium, Jupyter, kernelspec and store lines; --verbose lists the rest', async () => {
  const info = await initBackend();
  const r = await splamInProcess(['doctor', '--store', store]);
  assert.equal(r.code, 0, r.err);
  for (const label of ['node', 'backend', 'webgpu', 'chromium', 'jupyter', 'kernelspec', 'store']) labelled(r.out, label);
  // This machine (and CI) has Mesa's software adapter (setup.sh's libegl packages): doctor names it as software, with
  // the storage-buffer limit that tfjs's AddN and concat run into, and never as the backend chosen.
  const webgpu = labelled(r.out, 'webgpu');
  if (process.env.CI) assert.match(webgpu, /software adapter/);
  if (!webgpu.startsWith('none')) assert.match(r.out, /limits: .*StorageBuffersPerShaderStage \d+/);
  assert.notEqual(info.name, 'webgpu');
  const backend = labelled(r.out, 'backend');
  assert.ok(backend.startsWith(`${info.name} (tfjs ${info.tfjsVersion}`), backend);
  assert.ok(backend.length <= 100, `short: ${backend.length} characters`);
  assert.doesNotMatch(r.out, /patched kernels:/, 'no kernel list without --verbose');
  if (info.patchedKernels.length) assert.match(backend, new RegExp(`${info.patchedKernels.length} patched kernels`));
  for (const s of info.skipped) assert.doesNotMatch(r.out, new RegExp(`skipped ${s.name}:`), 'reasons only with --verbose');
  assert.match(labelled(r.out, 'store'), /created on the first run/);

  const v = await splamInProcess(['doctor', '--verbose', '--store', store]);
  assert.equal(v.code, 0, v.err);
  for (const k of info.patchedKernels) assert.ok(v.out.includes(k), `--verbose names ${k}`);
  for (const s of info.skipped) assert.match(v.out, new RegExp(`skipped ${s.name}: `));
});

test('the webgpu line says software or hardware, lists the limits, or says why there is no adapter', () => {
  const adapter = { dawnBackend: 'vulkan', featureLevel: 'core', vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100', description: '', software: false, limits: { maxStorageBuffersPerShaderStage: 10 }, skipped: [] } as const;
  const hw = webgpuLines({ adapter: { ...adapter, limits: { ...adapter.limits }, skipped: [] } });
  assert.match(hw[0], /^webgpu +nvidia NVIDIA H100 \(Dawn vulkan, core; hardware adapter; used only with SPLAM_BACKEND=webgpu\)/);
  assert.match(hw[1], /limits: StorageBuffersPerShaderStage 10/);
  assert.match(webgpuLines({ adapter: { ...adapter, software: true, limits: {}, skipped: [] } })[0], /software adapter: a check of the GPU code path/);
  assert.deepEqual(webgpuLines({ reason: 'the webgpu package is not installed' }), ['webgpu      none: the webgpu package is not installed']);
});

test('splam doctor names what is missing and how to get it', async () => {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const nb = path.join(bin, 'jupyter-notebook');
  writeFileSync(nb, '#!/bin/sh\nexit 0\n');
  chmodSync(nb, 0o755);
  const missing = await splamInProcess(['doctor', '--store', store], { SPLAM_CHROMIUM: path.join(dir, 'no-chromium'), SPLAM_JUPYTER_PYTHON: path.join(dir, 'no-python'), PATH: bin });
  assert.equal(missing.code, 0, 'doctor reports; it does not fail');
  assert.match(labelled(missing.out, 'chromium'), /^MISSING: .*apt-get install -y --no-install-recommends chromium/);
  assert.match(labelled(missing.out, 'jupyter'), /^MISSING: no nbclient in \S+no-python .*apt-get install -y jupyter-nbconvert python3-nbclient/);
  assert.match(labelled(missing.out, 'jupyter'), /front end: jupyter notebook/);

  const fresh = kernelspecCheck(path.join(dir, 'checkout'));
  assert.equal(fresh.ok, false);
  assert.match(fresh.detail, /not written yet: node bin\/splam\.mjs notebook kernel/);
  const spec = path.join(dir, 'checkout', '.jupyter', 'kernels', 'splam-tslab');
  mkdirSync(spec, { recursive: true });
  writeFileSync(path.join(spec, 'kernel.json'), JSON.stringify({ argv: [path.join(dir, 'gone-node'), 'x.cjs'] }));
  assert.match(kernelspecCheck(path.join(dir, 'checkout')).detail, /gone-node, x\.cjs, which is missing/);
});
