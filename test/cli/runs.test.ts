/** `splam runs …` end to end: real processes on a temp store. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { openStore, withRun } from '../../lib/track/index.js';
import { NO_GIT, ROOT, tempDir } from '../track/helpers.js';

// Temp folders are made at top level: their clean-up then runs after the whole file.
const store = tempDir('splam-cli-');
const outDir = tempDir('splam-cli-out-');
const ids: Record<string, string> = {};

function splam(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['bin/splam.mjs', 'runs', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SPLAM_STORE: store, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(async () => {
  const s = await openStore(store);
  const plan = [
    { name: 'lcm-k20', experiment: 'lcm', k: 20, fid: 12.5 },
    { name: 'splam-k20', experiment: 'splam', k: 20, fid: 8.25 },
    { name: 'splam-k40', experiment: 'splam', k: 40, fid: 9.5 },
  ];
  for (const p of plan) {
    ids[p.name] = await withRun(s, { experiment: p.experiment, name: p.name, params: { k: p.k, loss: { kind: 'l2' } }, tags: { paper: 'table2' }, provenance: NO_GIT }, async (run) => {
      for (let step = 0; step < 30; step++) run.logMetric('loss', p.fid / (step + 1), step * 10);
      await run.setSummary({ fid: p.fid });
      return run.id;
    });
  }
  await withRun(s, { experiment: 'splam', name: 'diverged', params: { k: 80 }, provenance: NO_GIT }, () => {
    throw new Error('loss is NaN');
  }).catch(() => undefined);
});

test('runs ls prints a readable table within 100 columns, newest first, with chosen metric and param columns', () => {
  const r = splam(['ls', '-m', 'fid', '-p', 'k']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.match(lines[0], /^ID\s+EXPERIMENT\s+NAME\s+STATUS\s+CREATED \(UTC\)\s+DURATION\s+k\s+fid$/);
  assert.deepEqual(lines.slice(1, 5).map((l) => l.split(/\s{2,}/)[2]), ['diverged', 'splam-k40', 'splam-k20', 'lcm-k20']);
  assert.match(lines[1], /\sfailed\s/);
  assert.equal(lines.at(-1), '4 runs');
  for (const l of lines) assert.ok(l.length <= 100, `line fits 100 columns: ${l}`);
});

test('runs ls applies the same filters as the API and prints JSON with --json', () => {
  const r = splam(['ls', '--json', '-e', 'splam', '-s', 'finished', '-t', 'paper=table2', '-f', 'params.k = 20 or metrics.fid > 9', '--order-by', 'metrics.fid DESC', '-n', '5']);
  assert.equal(r.code, 0, r.err);
  const runs = JSON.parse(r.out) as { id: string; summary: { fid: number } }[];
  assert.deepEqual(runs.map((x) => x.id), [ids['splam-k40'], ids['splam-k20']]);
  assert.deepEqual(runs.map((x) => x.summary.fid), [9.5, 8.25]);
});

test('a malformed filter exits 2 and points at the column with a caret; bad flag values name the flag', () => {
  const r = splam(['ls', '-f', 'params.k = 20 and metrics.fid <']);
  assert.equal(r.code, 2);
  const lines = r.err.trimEnd().split('\n');
  assert.match(lines[0], /^splam: FilterError: invalid filter: expected a value .* at column 32$/);
  assert.equal(lines[2].indexOf('^') - 2, 31, 'caret under column 32');
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  const bad = splam(['ls', '-n', 'ten', '-s', 'done']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--status: unknown status \(got "done"; allowed: running, finished, failed, crashed\)/);
  assert.match(bad.err, /--limit: not a whole number \(got "ten"/);
});

test('runs show prints the run; an unknown id exits 1 naming it; a path-like id exits 2', () => {
  const r = splam(['show', ids['splam-k20']]);
  assert.equal(r.code, 0, r.err);
  for (const section of ['provenance', 'params', 'tags', 'summary', 'metric series', 'artifacts']) assert.match(r.out, new RegExp(`^${section}$`, 'm'));
  assert.match(r.out, /^ {2}loss\.kind\s+l2$/m);
  assert.match(r.out, /^ {2}loss\s+30\s+0–290\s/m);
  const json = JSON.parse(splam(['show', ids['splam-k20'], '--json', '--series']).out);
  assert.equal(json.series[0].step.length, 30);
  const missing = splam(['show', '20990101-000000-000-nothere']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /StoreError: no run with id "20990101-000000-000-nothere"/);
  const evil = splam(['show', '../../etc/passwd']);
  assert.equal(evil.code, 2);
  assert.match(evil.err, /ArgumentError: getRun: argument id = "\.\.\/\.\.\/etc\/passwd" is not allowed/);
});

test('runs compare aligns a metric by step across runs and shows differing params; without --metric it compares summaries', () => {
  const r = splam(['compare', ids['splam-k20'], ids['splam-k40'], '--metric', 'loss', '--rows', '4']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^metric loss by step$/m);
  assert.match(r.out, /^\s*STEP\s+splam-k20\s+splam-k40$/m);
  assert.match(r.out, /^\s+0\s+8\.25\s+9\.5$/m);
  assert.match(r.out, /\(4 of 30 steps shown; --json for all\)/);
  assert.match(r.out, /^ {2}k\s+20\s+40$/m);
  const j = JSON.parse(splam(['compare', ids['splam-k20'], ids['lcm-k20'], '-k', 'loss', '--json']).out);
  assert.equal(j.steps.length, 30);
  assert.deepEqual(j.paramsDiff, {});
  const s = splam(['compare', ids['splam-k20'], ids['lcm-k20']]);
  assert.match(s.out, /^ {2}fid\s+8\.25\s+12\.5$/m);
});

test('runs export writes CSV to stdout and JSON with series to a file', () => {
  const csv = splam(['export', '-e', 'lcm']);
  assert.equal(csv.code, 0, csv.err);
  const [header, row, extra] = csv.out.trim().split('\n');
  assert.match(header, /^id,name,experiment,status,.*,params\.k,params\.loss\.kind,metrics\.fid,metrics\.loss,tags\.paper$/);
  assert.ok(row.startsWith(`${ids['lcm-k20']},lcm-k20,lcm,finished,`));
  assert.equal(extra, undefined);
  const out = path.join(outDir, 'runs.json');
  const j = splam(['export', '--format', 'json', '--series', '--out', out, '-f', 'attributes.status = "failed"']);
  assert.equal(j.code, 0, j.err);
  const data = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(data[0].error.message, 'loss is NaN');
  assert.deepEqual(data[0].series, []);
});

const doctorDir = tempDir('splam-cli-doctor-');

test('runs doctor: a torn index makes ls fail with a hint; --dry-run reports; doctor rebuilds and ls works again', () => {
  const dir = doctorDir;
  const cp = spawnSync('cp', ['-r', `${store}/.`, dir]);
  assert.equal(cp.status, 0);
  const index = path.join(dir, 'index.json');
  writeFileSync(index, readFileSync(index, 'utf8').slice(0, 500));
  const env = { SPLAM_STORE: dir };
  const ls = splam(['ls'], env);
  assert.equal(ls.code, 1);
  assert.match(ls.err, /StoreError: .*index\.json is corrupt: .*left untouched\n\s+hint: run `splam runs doctor`/);
  const dry = splam(['doctor', '--dry-run'], env);
  assert.equal(dry.code, 1);
  assert.match(dry.out, /^ {2}corrupt_index\s/m);
  assert.match(dry.out, /without --dry-run to repair/);
  const fix = splam(['doctor', '--json'], env);
  assert.equal(fix.code, 0, fix.err);
  const report = JSON.parse(fix.out);
  assert.equal(report.repaired, true);
  assert.equal(report.runs, 4);
  assert.match(report.backup, /index\.json\.corrupt-/);
  const again = splam(['ls', '--json', '--store', dir], { SPLAM_STORE: '/nonexistent' });
  assert.equal(JSON.parse(again.out).length, 4, '--store overrides SPLAM_STORE');
  assert.match(splam(['doctor'], env).out, /no problems found/);
  const rm = splam(['rm', ids['lcm-k20']], env);
  assert.equal(rm.code, 0, rm.err);
  assert.equal(JSON.parse(splam(['ls', '--json'], env).out).length, 3);
  const none = splam(['ls'], { SPLAM_STORE: path.join(dir, 'no-such-store') });
  assert.equal(none.code, 1);
  assert.match(none.err, /no run store at .*\n\s+hint: pass --store/);
});
