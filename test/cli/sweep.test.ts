import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../../bin/splam.mjs', import.meta.url).pathname;
const quick = new URL('../../experiments/quick/solvers.json', import.meta.url).pathname;
const tiny = ['--set', 'samples=8', '--set', 'nfe=[2]', '--set', 'seed=0,1', '--set', 'referenceSubsteps=20,40'];

function splam(args: string[], store: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, SPLAM_STORE: store }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function noRuns(store: string): boolean {
  return !existsSync(join(store, 'runs')) || readdirSync(join(store, 'runs')).length === 0;
}

test('splam sweep runs a 2×2 grid two at a time as four finished runs in one store, each tagged with the sweep id', () => {
  const store = mkdtempSync(join(tmpdir(), 'splam-sweep-'));
  const r = splam(['sweep', quick, ...tiny, '--parallel', '2', '--json'], store);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.match(out.sweepId, /^sweep-\d{8}-\d{6}-[0-9a-f]{4}$/);
  assert.equal(out.parallel, 2);
  assert.deepEqual(
    out.points.map((p: { values: { seed: number; referenceSubsteps: number } }) => [p.values.seed, p.values.referenceSubsteps]),
    [[0, 20], [0, 40], [1, 20], [1, 40]],
  );
  assert.ok(out.points.every((p: { status: string; runId: string }) => p.status === 'finished' && p.runId));
  assert.equal((r.stderr.match(/ started as run \S+ \(/g) ?? []).length, 4, 'one line per started point');
  assert.equal((r.stderr.match(/ finished in /g) ?? []).length, 4, 'one line per finished point');

  const ls = splam(['runs', 'ls', '--tag', `sweep=${out.sweepId}`, '--json'], store);
  assert.equal(ls.code, 0, ls.stderr);
  const runs = JSON.parse(ls.stdout) as { id: string; name: string; status: string; tags: Record<string, string>; params: { seed: number; referenceSubsteps: number; samples: number } }[];
  assert.equal(runs.length, 4);
  assert.deepEqual(new Set(runs.map((x) => x.id)), new Set(out.points.map((p: { runId: string }) => p.runId)));
  for (const run of runs) {
    assert.equal(run.status, 'finished');
    assert.equal(run.tags.sweep, out.sweepId);
    assert.equal(run.params.samples, 8);
    assert.equal(run.tags['sweep.point'], `seed=${run.params.seed},referenceSubsteps=${run.params.referenceSubsteps}`);
    assert.equal(run.name, `solvers-quick[${run.tags['sweep.point']}]`);
  }
});

test('a sweep with one invalid point starts no run and exits 2, naming the point and the field', () => {
  const store = mkdtempSync(join(tmpdir(), 'splam-sweep-'));
  const r = splam(['sweep', quick, '--set', 'samples=8', '--set', 'referenceSubsteps=20,5'], store);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /referenceSubsteps: point \{referenceSubsteps: 5\}: .*got 5; allowed: ≥ 10/);
  assert.doesNotMatch(r.stderr, / started/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace for a config error');
  assert.ok(noRuns(store), 'no run was started');
});

test('--dry-run lists the expanded points in order and runs nothing', () => {
  const store = mkdtempSync(join(tmpdir(), 'splam-sweep-'));
  const r = splam(['sweep', quick, ...tiny, '--dry-run'], store);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^4 point\(s\) of /);
  assert.match(lines[1], /#0 solvers-quick\[seed=0,referenceSubsteps=20\]\s+--set samples=8 --set nfe=\[2\] --set seed=0 --set referenceSubsteps=20$/);
  assert.match(lines[4], /#3 solvers-quick\[seed=1,referenceSubsteps=40\]/);
  assert.ok(noRuns(store));
  const bad = splam(['sweep', quick, '--set', 'nfe=[2,4', '--parallel', '0', '--dry-run'], store);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--parallel: not a whole number/);
  assert.match(bad.stderr, /nfe: unbalanced/);
});

test('Ctrl-C stops launching points and forwards SIGINT: training points stop with a checkpoint, the sweep exits 130', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'splam-sweep-'));
  const store = join(dir, 'store');
  const config = join(dir, 'distill.json');
  writeFileSync(
    config,
    JSON.stringify({
      kind: 'distill',
      data: { type: 'mixture', mixture: { type: 'ring', modes: 4, radius: 2, variance: 0.1 } },
      student: { architecture: { hidden: 16, blocks: 1, timeEmbedDim: 8 }, gammaEmbedDim: 8 },
      train: { steps: 2000, batch: 32, logEvery: 10, checkpointEvery: 50 },
      eval: { samples: 16, steps: [1], referenceSubsteps: 10, baselines: [] },
    }),
  );
  const child = spawn(process.execPath, [bin, 'sweep', config, '--set', 'seed=1,2,3', '--parallel', '2', '--json'], { env: { ...process.env, SPLAM_STORE: store } });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    // Both runs exist (and their SIGINT handlers are in place, installed right after the `started` line).
    if (!sent && (stderr.match(/ started as run /g) ?? []).length === 2) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 130, stderr);
  const out = JSON.parse(stdout);
  assert.equal(out.interrupted, true);
  assert.deepEqual(out.points.map((p: { status: string }) => p.status), ['interrupted', 'interrupted', 'skipped']);
  assert.match(stderr, /interrupted: 0 of 3 points finished, 2 interrupted, 1 skipped/);
  const runs = JSON.parse(splam(['runs', 'ls', '--json', '--tag', `sweep=${out.sweepId}`], store).stdout) as { id: string; status: string; artifacts: { name: string }[] }[];
  assert.equal(runs.length, 2, 'the skipped point started no run');
  for (const run of runs) {
    assert.equal(run.status, 'failed', 'an interrupted run is recorded as failed ("interrupted"), resumable');
    assert.ok(run.artifacts.some((a) => a.name === 'checkpoint.bin'), 'with a checkpoint');
  }
});
