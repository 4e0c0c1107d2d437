/**
 * Pick the tensor backend once per process: tfjs-node-gpu > tfjs-node > wasm > cpu.
 *
 * `SPLAM_BACKEND=<name>` forces one (`node-gpu`, `node`, `wasm`, `cpu`) and fails with a {@link BackendError}
 * if it cannot load; without it the first backend that loads wins. tfjs-node and tfjs-node-gpu are optional
 * dependencies (their install downloads libtensorflow, which fails on machines without network access), so a
 * missing module simply moves the choice down the list.
 *
 * On wasm the module registers replacement kernels before anything runs (see `backend/wasm-kernels.ts`): stock
 * tfjs-backend-wasm 4.22 cannot train convolutions and runs every transposed matmul (every matmul gradient)
 * about 15× slower than a plain one (research/engine-probe.md §1).
 *
 * This is the one module of `lib` with process-level state and an environment switch (STYLE.md §9): the
 * backend is a property of the process, not of a call.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError, show } from './errors.js';

/** Backends in order of preference. */
export const BACKEND_NAMES = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What was chosen, ready to record in a run's provenance. */
export interface BackendInfo {
  /** Our name for it (`SPLAM_BACKEND` value). */
  name: BackendName;
  /** The name tfjs registered it under (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** tfjs-core version. */
  tfjsVersion: string;
  /** Whether it was forced by `SPLAM_BACKEND` or picked as the first that loaded. */
  forced: boolean;
  /** Kernels replaced by splam-lab on this backend (empty where none are). */
  patchedKernels: string[];
  /** Backends tried before this one and why each failed. */
  skipped: { name: BackendName; reason: string }[];
}

let chosen: Promise<BackendInfo> | undefined;

/** Install hints shown when a forced backend cannot load. */
const HINTS: Record<BackendName, string> = {
  'node-gpu': 'npm install @tensorflow/tfjs-node-gpu (needs CUDA and network access to download libtensorflow)',
  node: 'npm install @tensorflow/tfjs-node (needs network access to download libtensorflow)',
  wasm: 'npm install @tensorflow/tfjs-backend-wasm',
  cpu: 'the cpu backend ships with @tensorflow/tfjs; reinstall it',
};

async function load(name: BackendName): Promise<{ tfBackend: string; patchedKernels: string[] }> {
  switch (name) {
    case 'node-gpu':
      // @ts-ignore optional dependency, absent on most machines
      await import('@tensorflow/tfjs-node-gpu');
      return { tfBackend: 'tensorflow', patchedKernels: [] };
    case 'node':
      // @ts-ignore optional dependency, absent on most machines
      await import('@tensorflow/tfjs-node');
      return { tfBackend: 'tensorflow', patchedKernels: [] };
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      const { registerWasmKernels } = await import('./backend/wasm-kernels.js');
      return { tfBackend: 'wasm', patchedKernels: registerWasmKernels() };
    }
    case 'cpu':
      return { tfBackend: 'cpu', patchedKernels: [] };
  }
}

async function activate(name: BackendName): Promise<{ tfBackend: string; patchedKernels: string[] }> {
  const loaded = await load(name);
  const ok = await tf.setBackend(loaded.tfBackend);
  if (!ok) throw new Error(`tf.setBackend('${loaded.tfBackend}') returned false`);
  await tf.ready();
  return loaded;
}

function reasonOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}

/** Parse `SPLAM_BACKEND`; undefined or empty means automatic choice. */
export function parseBackendName(value: string | undefined): BackendName | undefined {
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new BackendError(
    value,
    `SPLAM_BACKEND=${show(value)} is not a backend name`,
    `allowed: ${BACKEND_NAMES.join(', ')} (or unset / "auto" to pick the first that loads)`,
  );
}

async function choose(forcedName: BackendName | undefined): Promise<BackendInfo> {
  const base = { tfjsVersion: tf.version_core };
  if (forcedName) {
    try {
      const loaded = await activate(forcedName);
      return { ...base, name: forcedName, forced: true, skipped: [], ...loaded };
    } catch (err) {
      if (err instanceof BackendError) throw err;
      throw new BackendError(forcedName, `forced by SPLAM_BACKEND but failed to load: ${reasonOf(err)}`, HINTS[forcedName]);
    }
  }
  const skipped: BackendInfo['skipped'] = [];
  for (const name of BACKEND_NAMES) {
    try {
      const loaded = await activate(name);
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
 * @throws BackendError when the forced backend cannot load, or when none can.
 */
export function initBackend(forced?: BackendName): Promise<BackendInfo> {
  if (!chosen) {
    const name = forced ?? parseBackendName(process.env.SPLAM_BACKEND);
    chosen = choose(name);
    chosen.catch(() => {
      chosen = undefined; // a failed choice may be retried (for example after fixing SPLAM_BACKEND)
    });
  }
  return chosen;
}

/** The chosen backend, or undefined before {@link initBackend} resolved. */
export async function backendInfo(): Promise<BackendInfo | undefined> {
  return chosen ? chosen.catch(() => undefined) : undefined;
}

/** One-line summary for logs and progress headers. */
export function describeBackend(info: BackendInfo): string {
  const patched = info.patchedKernels.length ? `, patched kernels: ${info.patchedKernels.join(', ')}` : '';
  return `${info.name} (tfjs ${info.tfjsVersion}${info.forced ? ', forced by SPLAM_BACKEND' : ''}${patched})`;
}
