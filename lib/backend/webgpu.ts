/**
 * tfjs's WebGPU backend on Dawn through the npm `webgpu` bindings (an optional dependency): find an adapter on the
 * chosen Dawn backend (Vulkan on a real GPU; Mesa's software OpenGL ES without one, which needs the surfaceless EGL
 * platform and a `compatibility` adapter that tfjs does not request itself), expose it as `navigator.gpu`, and
 * register tfjs-backend-webgpu. Used by lib/backend.ts for `SPLAM_BACKEND=webgpu`.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError, firstLine as reasonOf, show } from '../errors.js';
import { ADAMW_DEVICE_KERNEL, makeWebGpuAdamW } from './kernels/webgpu-adamw.js';

export const WEBGPU_INSTALL_HINT = 'npm install webgpu @tensorflow/tfjs-backend-webgpu (optional dependencies; webgpu ships Dawn prebuilt)';

/** Dawn backends for `webgpu` (`SPLAM_WEBGPU_BACKEND`); `auto` tries Vulkan, then OpenGL ES. */
export const DAWN_BACKENDS = ['auto', 'vulkan', 'opengles'] as const;
export type DawnBackendChoice = (typeof DAWN_BACKENDS)[number];

/** The WebGPU adapter in use (only on `webgpu`). */
export interface WebGpuAdapter {
  /** Dawn's backend that gave the adapter. */
  dawnBackend: 'vulkan' | 'opengles';
  /** WebGPU feature level requested: `core`, or `compatibility` for OpenGL ES. */
  featureLevel: 'core' | 'compatibility';
  /** GPUAdapterInfo fields, as Dawn reports them (empty strings where it gives none). */
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (Mesa's llvmpipe, SwiftShader, or one Dawn marks as a fallback): never chosen automatically. */
  software: boolean;
  /** The limits that bound tfjs's kernels ({@link LIMIT_NAMES}), as the adapter reports them. */
  limits: Record<string, number>;
  /** Dawn backends tried before this one and why each failed. */
  skipped: string[];
}

/** Adapter limits worth knowing for tfjs's kernels (storage buffers per shader: AddN, concat; sizes; workgroups). */
export const LIMIT_NAMES = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** What a machine needs for a WebGPU adapter, by Dawn backend. */
const ADAPTER_HINT =
  'with a GPU, the Vulkan loader and the vendor driver (Debian: libvulkan1 + the driver), SPLAM_WEBGPU_BACKEND=vulkan; ' +
  "without one, Mesa's software OpenGL ES (Debian: apt-get install libegl1 libegl-mesa0 libegl-dev libgl1-mesa-dri; " +
  'Dawn opens the unversioned libEGL.so, which only libegl-dev provides), SPLAM_WEBGPU_BACKEND=opengles';

/** The parts of Dawn's GPU object used here (typed locally: `webgpu` is an optional dependency). */
interface DawnGpu {
  requestAdapter(options?: Record<string, unknown>): Promise<DawnAdapter | null>;
}
interface DawnAdapter {
  info?: Partial<Record<'vendor' | 'architecture' | 'device' | 'description', string>> & { isFallbackAdapter?: boolean };
  limits?: Record<string, number>;
  isFallbackAdapter?: boolean;
}
interface DawnModule {
  create(options: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

const FEATURE_LEVEL = { vulkan: 'core', opengles: 'compatibility' } as const;

/** Parse `SPLAM_WEBGPU_BACKEND`; undefined or empty means `auto`. */
export function parseDawnBackend(value: string | undefined): DawnBackendChoice {
  if (value === undefined || value === '') return 'auto';
  if ((DAWN_BACKENDS as readonly string[]).includes(value)) return value as DawnBackendChoice;
  throw new BackendError('webgpu', `SPLAM_WEBGPU_BACKEND=${show(value)} is not a Dawn backend`, `allowed: ${DAWN_BACKENDS.join(', ')}`);
}

/**
 * Find a Dawn adapter, expose it as `navigator.gpu` (requestAdapter wrapped so tfjs gets the same feature level),
 * install the WebGPU globals (GPUBufferUsage, …) and register tfjs-backend-webgpu.
 */
export async function loadWebGpu(choice: DawnBackendChoice): Promise<WebGpuAdapter> {
  let dawn: DawnModule;
  try {
    dawn = await importDawn();
  } catch (err) {
    throw new BackendError('webgpu', `a package is missing: ${reasonOf(err)}`, WEBGPU_INSTALL_HINT);
  }
  const found = await findAdapter(dawn, choice);
  if (!('adapter' in found)) throw new BackendError('webgpu', `Dawn found no WebGPU adapter (${found.skipped.join('; ')})`, ADAPTER_HINT);
  const { gpu, adapter, dawnBackend, featureLevel, skipped } = found;
  const request = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = (options = {}) => request({ ...options, featureLevel });
  installWebGpuGlobals(dawn.globals, gpu);
  try {
    // Registers the 'webgpu' backend only if navigator.gpu exists when it loads: hence last.
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    throw new BackendError('webgpu', `a package is missing: ${reasonOf(err)}`, WEBGPU_INSTALL_HINT);
  }
  return { dawnBackend, featureLevel, ...describeAdapter(adapter), skipped };
}

/** Dawn's bindings (the optional `webgpu` package). */
async function importDawn(): Promise<DawnModule> {
  // @ts-ignore optional dependency (Dawn bindings); typed by DawnModule
  return (await import('webgpu')) as DawnModule;
}

/**
 * The first Dawn backend of `choice` that gives an adapter (Vulkan, then OpenGL ES for `auto`), with the reasons the
 * ones before it failed; or every reason when none does. Shared by {@link loadWebGpu} and {@link probeWebGpu}.
 */
async function findAdapter(
  dawn: DawnModule,
  choice: DawnBackendChoice,
): Promise<{ gpu: DawnGpu; adapter: DawnAdapter; dawnBackend: 'vulkan' | 'opengles'; featureLevel: 'core' | 'compatibility'; skipped: string[] } | { skipped: string[] }> {
  const skipped: string[] = [];
  for (const dawnBackend of choice === 'auto' ? (['vulkan', 'opengles'] as const) : [choice]) {
    const featureLevel = FEATURE_LEVEL[dawnBackend];
    // Mesa's EGL without a display: the surfaceless platform (read by EGL when Dawn opens it, so set it first).
    if (dawnBackend === 'opengles' && !process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = 'surfaceless';
    try {
      const gpu = dawn.create([`backend=${dawnBackend}`]);
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', featureLevel });
      if (adapter) return { gpu, adapter, dawnBackend, featureLevel, skipped };
      skipped.push(`${dawnBackend}: no adapter`);
    } catch (err) {
      skipped.push(`${dawnBackend}: ${reasonOf(err)}`);
    }
  }
  return { skipped };
}

/** What an adapter says of itself: names, whether it is software, and {@link LIMIT_NAMES}. */
function describeAdapter(adapter: DawnAdapter): Omit<WebGpuAdapter, 'dawnBackend' | 'featureLevel' | 'skipped'> {
  const info = adapter.info ?? {};
  const field = (k: 'vendor' | 'architecture' | 'device' | 'description') => String(info[k] ?? '');
  const names = ['vendor', 'architecture', 'device', 'description'].map((k) => field(k as 'vendor')).join(' ');
  const software = Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter) || /llvmpipe|softpipe|swiftshader|lavapipe/i.test(names);
  const limits: Record<string, number> = {};
  for (const k of LIMIT_NAMES) if (typeof adapter.limits?.[k] === 'number') limits[k] = adapter.limits[k];
  return { vendor: field('vendor'), architecture: field('architecture'), device: field('device'), description: field('description'), software, limits };
}

/**
 * Look for a WebGPU adapter without activating the backend (`splam doctor`): the first Dawn backend of `choice`
 * that gives one, described with its limits; or why none was found (the `webgpu` package missing, no adapter).
 */
export async function probeWebGpu(choice: DawnBackendChoice = 'auto'): Promise<{ adapter: WebGpuAdapter } | { reason: string }> {
  let dawn: DawnModule;
  try {
    dawn = await importDawn();
  } catch {
    return { reason: `the webgpu package is not installed (${WEBGPU_INSTALL_HINT})` };
  }
  const found = await findAdapter(dawn, choice);
  if (!('adapter' in found)) return { reason: `no adapter (${found.skipped.join('; ')}); ${ADAPTER_HINT}` };
  return { adapter: { dawnBackend: found.dawnBackend, featureLevel: found.featureLevel, ...describeAdapter(found.adapter), skipped: found.skipped } };
}

function installWebGpuGlobals(globals: Record<string, unknown>, gpu: DawnGpu): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(globals)) if (!(k in g)) g[k] = v;
  // Node ≥ 21 has a navigator without `gpu`; Node 20 has none.
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  else g.navigator = { gpu };
}

/** Make `dataSync`/`arraySync` on webgpu fail with what to do instead (tfjs reads through OffscreenCanvas). */
export function explainSyncReads(): void {
  const backend = tf.backend() as unknown as { readSync(dataId: object): unknown };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    try {
      return readSync(dataId);
    } catch (err) {
      if (typeof (globalThis as Record<string, unknown>).OffscreenCanvas !== 'undefined') throw err;
      throw new BackendError(
        'webgpu',
        `synchronous reads (dataSync, arraySync, bufferSync) are not available on WebGPU in Node: ${reasonOf(err)}`,
        'read with await tensor.data() or await tensor.array()',
      );
    }
  };
}

/**
 * Make tfjs-backend-webgpu's AddN safe for any number of inputs. Its kernel binds every input as a storage buffer in
 * one shader; past the device's `maxStorageBuffersPerShaderStage` (8 on Mesa's compatibility adapter, so 7 inputs
 * and the output) the pipeline is invalid and the result reads as zeros, silently. The replacement sums groups that
 * fit, then sums the partial sums, with the stock kernel. Called once by lib/backend.ts after the backend is set.
 */
export function guardAddN(): void {
  const stock = tf.getKernel('AddN', 'webgpu');
  if (!stock) return;
  type KernelArgs = Parameters<typeof stock.kernelFunc>[0];
  const backend = tf.backend() as unknown as { device?: { limits?: { maxStorageBuffersPerShaderStage?: number } }; disposeData(dataId: object): void };
  const group = Math.max(2, (backend.device?.limits?.maxStorageBuffersPerShaderStage ?? 8) - 1);
  const sum = (args: KernelArgs, inputs: tf.TensorInfo[]): tf.TensorInfo => {
    if (inputs.length <= group) return stock.kernelFunc({ ...args, inputs: inputs as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    const partials: tf.TensorInfo[] = [];
    for (let i = 0; i < inputs.length; i += group) partials.push(sum(args, inputs.slice(i, i + group)));
    const out = sum(args, partials);
    for (const p of partials) backend.disposeData(p.dataId);
    return out;
  };
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({
    kernelName: 'AddN',
    backendName: 'webgpu',
    kernelFunc: (args) => sum(args, Object.values(args.inputs) as tf.TensorInfo[]),
  });
}

/**
 * Register the AdamW kernel whose clip factor and skip flag are device tensors (kernels/webgpu-adamw.ts) for
 * `webgpu`: lib/train/adam.ts `stepLazy` uses it where registered (three dispatches per parameter instead of ~21
 * from ~30 composed kernels). Called once by lib/backend.ts after the backend is set, next to {@link guardAddN}.
 */
export async function registerWebGpuAdamW(): Promise<void> {
  if (tf.getKernel(ADAMW_DEVICE_KERNEL, 'webgpu')) return;
  const { webgpu_util } = await import('@tensorflow/tfjs-backend-webgpu');
  tf.registerKernel({ kernelName: ADAMW_DEVICE_KERNEL, backendName: 'webgpu', kernelFunc: makeWebGpuAdamW(webgpu_util) });
}
