/**
 * `splam sweep --engine slurm` on a real Slurm cluster: the single-node one of scripts/slurm-start.sh
 * (`eval "$(bash scripts/slurm-start.sh)"`; .ci/run starts it before the tests and stops it after).
 *
 * Skipped, with the reason, where Slurm is not installed (no sbatch on PATH) or no cluster is configured (no
 * SLURM_CONF). With CI=true they fail instead: CI installs and starts Slurm, so a missing one is a broken CI.
 * The points are light (2 shared cores): one CPU per task, OMP_NUM_THREADS=1 (the array script sets it).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunRecord } from '../../lib/track/types.js';
import { json, POLL_TIMEOUT_MS, quick, requireSlurm, skip, splam, sweepRuns, waitForJob, type Status, type Submitted } from './helpers.js';

test('a 4-point quick sweep runs as a Slurm array job: 4 finished runs in the store, each with its seed, tagged with its row and task', { skip, timeout: POLL_TIMEOUT_MS + 60_000 }, async (t: TestContext) => {
  requireSlurm();
  const store = mkdtempSync(join(tmpdir(), 'splam-slurm-'));
  const t0 = Date.now();
  const out = json<Submitted>(splam(['sweep', quick, '--set', 'seed=0,1,2,3', '--engine', 'slurm', '--cpus-per-task', '1', '--max-parallel', '2', '--json'], store));
  assert.match(out.jobId, /^\d+$/);
  assert.equal(out.array, '0-3%2');
  assert.ok(existsSync(out.plan) && existsSync(out.script));
  const waited = await waitForJob(out.jobId, 'quick sweep');
  t.diagnostic(`4 points: submitted in ${((Date.now() - t0) / 1000 - waited).toFixed(1)} s, done ${waited.toFixed(1)} s later (2 at a time)`);

  const runs = await sweepRuns(store, out.sweepId);
  assert.equal(runs.length, 4, `4 runs: ${JSON.stringify(runs.map((r) => [r.tags['sweep.index'], r.status]))}; logs: ${readdirSync(join(store, 'sweeps', out.sweepId, 'logs')).join(' ')}`);
  for (const run of runs) {
    const i = Number(run.tags['sweep.index']);
    assert.equal(run.status, 'finished', `row ${i}: ${run.error?.message}`);
    assert.equal(run.params.seed, i, 'the row\'s seed is the run\'s config');
    assert.equal(run.provenance.seed, i, 'and its recorded seed');
    assert.equal(run.tags['slurm.job'], `${out.jobId}_${i}`);
    assert.equal(run.tags['sweep.point'], `seed=${i}`);
    assert.equal(run.name, `distill-quick[seed=${i}]`);
  }
  assert.deepEqual(runs.map((r) => Number(r.tags['sweep.index'])).sort(), [0, 1, 2, 3]);
  const st = json<Status>(splam(['sweep', 'status', out.sweepId, '--json'], store));
  assert.deepEqual(st.points.map((p) => p.state), ['finished', 'finished', 'finished', 'finished']);
  assert.equal(st.counts.finished, 4);
  const table = splam(['sweep', 'status', out.sweepId], store);
  assert.match(table.stdout, /4 points: 4 finished/);
  assert.deepEqual(readdirSync(join(store, 'sweeps', out.sweepId, 'logs')).sort(), [0, 1, 2, 3].map((i) => `${out.jobId}_${i}.out`));
  const resume = json<{ indices: number[]; jobId: string | null }>(splam(['sweep', 'resume', out.sweepId, '--json'], store));
  assert.deepEqual(resume, { sweepId: out.sweepId, indices: [], jobId: null }, 'nothing to resume');
});

test('scancel while a point trains: its run is failed/interrupted with a checkpoint, and splam sweep resume continues it to finished', { skip, timeout: 2 * POLL_TIMEOUT_MS + 60_000 }, async (t: TestContext) => {
  requireSlurm();
  const dir = mkdtempSync(join(tmpdir(), 'splam-slurm-'));
  const store = join(dir, 'store');
  const config = join(dir, 'long.json');
  // Small steps, many of them, a checkpoint every 20: it is still training when scancel comes.
  writeFileSync(
    config,
    JSON.stringify({
      kind: 'distill',
      name: 'long',
      data: { type: 'mixture', mixture: { type: 'ring', modes: 4, radius: 2, variance: 0.1 } },
      student: { architecture: { hidden: 16, blocks: 1, timeEmbedDim: 8 }, gammaEmbedDim: 8 },
      train: { steps: 3000, batch: 32, logEvery: 10, checkpointEvery: 20 },
      eval: { samples: 16, steps: [1], referenceSubsteps: 10, baselines: [] },
    }),
  );
  // Row 0 trains long enough to be cancelled; row 1 (short) waits behind --max-parallel 1.
  const out = json<Submitted>(splam(['sweep', config, '--set', 'seed=5', '--set', 'train.steps=3000,200', '--engine', 'slurm', '--cpus-per-task', '1', '--max-parallel', '1', '--json'], store));
  assert.equal(out.array, '0-1%1');

  // Wait for row 0's first checkpoint (row 1 waits behind the throttle), then cancel the whole job.
  const t0 = Date.now();
  let run: RunRecord | undefined;
  for (;;) {
    run = existsSync(join(store, 'index.json')) ? (await sweepRuns(store, out.sweepId)).find((r) => r.tags['sweep.index'] === '0') : undefined;
    if (run?.artifacts.some((a) => a.name === 'checkpoint.bin')) break;
    assert.ok(Date.now() - t0 < POLL_TIMEOUT_MS, 'row 0 saved a checkpoint');
    assert.notEqual(run?.status, 'finished', 'row 0 finished before it could be cancelled: give it more steps');
    await sleep(200);
  }
  const tCancel = Date.now();
  const live = json<Status>(splam(['sweep', 'status', out.sweepId, '--json'], store));
  assert.equal(live.points[0].state, 'running');
  assert.equal(live.points[1].state, 'queued', 'row 1 waits behind --max-parallel 1');
  assert.equal(spawnSync('scancel', [out.jobId]).status, 0);
  const stopped = await waitForJob(out.jobId, 'cancelled sweep');
  t.diagnostic(`first checkpoint ${((tCancel - t0) / 1000).toFixed(1)} s after submission; scancel → job gone in ${stopped.toFixed(1)} s`);

  const [after] = (await sweepRuns(store, out.sweepId)).filter((r) => r.id === run!.id);
  assert.equal(after.status, 'failed', 'scancel (SIGTERM) marks the run failed ("interrupted"), not crashed');
  assert.match(after.error?.message ?? '', /^interrupted/);
  assert.ok(after.artifacts.some((a) => a.name === 'checkpoint.bin'), 'with its checkpoint');
  const st = json<Status>(splam(['sweep', 'status', out.sweepId, '--json'], store));
  assert.equal(st.points[0].state, 'failed');
  assert.equal(st.points[0].detail, 'interrupted');
  assert.equal(st.points[0].checkpoint, true);
  assert.equal(st.points[0].runId, run.id);
  assert.equal(st.points[1].state, 'failed', 'the cancelled pending row has no run');
  assert.equal(st.points[1].runId, null);

  const tResume = Date.now();
  const resumed = json<{ indices: number[]; jobId: string; array: string }>(splam(['sweep', 'resume', out.sweepId, '--json'], store));
  assert.deepEqual(resumed.indices, [0, 1]);
  assert.equal(resumed.array, '0-1%1', 'the sweep\'s throttle is kept');
  assert.notEqual(resumed.jobId, out.jobId);
  const done = await waitForJob(resumed.jobId, 'resumed sweep');
  t.diagnostic(`resume: both rows finished ${done.toFixed(1)} s after resubmission (${((Date.now() - tResume) / 1000).toFixed(1)} s in all)`);
  const runs = await sweepRuns(store, out.sweepId);
  assert.equal(runs.length, 2, 'row 0 continued its run, it did not start another');
  const row0 = runs.find((r) => r.tags['sweep.index'] === '0')!;
  assert.equal(row0.id, run.id);
  assert.equal(row0.status, 'finished', row0.error?.message);
  assert.equal(row0.resumedAt.length, 1, 'resumed once, from its checkpoint');
  assert.equal(row0.params.seed, 5);
  assert.equal((row0.params.train as { steps: number }).steps, 3000);
  const row1 = runs.find((r) => r.tags['sweep.index'] === '1')!;
  assert.equal(row1.status, 'finished');
  assert.equal((row1.params.train as { steps: number }).steps, 200);
  assert.equal(row1.tags['slurm.job'], `${resumed.jobId}_1`);
  const final = json<Status>(splam(['sweep', 'status', out.sweepId, '--json'], store));
  assert.deepEqual(final.points.map((p) => p.state), ['finished', 'finished']);
});
