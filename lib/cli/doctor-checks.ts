/**
 * What `splam doctor` checks beyond Node and the store: Chromium (PNG figures and reports),
 * Jupyter (the headless executor and a front end) and the project's kernelspec, each as one line with a fix when
 * something is missing; and the backend in one short line (`--verbose`: every patched kernel and each skipped
 * backend's reason). Nothing here fails the command: doctor reports, the commands that need a piece fail on it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendInfo } from '../backend.js';
import type { WebGpuAdapter } from '../backend/webgpu.js';
import { firstLine } from '../errors.js';
import { FRONTEND_PACKAGE, headlessExecutor, jupyterFrontends } from '../notebook/frontends.js';
import { KERNEL_NAME, PROJECT_ROOT, jupyterPath } from '../notebook/jupyter.js';
import { findChromium } from '../viz/png.js';

export interface Check {
  /** The line's label: `chromium`, `jupyter`, `kernelspec`. */
  name: string;
  ok: boolean;
  /** What was found, or what is missing and how to fix it. */
  detail: string;
}

const LABEL = 12;

/** A doctor line: the label padded to one column, then the text. */
export function line(name: string, text: string): string {
  return `${name.padEnd(LABEL)}${text}`;
}

/** `name        detail` lines, as doctor prints them. */
export function formatChecks(checks: readonly Check[]): string[] {
  return checks.map((c) => line(c.name, `${c.ok ? '' : 'MISSING: '}${c.detail}`));
}

/** The backend in one line: name, versions, engine, and how many kernels are patched (not their names). */
export function backendLine(info: BackendInfo, verbose = false): string[] {
  const parts = [`tfjs ${info.tfjsVersion}`];
  if (info.forced) parts.push('forced by SPLAM_BACKEND');
  if (info.native) parts.push(`${info.native.library} ${info.native.isa} × ${info.native.threads} threads`);
  if (info.webgpu) parts.push(`Dawn ${info.webgpu.dawnBackend}: ${[info.webgpu.vendor, info.webgpu.device].filter(Boolean).join(' ') || 'adapter'}`);
  if (info.patchedKernels.length) parts.push(`${info.patchedKernels.length} patched kernels`);
  const lines = [line('backend', `${info.name} (${parts.join(', ')})`)];
  if (verbose) {
    if (info.patchedKernels.length) lines.push(line('', `patched kernels: ${info.patchedKernels.join(', ')}`));
    for (const s of info.skipped) lines.push(line('', `skipped ${s.name}: ${s.reason}`));
  } else if (info.skipped.length) {
    const missing = info.skipped.every((s) => /Cannot find (package|module)/.test(s.reason));
    lines.push(line('', `skipped ${info.skipped.map((s) => s.name).join(', ')}${missing ? ' (not installed)' : ''}; --verbose for why`));
  }
  return lines;
}

/**
 * The WebGPU line: the adapter Dawn finds (name, Dawn backend, software or not) and the limits that bound tfjs's
 * kernels, or why there is none. WebGPU is used only with SPLAM_BACKEND=webgpu: the automatic order never picks it,
 * so a software adapter (Mesa's llvmpipe) is never chosen for a run.
 */
export function webgpuLines(probe: { adapter: WebGpuAdapter } | { reason: string }): string[] {
  if (!('adapter' in probe)) return [line('webgpu', `none: ${probe.reason}`)];
  const a = probe.adapter;
  const name = [a.vendor, a.device, a.description].filter(Boolean).join(' ') || 'adapter';
  const kind = a.software ? 'software adapter: a check of the GPU code path, not an engine for runs' : 'hardware adapter';
  const limits = Object.entries(a.limits).map(([k, v]) => `${k.replace(/^max/, '')} ${v}`);
  return [
    line('webgpu', `${name} (Dawn ${a.dawnBackend}, ${a.featureLevel}; ${kind}; used only with SPLAM_BACKEND=webgpu)`),
    ...(limits.length ? [line('', `limits: ${limits.join(', ')}`)] : []),
  ];
}

export function chromiumCheck(env: NodeJS.ProcessEnv = process.env): Check {
  try {
    return { name: 'chromium', ok: true, detail: `${findChromium(env)} (PNG figures, splam report)` };
  } catch (err) {
    return { name: 'chromium', ok: false, detail: `no Chromium for PNG figures: apt-get install -y --no-install-recommends chromium, or SPLAM_CHROMIUM=<path> (${firstLine(err).slice(0, 60)}…)` };
  }
}

/** The headless executor (nbclient) and the front ends on PATH. */
export function jupyterCheck(env: NodeJS.ProcessEnv = process.env): Check {
  const exec = headlessExecutor(env);
  const fronts = jupyterFrontends(env);
  const ui = fronts.length ? `front end: ${fronts.map((f) => f.command).join(', ')}` : `no front end (for one: apt-get install -y ${FRONTEND_PACKAGE})`;
  if (!exec.nbclient) {
    return { name: 'jupyter', ok: false, detail: `no nbclient in ${exec.python} (${exec.reason}): apt-get install -y jupyter-nbconvert python3-nbclient jupyter-client, or SPLAM_JUPYTER_PYTHON; ${ui}` };
  }
  return { name: 'jupyter', ok: true, detail: `nbclient ${exec.nbclient} in ${exec.python} (splam notebook run); ${ui}` };
}

/** The project-local kernelspec: written, and pointing at a Node and a shim that exist. */
export function kernelspecCheck(root = PROJECT_ROOT): Check {
  const file = join(jupyterPath(root), 'kernels', KERNEL_NAME, 'kernel.json');
  const fix = 'node bin/splam.mjs notebook kernel';
  if (!existsSync(file)) return { name: 'kernelspec', ok: false, detail: `${KERNEL_NAME} not written yet: ${fix}` };
  let argv: unknown;
  try {
    argv = (JSON.parse(readFileSync(file, 'utf8')) as { argv?: unknown }).argv;
  } catch {
    return { name: 'kernelspec', ok: false, detail: `${file} is not valid JSON: ${fix}` };
  }
  const paths = Array.isArray(argv) ? argv.slice(0, 2).map(String) : [];
  const gone = paths.length < 2 ? ['argv'] : paths.filter((p) => !existsSync(p));
  if (gone.length) return { name: 'kernelspec', ok: false, detail: `${file} points at ${gone.join(', ')}, which is missing: ${fix}` };
  if (!existsSync(join(root, 'node_modules', 'tslab'))) return { name: 'kernelspec', ok: false, detail: `tslab is not installed (npm ci), then ${fix}` };
  return { name: 'kernelspec', ok: true, detail: `${KERNEL_NAME} in ${jupyterPath(root)} (use JUPYTER_PATH=${jupyterPath(root)})` };
}
