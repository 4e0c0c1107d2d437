import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInterrupted } from '../interrupt.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
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

  // The local engine ran the plan rows every engine runs: <store>/sweeps/<id>/plan.jsonl, one row per point.
  assert.equal(out.plan, join(store, 'sweeps', out.sweepId, 'plan.jsonl'));
  const rows = readFileSync(out.plan, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r: { index: number; seed: number; config: { seed: number } }) => [r.index, r.seed, r.config.seed]), [[0, 0, 0], [1, 0, 0], [2, 1, 1], [3, 1, 1]]);
  for (const run of runs) assert.equal(run.tags['sweep.index'], String(rows.findIndex((r: { key: string }) => r.key === run.tags['sweep.point'])));
  const st = splam(['sweep', 'status', out.sweepId, '--json'], store);
  assert.equal(st.code, 0, st.stderr);
  assert.deepEqual(JSON.parse(st.stdout).points.map((p: { state: string }) => p.state), ['finished', 'finished', 'finished', 'finished']);
  const again = splam(['sweep', 'run-point', out.plan, '2', '--json'], store);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).skipped, true, 'a row with a finished run is not run again');
  assert.equal(JSON.parse(again.stdout).runId, out.points[2].runId);
  assert.match(splam(['sweep', 'resume', out.sweepId], store).stdout, /0 of 4 point\(s\) to run again; nothing to do/);
});

test('an unknown --engine, a bad --time or a Slurm flag without --engine slurm exits 2 with a one-line error, before anything is written', () => {
  const store = join(mkdtempSync(join(tmpdir(), 'splam-sweep-')), 'store');
  for (const [args, message] of [
    [['--engine', 'k8s'], /^splam: ArgumentError: splam sweep: argument --engine = "k8s" is not allowed; expected local or slurm$/],
    [['--engine', 'slurm', '--time', '90min'], /argument --time = "90min" is not allowed; expected a Slurm time limit/],
    [['--engine', 'slurm', '--cpus-per-task', '0'], /argument --cpus-per-task = "0"/],
    [['--partition', 'debug'], /argument --partition = "debug" is not allowed; expected only with --engine slurm$/],
    [['--engine', 'slurm', '--parallel', '2'], /argument --parallel = "2" is not allowed; expected only with --engine local/],
  ] as const) {
    const r = splam(['sweep', quick, ...tiny, ...args], store);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr.trim(), message);
  }
  assert.ok(!existsSync(store), 'nothing was written, not even the store');
});

test('--engine slurm --dry-run writes the plan and the array script, submits nothing; status shows every point planned', () => {
  const store = mkdtempSync(join(tmpdir(), 'splam-sweep-'));
  const r = splam(['sweep', quick, ...tiny, '--engine', 'slurm', '--dry-run', '--partition', 'debug', '--time', '0:30:00', '--max-parallel', '3', '--json'], store);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.jobId, null);
  assert.equal(out.points.length, 4);
  const dir = join(store, 'sweeps', out.sweepId);
  assert.equal(out.plan, join(dir, 'plan.jsonl'));
  assert.equal(readFileSync(out.plan, 'utf8').trim().split('\n').length, 4);
  const script = readFileSync(out.script, 'utf8');
  assert.match(script, /#SBATCH --partition=debug\n#SBATCH --time=0:30:00\n/);
  assert.match(script, /sweep run-point .*plan\.jsonl "\$\{SLURM_ARRAY_TASK_ID/);
  const record = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));
  assert.equal(record.engine, 'slurm');
  assert.deepEqual(record.slurm.submissions, []);
  assert.equal(record.slurm.options.maxParallel, 3);
  assert.ok(existsSync(join(dir, 'logs')), 'the logs folder exists before a task writes there');
  assert.ok(noRuns(store));
  const st = splam(['sweep', 'status', out.sweepId], store);
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /4 points: 4 planned/);
  assert.match(st.stdout, /^3\s+\{seed: 1, referenceSubsteps: 40\}\s+planned\s+-\s+-\s+never submitted$/m);
  const text = splam(['sweep', quick, ...tiny, '--engine', 'slurm', '--dry-run'], store);
  assert.match(text.stdout, /dry run: not submitted; submit with: sbatch --array=0-3 \S+job\.sbatch/);
  const unknown = splam(['sweep', 'status', 'sweep-nope'], store);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no sweep sweep-nope in /);
});

test('SIGTERM to a plan row\'s worker (what scancel or a pod stop sends) leaves its run interrupted with a checkpoint; the same row again resumes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'splam-sweep-'));
  const store = join(dir, 'store');
  const config = join(dir, 'distill.json');
  writeFileSync(
    config,
    JSON.stringify({
      kind: 'distill',
      data: { type: 'mixture', mixture: { type: 'ring', modes: 4, radius: 2, variance: 0.1 } },
      student: { architecture: { hidden: 16, blocks: 1, timeEmbedDim: 8 }, gammaEmbedDim: 8 },
      train: { steps: 1500, batch: 32, logEvery: 10, checkpointEvery: 20 },
      eval: { samples: 16, steps: [1], referenceSubsteps: 10, baselines: [] },
    }),
  );
  const planned = splam(['sweep', config, '--set', 'seed=7', '--engine', 'slurm', '--dry-run', '--json'], store);
  assert.equal(planned.code, 0, planned.stderr);
  const { plan, sweepId } = JSON.parse(planned.stdout);
  // A Kubernetes Indexed Job passes the row as JOB_COMPLETION_INDEX; no index argument.
  const env = { ...process.env, SPLAM_STORE: store, JOB_COMPLETION_INDEX: '0', OMP_NUM_THREADS: '1' };
  const child = spawn(process.execPath, [bin, 'sweep', 'run-point', plan, '--json'], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const { openStore } = await import('../../lib/track/index.js');
  const runOf = async () => {
    if (!existsSync(join(store, 'index.json'))) return undefined;
    const s = await openStore(store, { create: false });
    try {
      return (await s.listRuns({ tags: { sweep: sweepId, 'sweep.index': '0' } }))[0];
    } finally {
      await s.close();
    }
  };
  for (let t = 0; !(await runOf())?.artifacts.some((a) => a.name === 'checkpoint.bin'); t++) {
    assert.ok(t < 600, `a first checkpoint: ${stderr}`);
    await sleep(100);
  }
  child.kill('SIGTERM');
  assert.equal(await exited, 130, stderr);
  assert.equal(JSON.parse(stdout).stopped, true);
  const run = (await runOf())!;
  assert.equal(run.status, 'failed');
  assert.match(run.error?.message ?? '', /^interrupted/);
  assert.equal(run.tags['k8s.index'], '0');
  assert.equal(run.params.seed, 7);
  const st = JSON.parse(splam(['sweep', 'status', sweepId, '--json'], store).stdout);
  assert.equal(st.points[0].state, 'failed');
  assert.equal(st.points[0].checkpoint, true);

  const again = spawnSync(process.execPath, [bin, 'sweep', 'run-point', plan, '--json'], { env, encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  const result = JSON.parse(again.stdout);
  assert.equal(result.resumed, true);
  assert.equal(result.runId, run.id, 'the same run, continued from its checkpoint');
  const done = (await runOf())!;
  assert.equal(done.status, 'finished');
  assert.equal(done.resumedAt.length, 1);
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

test('a sweep whose points name a missing checkpoint exits 2 before any point starts: one issue line naming the field and the file, nothing written', () => {
  const store = join(mkdtempSync(join(tmpdir(), 'splam-sweep-')), 'store');
  const distill = new URL('../../experiments/quick/distill.json', import.meta.url).pathname;
  const r = splam(['sweep', distill, '--set', 'teacher={"type":"learned","checkpoint":"models/no-such-teacher.ckpt"}', '--set', 'seed=0,1'], store);
  assert.equal(r.code, 2, r.stderr);
  const issues = r.stderr.split('\n').filter((l) => l.startsWith('  - '));
  assert.equal(issues.length, 1, r.stderr);
  assert.match(issues[0], /^ {2}- teacher\.checkpoint: every point: no file at \S*\/models\/no-such-teacher\.ckpt /);
  assert.doesNotMatch(r.stderr, / started/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace for a config error');
  assert.ok(!existsSync(store), 'the store (and its sweeps/ folder) was not created');
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
  // Both runs exist (and their SIGINT handlers are in place, installed right after the `started` line).
  const { code, stdout, stderr } = await runInterrupted([bin, 'sweep', config, '--set', 'seed=1,2,3', '--parallel', '2', '--json'], { ...process.env, SPLAM_STORE: store }, (err) => (err.match(/ started as run /g) ?? []).length === 2);
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
