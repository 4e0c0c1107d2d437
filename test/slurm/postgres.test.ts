/**
 * A Slurm sweep whose points write into the PostgreSQL run store: every array task opens the
 * store from the URL the array script exports, the plan lives in the store's artifact folder, and `sweep status`
 * reads the runs back from PostgreSQL. Needs both the Slurm cluster of scripts/slurm-start.sh and the server of
 * scripts/pg-start.sh; skipped, with the reason, when either is missing — except with CI=true, where it fails.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { doctorStore, openStore } from '../../lib/track/index.js';
import { freshPgUrl, PG_SKIP } from '../track/backends.js';
import { json, POLL_TIMEOUT_MS, quick, requireSlurm, skip as slurmSkip, splam, sweepRuns, waitForJob, type Status, type Submitted } from './helpers.js';

const skip = slurmSkip || PG_SKIP;

test('a 2-point Slurm sweep into the PostgreSQL store: finished runs with their seeds and artifacts, the plan in the artifact folder, status read from PostgreSQL', { skip, timeout: POLL_TIMEOUT_MS + 60_000 }, async (t: TestContext) => {
  requireSlurm();
  const { url, artifacts } = freshPgUrl();
  const t0 = Date.now();
  const out = json<Submitted>(splam(['sweep', quick, '--set', 'seed=3,4', '--engine', 'slurm', '--cpus-per-task', '1', '--store', url, '--json'], '/nonexistent/not-this-store'));
  assert.equal(out.array, '0-1');
  assert.equal(out.plan, join(artifacts, 'sweeps', out.sweepId, 'plan.jsonl'), 'the plan lives in the store\'s artifact folder');
  const script = readFileSync(out.script, 'utf8');
  assert.match(script, /^export SPLAM_STORE='postgres:\/\/[^']*artifacts=[^']+'$/m, 'the tasks get the store URL, artifact folder included');
  const waited = await waitForJob(out.jobId, 'PostgreSQL sweep');
  t.diagnostic(`2 points into PostgreSQL: done ${waited.toFixed(1)} s after submission (${((Date.now() - t0) / 1000).toFixed(1)} s in all)`);

  const runs = await sweepRuns(url, out.sweepId);
  const logs = readdirSync(join(artifacts, 'sweeps', out.sweepId, 'logs')).map((f) => readFileSync(join(artifacts, 'sweeps', out.sweepId, 'logs', f), 'utf8').slice(-400));
  assert.equal(runs.length, 2, `2 runs in PostgreSQL; logs: ${logs.join('\n---\n')}`);
  const store = await openStore(url, { create: false });
  try {
    for (const run of runs) {
      const i = Number(run.tags['sweep.index']);
      assert.equal(run.status, 'finished', `row ${i}: ${run.error?.message}`);
      assert.equal(run.params.seed, 3 + i);
      assert.equal(run.tags['slurm.job'], `${out.jobId}_${i}`);
      assert.ok(Object.keys(run.summary).length > 0, 'a summary');
      const series = await store.readMetrics(run.id);
      assert.ok(series.some((s) => s.step.length > 0), 'metric points in PostgreSQL');
      assert.ok(run.artifacts.length > 0, 'artifacts recorded');
      for (const a of run.artifacts) {
        assert.ok(existsSync(join(artifacts, run.id, a.name)), `${a.name} in the artifact folder`);
        assert.equal((await store.readArtifact(run.id, a.name)).length, a.bytes);
      }
    }
  } finally {
    await store.close();
  }
  const st = json<Status>(splam(['sweep', 'status', out.sweepId, '--json', '--store', url], '/nonexistent/not-this-store'));
  assert.deepEqual(st.points.map((p) => p.state), ['finished', 'finished']);
  const health = await doctorStore(url);
  assert.deepEqual(health.issues, [], 'the sweeps/ folder is not a foreign entry of the artifact folder');
});
