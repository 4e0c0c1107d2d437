/**
 * Jupyter plumbing for the notebooks: the project-local tslab kernelspec, and executing a notebook through
 * nbclient (Debian's `python3-nbclient`) with a report of what it produced.
 *
 * The kernelspec lives in `<repo>/.jupyter/kernels/splam-tslab/` (git-ignored) and is found through
 * `JUPYTER_PATH=<repo>/.jupyter`: nothing is installed globally. It starts scripts/tslab-kernel.cjs with this
 * Node, which runs tslab from node_modules in the repository root.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentError } from '../errors.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KERNEL_NAME = 'splam-tslab';
export const NOTEBOOK_DIR = join(PROJECT_ROOT, 'notebooks');
/** The Python that has Debian's Jupyter modules (the `python3` on PATH may be another one). */
export const DEFAULT_JUPYTER_PYTHON = '/usr/bin/python3';

/** `<repo>/.jupyter`: give it to Jupyter as JUPYTER_PATH. */
export function jupyterPath(root = PROJECT_ROOT): string {
  return join(root, '.jupyter');
}

/** The kernel.json the project uses: this Node running the tslab shim. */
export function kernelSpec(root = PROJECT_ROOT, node = process.execPath): { argv: string[]; display_name: string; language: string; metadata: Record<string, unknown> } {
  return {
    argv: [node, join(root, 'scripts', 'tslab-kernel.cjs'), 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript (splam-lab)',
    language: 'typescript',
    metadata: { splam: { root } },
  };
}

/** Write the kernelspec under `<root>/.jupyter/kernels/splam-tslab/` (idempotent). @returns the kernel.json path. */
export function writeKernelspec(root = PROJECT_ROOT): string {
  if (!existsSync(join(root, 'node_modules', 'tslab'))) {
    throw new ArgumentError('writeKernelspec', 'node_modules/tslab', join(root, 'node_modules', 'tslab'), 'installed (run: npm ci)');
  }
  const dir = join(jupyterPath(root), 'kernels', KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'kernel.json');
  writeFileSync(file, JSON.stringify(kernelSpec(root), null, 2) + '\n');
  return file;
}

/** The notebooks, in order: `notebooks/NN-*.ipynb` (files starting with `_` are scratch and skipped). */
export function listNotebooks(dir = NOTEBOOK_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb') && !f.startsWith('_') && !f.startsWith('.'))
    .sort()
    .map((f) => join(dir, f));
}

/** Resolve `02`, `02-subpaths`, `notebooks/02-subpaths.ipynb` to a notebook file. */
export function resolveNotebook(ref: string, dir = NOTEBOOK_DIR): string {
  if (existsSync(ref) && ref.endsWith('.ipynb')) return resolve(ref);
  const all = listNotebooks(dir);
  const hit = all.filter((f) => basename(f) === ref || basename(f).startsWith(`${ref.replace(/\.ipynb$/, '')}`));
  if (hit.length !== 1) {
    throw new ArgumentError('splam notebook', 'notebook', ref, `one of ${all.map((f) => basename(f, '.ipynb')).join(', ')} (or a unique prefix)`);
  }
  return hit[0];
}

/** The figure names a notebook declares in its metadata (`metadata.splam.figures`). */
export function declaredFigures(file: string): string[] {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as { metadata?: { splam?: { figures?: unknown } } };
  const f = nb.metadata?.splam?.figures;
  return Array.isArray(f) ? f.map(String) : [];
}

export interface NotebookReport {
  notebook: string;
  output: string;
  ok: boolean;
  seconds: number;
  cells: number;
  errors: { cell: number | null; text: string }[];
  /** Names of the plotly figures shown, in order. */
  figures: string[];
  plotly: number;
  png: number;
  /** Declared figures that were not shown. */
  missingFigures: string[];
}

export interface ExecuteOptions {
  /** Run in quick mode (SPLAM_QUICK=1). */
  quick?: boolean;
  /** Run store for the notebook's runs (SPLAM_STORE); default the environment's. */
  storeDir?: string;
  /** Where the executed copy goes. */
  outDir: string;
  /** Seconds per cell. Default 600. */
  timeout?: number;
  /** Python with nbclient. Default SPLAM_JUPYTER_PYTHON or /usr/bin/python3. */
  python?: string;
}

/** Execute one notebook in a fresh kernel; never throws for a failing notebook (the report says why). */
export async function executeNotebook(file: string, opts: ExecuteOptions): Promise<NotebookReport> {
  const python = opts.python ?? process.env.SPLAM_JUPYTER_PYTHON ?? DEFAULT_JUPYTER_PYTHON;
  if (!existsSync(python)) {
    throw new ArgumentError('executeNotebook', 'python', python, 'a Python with nbclient (apt-get install -y jupyter-nbconvert python3-nbclient jupyter-client), or SPLAM_JUPYTER_PYTHON');
  }
  writeKernelspec();
  mkdirSync(opts.outDir, { recursive: true });
  const output = join(opts.outDir, basename(file));
  const env: NodeJS.ProcessEnv = { ...process.env, JUPYTER_PATH: jupyterPath(), PYDEVD_DISABLE_FILE_VALIDATION: '1' };
  if (opts.quick) env.SPLAM_QUICK = '1';
  if (opts.storeDir) env.SPLAM_STORE = resolve(opts.storeDir);
  const args = [join(PROJECT_ROOT, 'scripts', 'execute-notebook.py'), file, output, '--kernel', KERNEL_NAME, '--timeout', String(opts.timeout ?? 600)];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res, rej) => {
    const p = spawn(python, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', rej);
    p.on('close', (c) => res({ code: c, stdout: out, stderr: err }));
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  let r: Omit<NotebookReport, 'notebook' | 'output' | 'missingFigures'>;
  try {
    r = JSON.parse(line);
  } catch {
    r = { ok: false, seconds: 0, cells: 0, errors: [{ cell: null, text: `executor exited ${code}: ${(stderr || stdout).trim().slice(-2000)}` }], figures: [], plotly: 0, png: 0 };
  }
  const missingFigures = declaredFigures(file).filter((f) => !r.figures.includes(f));
  return { notebook: file, output, ...r, ok: r.ok && missingFigures.length === 0, missingFigures };
}
