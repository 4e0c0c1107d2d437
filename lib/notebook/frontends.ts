/**
 * What this machine has for opening and running the notebooks, so that commands print only what works here
 * (what `splam doctor` reports): a Jupyter front end (`jupyter lab`, `jupyter notebook`) found on PATH, the headless executor
 * (a Python with nbclient, what `splam notebook run` uses), and where executed copies go (a visible folder:
 * Jupyter Server refuses to open anything under a dot-folder).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DEFAULT_JUPYTER_PYTHON, NOTEBOOK_DIR, PROJECT_ROOT, jupyterPath } from './jupyter.js';

/** Where `splam notebook run` writes executed copies by default: visible, git-ignored. */
export const EXECUTED_DIR = join(NOTEBOOK_DIR, 'executed');

/** The Debian package that gives `jupyter notebook` (Notebook 6 on bookworm). */
export const FRONTEND_PACKAGE = 'jupyter-notebook';

export interface Frontend {
  /** The command people type: `jupyter lab`, `jupyter notebook`. */
  command: string;
  /** The executable found on PATH. */
  path: string;
}

/** The first executable called `name` on `PATH`, or null. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The project-local JupyterLab with plotly's renderer that `scripts/jupyterlab-venv.sh` (run by setup) builds:
 * `$SPLAM_JUPYTERLAB_VENV`, else `.venv-jupyterlab-plotly/` in the repository.
 */
export function projectJupyterLab(env: NodeJS.ProcessEnv = process.env): Frontend | null {
  const venv = env.SPLAM_JUPYTERLAB_VENV ?? join(PROJECT_ROOT, '.venv-jupyterlab-plotly');
  const path = join(venv, 'bin', 'jupyter-lab');
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return null;
  }
  const rel = relative(PROJECT_ROOT, venv);
  return { command: `${rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : venv}/bin/jupyter lab`, path };
}

/** The Jupyter front ends on PATH, JupyterLab first, then the project's own JupyterLab ({@link projectJupyterLab}). */
export function jupyterFrontends(env: NodeJS.ProcessEnv = process.env): Frontend[] {
  const out: Frontend[] = [];
  for (const [exe, command] of [
    ['jupyter-lab', 'jupyter lab'],
    ['jupyter-notebook', 'jupyter notebook'],
  ] as const) {
    const path = which(exe, env);
    if (path) out.push({ command, path });
  }
  const own = projectJupyterLab(env);
  if (own) out.push(own);
  return out;
}

/** The command that opens `dir` (relative to the repository root) in `frontend` with the project's kernelspec. */
export function openCommand(frontend: Frontend, dir: string): string {
  return `JUPYTER_PATH=${jupyterPath()} ${frontend.command} ${dir}`;
}

/** The Python the headless executor uses and whether it has nbclient (its version), or why not. */
export function headlessExecutor(env: NodeJS.ProcessEnv = process.env): { python: string; nbclient: string | null; reason?: string } {
  const python = env.SPLAM_JUPYTER_PYTHON ?? DEFAULT_JUPYTER_PYTHON;
  const r = spawnSync(python, ['-c', 'import nbclient, nbformat; print(nbclient.__version__)'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return { python, nbclient: null, reason: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${python} not found` : r.error.message };
  if (r.status !== 0) return { python, nbclient: null, reason: (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).trim() };
  return { python, nbclient: r.stdout.trim() };
}

/**
 * Lines telling how to open the notebooks here: the command of each installed front end, else how to install one;
 * and the headless command, which needs only what setup installs.
 */
export function openHints(env: NodeJS.ProcessEnv = process.env, dir = 'notebooks/'): string[] {
  const frontends = jupyterFrontends(env);
  const lines = frontends.length
    ? [`open the notebooks with:  ${openCommand(frontends[0], dir)}`, ...frontends.slice(1).map((f) => `                      or:  ${openCommand(f, dir)}`)]
    : [
        `no Jupyter front end is installed (neither jupyter lab nor jupyter notebook is on PATH, no project JupyterLab from scripts/jupyterlab-venv.sh); to get one:`,
        `  apt-get install -y ${FRONTEND_PACKAGE}, then:  ${openCommand({ command: 'jupyter notebook', path: '' }, dir)}`,
      ];
  lines.push(`run them headless:        node bin/splam.mjs notebook run 00   (executed copies in ${relative(PROJECT_ROOT, EXECUTED_DIR)}/)`);
  return lines;
}

/**
 * The first segment of `dir` that starts with a dot (`.executed`), or null. Inside the repository only the part
 * below its root counts (Jupyter is started there); elsewhere the whole path does.
 */
export function hiddenSegment(dir: string, root = PROJECT_ROOT): string | null {
  const abs = resolve(dir);
  const rel = relative(root, abs);
  const inside = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  const parts = (inside ? rel : abs).split(sep);
  return parts.find((p) => p.startsWith('.') && p !== '.' && p !== '..') ?? null;
}
