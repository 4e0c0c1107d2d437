import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInterrupted } from '../interrupt.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../../bin/splam.mjs', import.meta.url).pathname;

const configDir = mkdtempSync(join(tmpdir(), 'splam-configs-'));

function config(over: Record<string, unknown> = {}): string {
  const file = join(configDir, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      kind: 'distill',
      seed: 1,
      data: { type: 'mixture', mixture: { type: 'ring', modes: 4, radius: 2, variance: 0.1 } },
      student: { architecture: { hidden: 16, blocks: 1, timeEmbedDim: 8 }, gammaEmbedDim: 8 },
      train: { steps: 400, batch: 32, logEvery: 10, checkpointEvery: 50 },
      eval: { samples: 16, steps: [1], referenceSubsteps: 10, baselines: [] },
      ...over,
    }),
  );
  return file;
}

function splam(args: string[], store: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, SPLAM_STORE: store }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('SIGINT stops training with a checkpoint; splam resume finishes with the same loss as an uninterrupted run', async () => {
  const store = join(mkdtempSync(join(tmpdir(), 'splam-train-')), 'store');
  const file = config();
  const straight = splam(['run', file, '--json'], store);
  assert.equal(straight.code, 0, straight.stderr);
  const want = JSON.parse(straight.stdout).summary['train/loss_final'];

  const { code, stdout, stderr } = await runInterrupted([bin, 'run', file, '--json'], { ...process.env, SPLAM_STORE: store }, (err) => /splam run: \d+\/400/.test(err));
  assert.equal(code, 130, stderr);
  const interrupted = JSON.parse(stdout);
  assert.equal(interrupted.stopped, true);
  const id = interrupted.runId;
  const shown = JSON.parse(splam(['runs', 'show', id, '--json'], store).stdout);
  const rec = shown.run ?? shown;
  assert.equal(rec.status, 'failed');
  assert.match(rec.error.message, /interrupted/);
  assert.ok(existsSync(join(store, 'runs', id, 'artifacts', 'checkpoint.bin')));

  const resumed = splam(['resume', id, '--json'], store);
  assert.equal(resumed.code, 0, resumed.stderr);
  const out = JSON.parse(resumed.stdout);
  assert.equal(out.summary['train/steps'], 400);
  assert.equal(out.summary['train/loss_final'], want, 'the resumed run ends exactly where the uninterrupted one does');
  const after = JSON.parse(splam(['runs', 'show', id, '--json'], store).stdout);
  assert.equal((after.run ?? after).status, 'finished');
});

test('a non-finite loss fails the run with the step and the reason, keeping the last good checkpoint', () => {
  const store = join(mkdtempSync(join(tmpdir(), 'splam-train-')), 'store');
  const file = config({ train: { steps: 50, batch: 32, lr: 1e30, logEvery: 1, checkpointEvery: 1 } });
  const r = splam(['run', file, '--json'], store);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /NonFiniteLossError: training stopped at step \d+: (loss|gradNorm) is (NaN|Infinity|-Infinity)/);
  const runs = JSON.parse(splam(['runs', 'ls', '--json'], store).stdout);
  const list = Array.isArray(runs) ? runs : runs.runs;
  assert.equal(list.length, 1);
  const rec = list[0];
  assert.equal(rec.status, 'failed');
  assert.match(rec.error.message, /\(non-finite\); the last good checkpoint is after step \d+/);
  assert.ok(existsSync(join(store, 'runs', rec.id, 'artifacts', 'checkpoint.bin')));
});

test('resuming a run that never saved a checkpoint, or an unknown run, is a clear error', () => {
  const store = join(mkdtempSync(join(tmpdir(), 'splam-train-')), 'store');
  const r = splam(['resume', '20260101-000000-000-abcdef'], store);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no run with id|not a store|store_not_found|does not exist/i);
});
