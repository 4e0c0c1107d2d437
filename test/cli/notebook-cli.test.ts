/**
 * `splam notebook run` and `splam notebook kernel` as a new user meets them, in-process
 * through runCli. The executor is a stand-in (SPLAM_JUPYTER_PYTHON: a Node script that answers like
 * scripts/execute-notebook.py), so no kernel starts:
 * - executed copies go to a visible folder (notebooks/executed/ by default), whose path is printed; a dot-folder
 *   given as --out (Jupyter Server refuses to open files under one) exits 2 before anything runs;
 * - `notebook kernel` prints an open command only for a front end that is installed, else how to install one.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from '../track/helpers.js';
import { splamInProcess } from './in-process.js';

const dir = tempDir('splam-nb-cli-');

/** A stand-in for the executor: reports success with the notebook's declared figures and writes the copy. */
function fakeExecutor(): string {
  const file = path.join(dir, 'fake-python.mjs');
  writeFileSync(
    file,
    `#!${process.execPath}
import { copyFileSync, readFileSync } from 'node:fs';
const [, , script, input, output] = process.argv;
if (!script.endsWith('execute-notebook.py')) process.exit(3);
const figures = JSON.parse(readFileSync(input, 'utf8')).metadata?.splam?.figures ?? [];
if (process.env.FAKE_WRITE) copyFileSync(input, output);
console.log(JSON.stringify({ ok: true, seconds: 0.1, cells: 1, errors: [], figures, plotly: figures.length, png: 0 }));
`,
  );
  chmodSync(file, 0o755);
  return file;
}

/** Any path segment that starts with a dot, below the repository root or anywhere outside it. */
function hidden(p: string): string | undefined {
  const rel = path.relative(ROOT, p);
  return (rel.startsWith('..') ? p : rel).split(path.sep).find((s) => s.startsWith('.') && s !== '.' && s !== '..');
}

test('notebook run writes executed copies to a visible folder and prints their paths (default notebooks/executed/)', async () => {
  const env = { SPLAM_JUPYTER_PYTHON: fakeExecutor() };
  const r = await splamInProcess(['notebook', 'run', '00', '--store', path.join(dir, 'store')], env);
  assert.equal(r.code, 0, r.err);
  const copy = /→ (\S+\.ipynb)$/m.exec(r.err)?.[1];
  assert.ok(copy, `the executed copy's path is printed:\n${r.err}`);
  assert.equal(copy, path.join(ROOT, 'notebooks', 'executed', '00-quickstart.ipynb'));
  assert.equal(hidden(copy), undefined, `${copy} is under no dot-folder`);
  assert.match(r.out, new RegExp(`executed copies in ${path.join(ROOT, 'notebooks', 'executed').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));

  const out = path.join(dir, 'visible');
  const w = await splamInProcess(['notebook', 'run', '00', '--out', out, '--store', path.join(dir, 'store')], { ...env, FAKE_WRITE: '1' });
  assert.equal(w.code, 0, w.err);
  assert.ok(existsSync(path.join(out, '00-quickstart.ipynb')), 'the copy is where the path says');
});

test('notebook run --out under a dot-folder exits 2 with one line naming it, before running anything', async () => {
  const out = path.join(dir, 'x', '.executed');
  const r = await splamInProcess(['notebook', 'run', '00', '--out', out], { SPLAM_JUPYTER_PYTHON: path.join(dir, 'no-such-python') });
  assert.equal(r.code, 2, r.err);
  const lines = r.err.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0], /--out/);
  assert.match(lines[0], /\.executed/);
  assert.match(lines[0], /Jupyter refuses/);
  assert.ok(!existsSync(out), 'nothing created');
});

test('notebook kernel prints the open command of an installed front end only, else how to install one', async () => {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const none = await splamInProcess(['notebook', 'kernel'], { PATH: path.join(dir, 'empty'), SPLAM_JUPYTERLAB_VENV: path.join(dir, 'no-venv') });
  assert.equal(none.code, 0, none.err);
  assert.doesNotMatch(none.out, /^open the notebooks with:/m, 'no command for a front end that is not there');
  assert.match(none.out, /no Jupyter front end is installed/);
  assert.match(none.out, /apt-get install -y jupyter-notebook/);
  assert.match(none.out, /node bin\/splam\.mjs notebook run 00/);

  const lab = path.join(bin, 'jupyter-lab');
  writeFileSync(lab, '#!/bin/sh\nexit 0\n');
  chmodSync(lab, 0o755);
  const some = await splamInProcess(['notebook', 'kernel'], { PATH: bin });
  assert.equal(some.code, 0, some.err);
  assert.match(some.out, /^open the notebooks with: {2}JUPYTER_PATH=\S+\/\.jupyter jupyter lab notebooks\/$/m);
  assert.doesNotMatch(some.out, /jupyter notebook/);

  // The project's own JupyterLab (scripts/jupyterlab-venv.sh), when nothing is on PATH.
  const venv = path.join(dir, 'venv');
  mkdirSync(path.join(venv, 'bin'), { recursive: true });
  writeFileSync(path.join(venv, 'bin', 'jupyter-lab'), '#!/bin/sh\nexit 0\n');
  chmodSync(path.join(venv, 'bin', 'jupyter-lab'), 0o755);
  const own = await splamInProcess(['notebook', 'kernel'], { PATH: path.join(dir, 'empty'), SPLAM_JUPYTERLAB_VENV: venv });
  assert.equal(own.code, 0, own.err);
  assert.match(own.out, new RegExp(`^open the notebooks with: {2}JUPYTER_PATH=\\S+ ${venv.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/bin/jupyter lab notebooks/$`, 'm'));
  assert.doesNotMatch(own.out, /no Jupyter front end/);
});
