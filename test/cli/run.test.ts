import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../../bin/splam.mjs', import.meta.url).pathname;
const quick = new URL('../../experiments/quick/solvers.json', import.meta.url).pathname;

function splam(args: string[], store: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, SPLAM_STORE: store }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('splam run records the solver comparison as a finished run with its metric series and artifacts', () => {
  const store = mkdtempSync(join(tmpdir(), 'splam-run-'));
  const r = splam(['run', quick, '--set', 'samples=16', '--set', 'nfe=[2,4]', '--json'], store);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.kind, 'solver-comparison');
  assert.match(out.report, /ring2d\s+ddim\s+uniform/);
  assert.match(r.stderr, /splam run: \d+\/\d+/, 'progress is shown');
  const show = splam(['runs', 'show', out.runId, '--json'], store);
  assert.equal(show.code, 0, show.stderr);
  const rec = JSON.parse(show.stdout);
  const run = rec.run ?? rec;
  assert.equal(run.status, 'finished');
  assert.equal(run.params.samples, 16);
  assert.deepEqual(run.params.nfe, [2, 4]);
  assert.equal(run.experiment, 'solvers');
  assert.ok(run.provenance.backend, 'backend recorded');
  assert.ok(existsSync(join(store, 'runs', out.runId, 'artifacts', 'table.txt')));
});

test('an invalid config is rejected before any work starts, naming every bad field (exit 2)', () => {
  const store = mkdtempSync(join(tmpdir(), 'splam-run-'));
  const bad = join(store, 'bad.json');
  writeFileSync(bad, JSON.stringify({ kind: 'solver-comparison', datasets: [{ name: 'a', mixture: { type: 'ring', modes: 0 } }], solvers: ['rk45'], samples: -1 }));
  const r = splam(['run', bad], store);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /datasets\[0\]\.mixture\.modes/);
  assert.match(r.stderr, /solvers\[0\]/);
  assert.match(r.stderr, /"ddim", "euler", "heun", "dpmpp2m"/);
  assert.match(r.stderr, /samples/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace for a config error');
  assert.ok(!existsSync(join(store, 'runs')) || readdirSync(join(store, 'runs')).length === 0, 'no run was started');
});

test('an unknown experiment kind lists the known kinds; a misspelt key is named', () => {
  const store = mkdtempSync(join(tmpdir(), 'splam-run-'));
  const f = join(store, 'c.json');
  writeFileSync(f, JSON.stringify({ kind: 'distil' }));
  const r = splam(['run', f], store);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /kind: unknown experiment kind .*allowed: solver-comparison, distill, teacher/);
  writeFileSync(f, JSON.stringify({ kind: 'solver-comparison', datasets: [{ name: 'a', mixture: { type: 'ring' } }], sample: 3 }));
  const r2 = splam(['run', f], store);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /sample/);
});

test('a missing config file and a malformed --set are clear errors', () => {
  const store = mkdtempSync(join(tmpdir(), 'splam-run-'));
  const r = splam(['run', join(store, 'nope.json')], store);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read the config file \(ENOENT\)/);
  const r2 = splam(['run', quick, '--set', 'samples'], store);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /expected path=value/);
});
