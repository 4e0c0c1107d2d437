/**
 * Pick the tensor backend once per process: tfjs-node-gpu > tfjs-node > native > wasm > cpu; WebGPU only when asked for.
 *
 * `SPLAM_BACKEND=<name>` forces one (`node-gpu`, `node`, `native`, `wasm`, `cpu`, `webgpu`) and fails with a
 * {@link BackendError} if it cannot load; without it the first of {@link AUTO_BACKENDS} that loads wins. tfjs-node
 * and tfjs-node-gpu are optional dependencies (their install downloads libtensorflow, which fails on machines
 * without network access), so a missing module simply moves the choice down the list.
 *
 * `native` is tfjs-backend-wasm with matmul and convolution (forward and gradients) on oneDNN through the
 * splam-native addon (native/, built at install against Debian's libdnnl-dev; see `backend/native-kernels.ts`).
 * Where the addon is not built it is skipped with the reason and the build command. oneDNN uses every core through
 * OpenMP unless `OMP_NUM_THREADS` says otherwise; the count is recorded in {@link BackendInfo.native}.
 *
 * On wasm (and native) the module registers replacement kernels before anything runs (see `backend/wasm-kernels.ts`): stock
 * tfjs-backend-wasm 4.22 cannot train convolutions and runs every transposed matmul (every matmul gradient)
 * 13–70× slower than a plain one (bench/kernels.ts, bench/results/kernels.json).
 *
 * WebGPU (`webgpu`) runs tfjs-backend-webgpu on Dawn through the npm `webgpu` bindings, never chosen automatically.
 * `SPLAM_WEBGPU_BACKEND` picks Dawn's backend: `vulkan` (a real GPU), `opengles` (Mesa's software OpenGL ES on a
 * machine without a GPU: EGL_PLATFORM=surfaceless and a `compatibility` adapter, which tfjs does not request itself,
 * so it is injected; Debian: libegl1 libegl-mesa0 libegl-dev libgl1-mesa-dri), or `auto` (default: Vulkan, then OpenGL
 * ES). Synchronous reads (`dataSync`, `arraySync`) of GPU-resident tensors are not available there: tfjs reads
 * through OffscreenCanvas, which Node lacks, and such a read fails with a BackendError saying to `await t.data()`.
 * The tensor ops and their gradients run (test/backend/webgpu.test.ts); code that reads synchronously (lib/train's
 * AdamW reads its loss) does not.
 *
 * This is the one module of `lib` with process-level state and environment switches: the
 * backend is a property of the process, not of a call.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError, firstLine as reasonOf, show } from './errors.js';
import { NATIVE_BUILD_HINT, type NativeInfo } from './backend/native.js';
import { explainSyncReads, guardAddN, loadWebGpu, registerWebGpuAdamW, parseDawnBackend, WEBGPU_INSTALL_HINT, type DawnBackendChoice, type WebGpuAdapter } from './backend/webgpu.js';

export { DAWN_BACKENDS, parseDawnBackend, type DawnBackendChoice, type WebGpuAdapter } from './backend/webgpu.js';

/** Backends tried in this order when none is forced. */
export const AUTO_BACKENDS = ['node-gpu', 'node', 'native', 'wasm', 'cpu'] as const;
/** Every name `SPLAM_BACKEND` accepts: the automatic list, then those used only when asked for. */
export const BACKEND_NAMES = [...AUTO_BACKENDS, 'webgpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];



/** What was chosen, ready to record in a run's provenance. */
export interface BackendInfo {
  /** Our name for it (`SPLAM_BACKEND` value). */
  name: BackendName;
  /** The name tfjs registered it under (`tensorflow`, `wasm`, `cpu`, `webgpu`). */
  tfBackend: string;
  /** tfjs-core version. */
  tfjsVersion: string;
  /** Whether it was forced by `SPLAM_BACKEND` or picked as the first that loaded. */
  forced: boolean;
  /** Kernels replaced by splam-lab on this backend (empty where none are). */
  patchedKernels: string[];
  /** Backends tried before this one and why each failed. */
  skipped: { name: BackendName; reason: string }[];
  /** The GPU adapter, on `webgpu` only. */
  webgpu?: WebGpuAdapter;
  /** oneDNN's version, instruction set and thread count, on `native` only. */
  native?: NativeInfo;
}

/** Options of {@link initBackend}; each overrides its environment variable. */
export interface BackendOptions {
  /** Dawn backend for `webgpu` (`SPLAM_WEBGPU_BACKEND`). Default `auto`. */
  dawnBackend?: DawnBackendChoice;
}

let chosen: Promise<BackendInfo> | undefined;

/** Install hints shown when a forced backend cannot load. */
const HINTS: Record<BackendName, string> = {
  'node-gpu': 'npm install @tensorflow/tfjs-node-gpu (needs CUDA and network access to download libtensorflow)',
  node: 'npm install @tensorflow/tfjs-node (needs network access to download libtensorflow)',
  native: NATIVE_BUILD_HINT,
  wasm: 'npm install @tensorflow/tfjs-backend-wasm',
  cpu: 'the cpu backend ships with @tensorflow/tfjs; reinstall it',
  webgpu: WEBGPU_INSTALL_HINT,
};


interface Loaded {
  tfBackend: string;
  patchedKernels: string[];
  webgpu?: WebGpuAdapter;
  native?: NativeInfo;
}

async function load(name: BackendName, opts: BackendOptions): Promise<Loaded> {
  switch (name) {
    case 'node-gpu':
      // @ts-ignore optional dependency, absent on most machines
      await import('@tensorflow/tfjs-node-gpu');
      return { tfBackend: 'tensorflow', patchedKernels: [] };
    case 'node':
      // @ts-ignore optional dependency, absent on most machines
      await import('@tensorflow/tfjs-node');
      return { tfBackend: 'tensorflow', patchedKernels: [] };
    case 'native': {
      const { loadNative } = await import('./backend/native.js');
      const addon = loadNative(); // throws with the build command before anything is registered
      await import('@tensorflow/tfjs-backend-wasm');
      const { registerNativeKernels } = await import('./backend/native-kernels.js');
      return { tfBackend: 'wasm', patchedKernels: registerNativeKernels(addon), native: addon.info() };
    }
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      const { registerWasmKernels } = await import('./backend/wasm-kernels.js');
      return { tfBackend: 'wasm', patchedKernels: registerWasmKernels() };
    }
    case 'cpu':
      return { tfBackend: 'cpu', patchedKernels: [] };
    case 'webgpu':
      return {
        tfBackend: 'webgpu',
        patchedKernels: [],
        webgpu: await loadWebGpu(opts.dawnBackend ?? parseDawnBackend(process.env.SPLAM_WEBGPU_BACKEND)),
      };
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function activate(name: BackendName, opts: BackendOptions): Promise<Loaded> {
  const loaded = await load(name, opts);
  const ok = await tf.setBackend(loaded.tfBackend);
  if (!ok) throw new Error(`tf.setBackend('${loaded.tfBackend}') returned false`);
  await tf.ready();
  if (name === 'webgpu') {
    explainSyncReads();
    guardAddN();
    await registerWebGpuAdamW();
  }
  return loaded;
}

/** Parse `SPLAM_BACKEND`; undefined or empty means automatic choice. */
export function parseBackendName(value: string | undefined): BackendName | undefined {
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new BackendError(
    value,
    `SPLAM_BACKEND=${show(value)} is not a backend name`,
    `allowed: ${BACKEND_NAMES.join(', ')} (or unset / "auto" to pick the first that loads of ${AUTO_BACKENDS.join(', ')})`,
  );
}

async function choose(forcedName: BackendName | undefined, opts: BackendOptions): Promise<BackendInfo> {
  const base = { tfjsVersion: tf.version_core };
  if (forcedName) {
    try {
      const loaded = await activate(forcedName, opts);
      return { ...base, name: forcedName, forced: true, skipped: [], ...loaded };
    } catch (err) {
      if (err instanceof BackendError) throw err;
      throw new BackendError(forcedName, `forced by SPLAM_BACKEND but failed to load: ${reasonOf(err)}`, HINTS[forcedName]);
    }
  }
  const skipped: BackendInfo['skipped'] = [];
  for (const name of AUTO_BACKENDS) {
    try {
      const loaded = await activate(name, opts);
      return { ...base, name, forced: false, skipped, ...loaded };
    } catch (err) {
      skipped.push({ name, reason: reasonOf(err) });
    }
  }
  throw new BackendError('auto', `no backend loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/**
 * Initialise the backend (once per process; later calls return the same promise).
 * @param forced overrides `SPLAM_BACKEND` when given (tests use this).
 * @param opts overrides the other environment switches (`SPLAM_WEBGPU_BACKEND`).
 * @throws BackendError when the forced backend cannot load, when none can, or for a bad switch value.
 */
export function initBackend(forced?: BackendName, opts: BackendOptions = {}): Promise<BackendInfo> {
  if (!chosen) {
    const name = forced ?? parseBackendName(process.env.SPLAM_BACKEND);
    chosen = choose(name, opts);
    chosen.catch(() => {
      chosen = undefined; // a failed choice may be retried (for example after fixing SPLAM_BACKEND)
    });
  }
  return chosen;
}

/**
 * Whether the active tfjs backend has every one of these kernels registered (how ops choose a fused kernel, such
 * as GroupNorm's, SiLU's or AdamW's, over its composition from tfjs ops).
 */
export function activeBackendHas(...kernelNames: string[]): boolean {
  const backend = tf.getBackend();
  return kernelNames.every((name) => tf.getKernel(name, backend) !== undefined);
}

/** The chosen backend, or undefined before {@link initBackend} resolved. */
export async function backendInfo(): Promise<BackendInfo | undefined> {
  return chosen ? chosen.catch(() => undefined) : undefined;
}

/** One-line summary for logs and progress headers. */
export function describeBackend(info: BackendInfo): string {
  const patched = info.patchedKernels.length ? `, patched kernels: ${info.patchedKernels.join(', ')}` : '';
  const gpu = info.webgpu
    ? `, Dawn ${info.webgpu.dawnBackend}: ${[info.webgpu.vendor, info.webgpu.device, info.webgpu.description].filter(Boolean).join(' ') || 'adapter'}`
    : '';
  const native = info.native ? `, ${info.native.library} ${info.native.isa} × ${info.native.threads} threads` : '';
  return `${info.name} (tfjs ${info.tfjsVersion}${info.forced ? ', forced by SPLAM_BACKEND' : ''}${gpu}${native}${patched})`;
}
