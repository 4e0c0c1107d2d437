/**
 * Bad paths and hostile input through the CLI: each is one error line naming the path, exit 2
 * for bad input (a flag value), exit 1 for a store or filesystem problem; never a stack trace.
 * Read-only filesystem: root ignores permission bits, so a chmod cannot simulate it; tested with a read-only bind
 * mount where `mount` is allowed (skipped elsewhere), and always with a file standing where a folder must be.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { openStore, withRun } from '../../lib/track/index.js';
import { NO_GIT, ROOT, tempDir } from '../track/helpers.js';

const store = tempDir('splam-paths-');
const work = tempDir('splam-paths-out-');
const solvers = path.join(ROOT, 'experiments/quick/solvers.json');

function splam(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/splam.mjs', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SPLAM_STORE: store } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** One `splam: …` line (a ConfigError may add its indented issue lines), no stack. */
function oneError(err: string): void {
  assert.match(err, /^splam: /);
  assert.doesNotMatch(err, /\n\s+at /, `no stack trace:\n${err}`);
  assert.ok(err.trim().split('\n').length <= 3, `a short error:\n${err}`);
}

before(async () => {
  const s = await openStore(store);
  await withRun(s, { experiment: 'e', provenance: NO_GIT }, (run) => run.logMetric('loss', 1));
  await s.close();
});

test('runs export --out a folder, or into a missing folder, exits 2 naming the path and writes nothing; a file works', () => {
  const dir = splam(['runs', 'export', '--out', work]);
  assert.equal(dir.code, 2, dir.err);
  oneError(dir.err);
  assert.match(dir.err, new RegExp(`--out: ${work.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a folder`));
  const missing = path.join(work, 'no', 'such', 'runs.csv');
  const r = splam(['runs', 'export', '--out', missing]);
  assert.equal(r.code, 2, r.err);
  oneError(r.err);
  assert.match(r.err, /--out: the folder .*no\/such does not exist/);
  assert.ok(!existsSync(path.join(work, 'no')));
  const good = path.join(work, 'runs.csv');
  assert.equal(splam(['runs', 'export', '--out', good]).code, 0);
  assert.match(readFileSync(good, 'utf8'), /^id,/);
});

test('filters of 20,000 nested parentheses or 30,000 NOTs exit 2 with the column, no stack trace', () => {
  for (const f of [`${'('.repeat(20_000)}params.k = 1${')'.repeat(20_000)}`, `${'NOT '.repeat(30_000)}params.k = 1`]) {
    const r = splam(['runs', 'ls', '-f', f]);
    assert.equal(r.code, 2, r.err.slice(0, 300));
    assert.match(r.err, /^splam: FilterError: invalid filter: nested deeper than 100 levels \(parentheses and NOT\) at column \d+\n/);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
});

test('a store below a file (ENOTDIR) is one StoreError line naming the path, exit 1, for run and for ls', () => {
  const file = path.join(work, 'a-file');
  writeFileSync(file, 'x');
  const where = path.join(file, 'store');
  const run = splam(['run', solvers, '--store', where]);
  assert.equal(run.code, 1, run.err);
  oneError(run.err);
  assert.match(run.err, new RegExp(`StoreError: ${where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be a run store: a part of its path is a file`));
  const ls = splam(['runs', 'ls', '--store', where]);
  assert.equal(ls.code, 1);
  oneError(ls.err);
});

test('a store on a read-only filesystem (bind mount): reads work, writes fail with one line naming the path (skips where mount is not allowed)', (t) => {
  const src = path.join(work, 'ro-src');
  const ro = path.join(work, 'ro');
  mkdirSync(src);
  mkdirSync(ro);
  spawnSync('cp', ['-r', store, path.join(src, 'store')]);
  const bind = spawnSync('mount', ['--bind', src, ro], { encoding: 'utf8' });
  if (bind.status !== 0) {
    t.skip(`cannot bind-mount here (${bind.stderr.trim() || `exit ${bind.status}`})`);
    return;
  }
  try {
    const remount = spawnSync('mount', ['-o', 'remount,bind,ro', ro], { encoding: 'utf8' });
    if (remount.status !== 0) {
      t.skip(`cannot remount read-only (${remount.stderr.trim()})`);
      return;
    }
    const roStore = path.join(ro, 'store');
    const ls = splam(['runs', 'ls', '--json', '--store', roStore]);
    assert.equal(ls.code, 0, ls.err);
    assert.equal(JSON.parse(ls.out).length, 1, 'reads need no write access');
    const run = splam(['run', solvers, '--set', 'samples=8', '--store', roStore]);
    assert.equal(run.code, 1, run.err);
    oneError(run.err);
    assert.match(run.err, new RegExp(`${roStore.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\.store\\.lock.*EROFS: read-only file system`));
    const fresh = splam(['run', solvers, '--set', 'samples=8', '--store', path.join(ro, 'new-store')]);
    assert.equal(fresh.code, 1, fresh.err);
    oneError(fresh.err);
    assert.match(fresh.err, /cannot create the run store at .*new-store: EROFS: read-only file system/);
    const doctor = splam(['runs', 'doctor', '--store', roStore]);
    assert.equal(doctor.code, 1, doctor.err);
    oneError(doctor.err);
  } finally {
    spawnSync('umount', ['-l', ro]);
  }
});
