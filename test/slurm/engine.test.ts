/**
 * The Slurm engine's pure parts (no cluster needed): flag checks, the array spec, the array script, squeue
 * parsing, each row's state from the store's runs and squeue's tasks, and the plan file's round trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgumentError } from '../../lib/errors.js';
import { readConfigFile } from '../../lib/config.js';
import { validateConfig } from '../../lib/experiments/runner.js';
import { parseAxes, planSweep, type PlanRow } from '../../lib/experiments/sweep.js';
import { PlanError, formatPlan, planRow, readPlan } from '../../lib/scale/plan.js';
import { arrayScript, arraySpec, parseSlurmFlags, parseSlurmTime, parseSqueue, shellQuote } from '../../lib/scale/slurm.js';
import { countStates, formatStates, formatStatusTable, pointStatuses, rowsToResume } from '../../lib/scale/status.js';
import type { RunRecord } from '../../lib/track/types.js';

const quick = new URL('../../experiments/quick/distill.json', import.meta.url).pathname;

test('Slurm time limits: every form sbatch takes, in seconds; bad ones are undefined', () => {
  assert.equal(parseSlurmTime('30'), 1800);
  assert.equal(parseSlurmTime('5:30'), 330);
  assert.equal(parseSlurmTime('1:30:00'), 5400);
  assert.equal(parseSlurmTime('2-12'), (2 * 24 + 12) * 3600);
  assert.equal(parseSlurmTime('1-0:30'), 24 * 3600 + 1800);
  assert.equal(parseSlurmTime('1-2:3:4'), ((24 + 2) * 60 + 3) * 60 + 4);
  assert.equal(parseSlurmTime('infinite'), null);
  for (const bad of ['abc', '1:60', '1:2:3:4', '1-24', '-5', '1h', '', '1:99:00']) assert.equal(parseSlurmTime(bad), undefined, bad);
});

test('Slurm flags: defaults, and the first bad one as a one-line ArgumentError naming the flag', () => {
  assert.deepEqual(parseSlurmFlags({}), { cpusPerTask: 1 });
  assert.deepEqual(parseSlurmFlags({ partition: 'gpu,cpu', cpusPerTask: '4', time: '1:00:00', gres: 'gpu:a100:2', maxParallel: '3' }), {
    partition: 'gpu,cpu',
    cpusPerTask: 4,
    time: '1:00:00',
    gres: 'gpu:a100:2',
    maxParallel: 3,
  });
  for (const [flags, flag] of [
    [{ time: '90min' }, '--time'],
    [{ time: '0' }, '--time'],
    [{ cpusPerTask: '0' }, '--cpus-per-task'],
    [{ maxParallel: '1.5' }, '--max-parallel'],
    [{ partition: 'a b' }, '--partition'],
    [{ gres: 'gpu 1' }, '--gres'],
  ] as const) {
    assert.throws(
      () => parseSlurmFlags(flags),
      (err: unknown) => err instanceof ArgumentError && err.arg === flag && !err.message.includes('\n'),
      JSON.stringify(flags),
    );
  }
});

test('array specs compress rows to ranges, with the throttle', () => {
  assert.equal(arraySpec([0, 1, 2, 3]), '0-3');
  assert.equal(arraySpec([0, 1, 2, 3], 2), '0-3%2');
  assert.equal(arraySpec([9, 1, 3, 2, 7, 10]), '1-3,7,9-10');
  assert.equal(arraySpec([5]), '5');
  assert.equal(shellQuote("/a b/it's"), `'/a b/it'\\''s'`);
  assert.equal(shellQuote('/usr/bin/node'), '/usr/bin/node');
});

test('the array script maps SLURM_ARRAY_TASK_ID to one plan row, with its resources, one thread per CPU and exec', () => {
  const script = arrayScript({
    sweepId: 'sweep-x',
    planFile: '/s/sweeps/sweep-x/plan.jsonl',
    storeDir: '/s',
    logsDir: '/s/sweeps/sweep-x/logs',
    cwd: '/work dir',
    node: '/usr/bin/node',
    bin: '/repo/bin/splam.mjs',
    options: { cpusPerTask: 2, partition: 'debug', time: '10', gres: 'gpu:1' },
  });
  assert.match(script, /^#!\/bin\/bash\n/);
  for (const line of ['#SBATCH --job-name=sweep-x', '#SBATCH --output=/s/sweeps/sweep-x/logs/%A_%a.out', '#SBATCH --cpus-per-task=2', '#SBATCH --partition=debug', '#SBATCH --time=10', '#SBATCH --gres=gpu:1', '#SBATCH --signal=B:TERM@60']) {
    assert.ok(script.split('\n').includes(line), line);
  }
  assert.doesNotMatch(script, /#SBATCH --array/, 'the rows are chosen at submission (sbatch --array), so resume reuses the script');
  assert.match(script, /export OMP_NUM_THREADS="\$\{SLURM_CPUS_PER_TASK:-2\}"/);
  assert.match(script, /export SPLAM_STORE=\/s\n/);
  assert.match(script, /cd '\/work dir'\n/);
  assert.match(script, /\nexec \/usr\/bin\/node \/repo\/bin\/splam\.mjs sweep run-point \/s\/sweeps\/sweep-x\/plan\.jsonl "\$\{SLURM_ARRAY_TASK_ID:\?[^}]*\}"\n$/);
  const bare = arrayScript({ sweepId: 'y', planFile: '/p', storeDir: '/s', logsDir: '/l', cwd: '/', node: 'node', bin: 'b', options: { cpusPerTask: 1 } });
  assert.doesNotMatch(bare, /--partition|--time|--gres|--signal/);
  assert.throws(() => arrayScript({ sweepId: 'y', planFile: '/p', storeDir: '/s', logsDir: '/a b', cwd: '/', node: 'node', bin: 'b', options: { cpusPerTask: 1 } }), ArgumentError);
});

test('squeue lines: array tasks only, one per row', () => {
  const tasks = parseSqueue('12|0|RUNNING|None\n12|3|PENDING|JobArrayTaskLimit\n13|N/A|RUNNING|None\n\n');
  assert.deepEqual(tasks, [
    { jobId: '12', index: 0, state: 'RUNNING', reason: 'None' },
    { jobId: '12', index: 3, state: 'PENDING', reason: 'JobArrayTaskLimit' },
  ]);
});

async function rows(n: number): Promise<PlanRow[]> {
  const seeds = Array.from({ length: n }, (_, i) => i + 10).join(',');
  return planSweep(readConfigFile(quick), parseAxes([`seed=${seeds}`]), { source: quick, validate: validateConfig, sweepId: 'sweep-t' });
}

function run(index: number, status: RunRecord['status'], opts: { id?: string; createdAt?: number; message?: string; checkpoint?: boolean } = {}): RunRecord {
  return {
    id: opts.id ?? `r${index}-${status}`,
    name: `p${index}`,
    experiment: 'quick',
    status,
    createdAt: opts.createdAt ?? 1000,
    endedAt: null,
    heartbeatAt: 0,
    pid: 1,
    pidStart: null,
    host: 'h',
    params: {},
    tags: { sweep: 'sweep-t', 'sweep.index': String(index) },
    summary: status === 'finished' ? { loss: 0.1 } : {},
    artifacts: opts.checkpoint ? [{ name: 'checkpoint.bin', kind: 'checkpoint', bytes: 1, sha256: '', createdAt: 0 }] : [],
    provenance: {} as RunRecord['provenance'],
    error: status === 'failed' ? { name: 'Error', message: opts.message ?? 'interrupted; stopped after 40 steps', stack: null } : null,
    resumedAt: [],
    ...(status === 'crashed' ? { crashReason: 'process_gone' as const } : {}),
  };
}

test('plan rows carry the full validated config and its seed, and round-trip through the JSONL plan file', async () => {
  const plan = await rows(3);
  assert.deepEqual(plan.map((r) => [r.index, r.seed, r.config.seed, r.kind, r.sweepId]), [
    [0, 10, 10, 'distill', 'sweep-t'],
    [1, 11, 11, 'distill', 'sweep-t'],
    [2, 12, 12, 'distill', 'sweep-t'],
  ]);
  assert.equal((plan[0].config.train as { steps: number }).steps, 60, 'the config itself, not the overrides only');
  assert.ok('objective' in plan[0].config, 'with the defaults the schema filled in');
  const again = await validateConfig(plan[1].config, 'row');
  assert.deepEqual(again.config, plan[1].config, 'validating a row again gives the same config');
  const dir = mkdtempSync(join(tmpdir(), 'splam-plan-'));
  const file = join(dir, 'plan.jsonl');
  writeFileSync(file, formatPlan(plan));
  assert.deepEqual(readPlan(file), plan);
  assert.equal(planRow(readPlan(file), 2, file).seed, 12);
  assert.throws(() => planRow(plan, 3, file), ArgumentError);
  writeFileSync(file, formatPlan([plan[1]]));
  assert.throws(() => readPlan(file), (err: unknown) => err instanceof PlanError && /line 1 holds row 1; expected 0/.test(err.message));
  writeFileSync(file, '{"index":0}\n');
  assert.throws(() => readPlan(file), /field name is missing/);
});

test("a row's state: finished beats everything, squeue's live tasks next, then the latest run; never-submitted rows are planned", async () => {
  const plan = await rows(8);
  const submissions = [{ jobId: '7', indices: [0, 1, 2, 3, 4, 5, 6], array: '0-6', at: '' }];
  const runs = [
    run(0, 'failed', { createdAt: 1 }),
    run(0, 'finished', { createdAt: 2 }), // row 0: finished (an earlier failure does not matter)
    run(1, 'failed', { checkpoint: true }), // row 1: interrupted, resumable
    run(2, 'crashed', { checkpoint: true }), // row 2: crashed
    run(3, 'failed', { message: 'NaN loss at step 3' }), // row 3: failed, no checkpoint
    run(4, 'running'), // row 4: running (its task too)
    // row 5: pending in squeue; row 6: its task ended without a run; row 7: never submitted
  ];
  const tasks = parseSqueue('7|4|RUNNING|None\n9|5|PENDING|Resources\n7|6|FAILED|NonZeroExitCode\n');
  const st = pointStatuses(plan, runs, tasks, submissions);
  assert.deepEqual(st.map((p) => p.state), ['finished', 'failed', 'crashed', 'failed', 'running', 'queued', 'failed', 'planned']);
  assert.equal(st[0].runId, 'r0-finished');
  assert.deepEqual(st[0].runs, ['r0-failed', 'r0-finished']);
  assert.deepEqual(st[0].summary, { loss: 0.1 });
  assert.equal(st[1].detail, 'interrupted');
  assert.ok(st[1].checkpoint);
  assert.equal(st[3].detail, 'NaN loss at step 3');
  assert.equal(st[4].task, '7_4');
  assert.equal(st[5].task, '9_5');
  assert.match(st[5].detail, /Resources/);
  assert.match(st[6].detail, /task failed without a run/);
  assert.deepEqual(rowsToResume(st), [1, 2, 3, 6, 7], 'not finished, queued or running');
  assert.equal(formatStates(countStates(st)), '8 points: 1 finished, 1 running, 1 queued, 3 failed, 1 crashed, 1 planned');
  assert.match(formatStatusTable(st), /^1\s+\{seed: 11\}\s+failed\s+r1-failed\s+7_1\s+interrupted \(checkpoint: resumable\)$/m);

  const noSqueue = pointStatuses(plan, runs, null, submissions);
  assert.equal(noSqueue[5].state, 'failed', 'without squeue a submitted row with no run cannot be told from a lost one');
  assert.match(noSqueue[5].detail, /squeue unavailable/);
  assert.equal(noSqueue[4].state, 'running', 'the store still knows a live run');
});
