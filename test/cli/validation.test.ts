/**
 * Validation before any write: a config or flag the store or the kind would refuse is a
 * ConfigError / ArgumentError naming the field, raised before the store exists, so a rejected `splam run` or
 * `splam resume` creates nothing. In-process through the runner, plus real processes for exit statuses.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readConfigFile } from '../../lib/config.js';
import { ArgumentError, ConfigError, StoreError } from '../../lib/errors.js';
import { resumeRunById, runConfigFile } from '../../lib/experiments/runner.js';
import { applyOverrides } from '../../lib/experiments/overrides.js';
import { inputFilesOf } from '../../lib/experiments/preflight.js';
import { ROOT, tempDir } from '../track/helpers.js';

const solvers = path.join(ROOT, 'experiments/quick/solvers.json');
const distill = path.join(ROOT, 'experiments/quick/distill.json');
const imageEval = path.join(ROOT, 'experiments/quick/image-eval.json');
const dir = tempDir('splam-validate-');

/** Run `splam run` in-process on a store path that must not come into being; returns the error. */
async function rejected(file: string, opts: { overrides?: string[]; name?: string }): Promise<ConfigError> {
  const store = path.join(dir, `store-${Math.random().toString(36).slice(2)}`);
  let caught: unknown;
  try {
    await runConfigFile(file, { ...opts, storeDir: store });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected ConfigError, got ${String(caught)}`);
  assert.ok(!existsSync(store), 'the store was not created');
  return caught;
}

function config(name: string, body: Record<string, unknown>): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

test('a run name with a tab or of 300 characters, or an experiment named __proto__ or with a tab, is rejected before the store exists', async () => {
  const tab = await rejected(solvers, { name: 'a\tb' });
  assert.deepEqual(tab.issues.map((i) => [i.path, i.value]), [['--name', 'a\tb']]);
  assert.match(tab.message, /--name: not an allowed run name .*allowed: a string of at most 250 characters without control characters/);
  const long = await rejected(solvers, { name: 'x'.repeat(300) });
  assert.equal(long.issues[0].path, '--name');
  const proto = await rejected(solvers, { overrides: ['experiment="__proto__"'] });
  assert.deepEqual(proto.issues.map((i) => [i.path, i.value]), [['experiment', '__proto__']]);
  assert.match(proto.message, /allowed: a name matching .* other than __proto__/);
  const inFile = await rejected(config('named.json', { ...readConfigFile(solvers), name: 'n\nl', experiment: 'a\tb' }), {});
  assert.deepEqual(inFile.issues.map((i) => i.path), ['experiment', 'name'], 'every problem at once');
});

test('a missing teacher or student checkpoint is a ConfigError naming the field and the file, before the run starts', async () => {
  const teacher = await rejected(distill, { overrides: ['teacher={"type":"learned","checkpoint":"models/no-such-teacher.ckpt"}'] });
  assert.deepEqual(teacher.issues.map((i) => [i.path, i.value]), [['teacher.checkpoint', 'models/no-such-teacher.ckpt']]);
  assert.match(teacher.message, new RegExp(`no file at ${path.join(ROOT, 'models/no-such-teacher.ckpt').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const init = await rejected(distill, { overrides: ['student.init=models/gone.ckpt'] });
  assert.equal(init.issues[0].path, 'student.init');
  const student = await rejected(imageEval, { overrides: ['students[1].checkpoint=models/gone-student.ckpt', 'autoencoder=models'] });
  assert.deepEqual(student.issues.map((i) => i.path).sort(), ['autoencoder', 'students[1].checkpoint']);
  assert.match(student.message, /is a folder, not a file/);
});

test('input files are found by field name and .ckpt suffix; keywords and export targets are not files', () => {
  const files = inputFilesOf({
    teacher: { type: 'learned', checkpoint: 'a.ckpt' },
    student: { init: 'scratch' },
    students: [{ checkpoint: 'b' }],
    classifier: 'c.bin',
    extra: { weights: 'd.ckpt' },
    export: 'models/out.ckpt',
    name: 'x.ckpt-ish',
  });
  assert.deepEqual(files, [
    { field: 'teacher.checkpoint', file: 'a.ckpt' },
    { field: 'students[0].checkpoint', file: 'b' },
    { field: 'classifier', file: 'c.bin' },
    { field: 'extra.weights', file: 'd.ckpt' },
  ]);
  assert.deepEqual(inputFilesOf({ student: { init: 'teacher' } }), []);
});

test('--set __proto__.x=1 (or constructor, prototype) is a ConfigError naming the segment; Object.prototype stays clean', async () => {
  for (const set of ['__proto__.x=1', 'datasets[0].constructor.prototype.x=1', 'a.prototype=2']) {
    const err = await rejected(solvers, { overrides: [set] });
    assert.match(err.message, /is not a config field/, set);
  }
  assert.equal(({} as Record<string, unknown>).x, undefined);
  assert.throws(() => applyOverrides({}, ['__proto__.polluted=1']), ConfigError);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('a config nested 100,000 levels deep, or a --set value nested so, is a ConfigError naming the path', async () => {
  const n = 100_000;
  const deep = path.join(dir, 'deep.json');
  writeFileSync(deep, `{"kind":"solver-comparison","datasets":${'['.repeat(n)}${']'.repeat(n)}}`);
  const err = await rejected(deep, {});
  assert.match(err.message, /datasets\[0\][[\]0]*\.\.\.: nested deeper than 64 levels/);
  const obj = path.join(dir, 'deep-object.json');
  writeFileSync(obj, `{"kind":"solver-comparison","x":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`);
  assert.match((await rejected(obj, {})).message, /x\.a[.a]*\.\.\.: nested deeper than 64 levels/);
  const set = await rejected(solvers, { overrides: [`nfe=${'['.repeat(50_000)}${']'.repeat(50_000)}`] });
  assert.match(set.message, /invalid --set:\n\s+- nfe\[0\][[\]0]*\.\.\.: nested deeper/);
});

test('resume of an unknown id or a missing store creates nothing; a malformed id is an ArgumentError', async () => {
  const store = path.join(dir, 'no-store');
  await assert.rejects(resumeRunById('20260101-000000-000-abcdef', { storeDir: store }), (err: unknown) => err instanceof StoreError && err.code === 'store_not_found');
  assert.ok(!existsSync(store), 'no store was created');
  await assert.rejects(resumeRunById('../../etc', { storeDir: store }), ArgumentError);
  assert.ok(!existsSync(store));
});

function splam(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/splam.mjs', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('through the CLI: a bad --name and a deep config exit 2 with one error and no stack; resume of an unknown id exits 1 and creates no store', () => {
  const store = path.join(dir, 'cli-store');
  const name = splam(['run', solvers, '--name', 'a\tb', '--store', store]);
  assert.equal(name.code, 2, name.err);
  assert.match(name.err, /^splam: ConfigError: invalid .*solvers\.json:\n\s+- --name: not an allowed run name/);
  const deep = splam(['run', path.join(dir, 'deep.json'), '--store', store]);
  assert.equal(deep.code, 2, deep.err);
  assert.doesNotMatch(deep.err + name.err, /\n\s+at /, 'no stack trace');
  const proto = splam(['run', solvers, '--set', '__proto__.x=1', '--store', store]);
  assert.equal(proto.code, 2, proto.err);
  assert.match(proto.err, /"__proto__" is not a config field/);
  const resume = splam(['resume', '20260101-000000-000-abcdef', '--store', store]);
  assert.equal(resume.code, 1, resume.err);
  assert.match(resume.err, /no run store at /);
  assert.ok(!existsSync(store), 'nothing was created');
});
