/**
 * `splam resume` on a finished run: refused with exit 2 and one line naming the run, its status
 * and the statuses that can be resumed; nothing in the store changes (before the fix it re-evaluated the run,
 * wrote `train/loss_final NaN`, stretched its duration and doubled its eval series).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runConfigFile } from '../../lib/experiments/runner.js';
import { ROOT, tempDir } from '../track/helpers.js';
import { splamInProcess } from './in-process.js';

/** Every file under `dir` with the sha256 of its bytes. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue;
    const file = path.join(f.parentPath, f.name);
    out[path.relative(dir, file)] = createHash('sha256').update(readFileSync(file)).digest('hex');
  }
  return out;
}

test('splam resume refuses a finished run: exit 2, one line naming run and status, the store untouched', async () => {
  const store = path.join(tempDir('splam-resume-finished-'), 'store');
  const quick = path.join(ROOT, 'experiments/quick/distill.json');
  const done = await runConfigFile(quick, {
    storeDir: store,
    overrides: ['train.steps=4', 'train.logEvery=2', 'train.checkpointEvery=2', 'eval.samples=16', 'eval.steps=[1]', 'eval.referenceSubsteps=10'],
  });
  const before = snapshot(store);
  assert.ok(Object.keys(before).some((f) => f.endsWith('metrics.jsonl')), 'the run has a metric log');

  const r = await splamInProcess(['resume', done.runId, '--store', store]);
  assert.equal(r.code, 2, `exit 2 (got ${r.code})\n${r.err}`);
  const lines = r.err.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line:\n${r.err}`);
  assert.match(lines[0], new RegExp(`run ${done.runId} is finished`));
  assert.match(lines[0], /interrupted, failed or crashed/);
  assert.doesNotMatch(r.err, /resumed on backend/);
  assert.deepEqual(snapshot(store), before, 'no file of the store changed');
});
