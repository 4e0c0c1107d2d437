/**
 * Queries on names no run has and the summary comparison, in-process through runCli on
 * a temp store: a typo in a filter, an order-by, a column or `compare --metric` exits 2 with one line naming the
 * missing name and the closest ones (before: "no runs match" / "(no points)", exit 0); `runs compare` lists the
 * metrics that differ first, keeps long names whole and limits to a prefix with --prefix.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import { openStore, withRun } from '../../lib/track/index.js';
import { NO_GIT, tempDir } from '../track/helpers.js';
import { splamInProcess } from './in-process.js';

const store = path.join(tempDir('splam-queries-'), 'store');
const ids: string[] = [];
const ERR = 'student/steps4/same_noise_err'; // 29 characters before its _max/_mean/_std: cut at 28 before the fix

const runs = (args: string[]) => splamInProcess(['runs', ...args, '--store', store]);

/** The error is one line, names what it must, and carries no stack. */
function oneLine(r: { code: number; out: string; err: string }, ...parts: RegExp[]): void {
  assert.equal(r.code, 2, `exit 2 (got ${r.code})\nstdout: ${r.out}\nstderr: ${r.err}`);
  const lines = r.err.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line:\n${r.err}`);
  for (const p of parts) assert.match(lines[0], p);
  assert.doesNotMatch(r.out, /no runs match/);
}

before(async () => {
  const s = await openStore(store);
  for (const seed of [0, 1]) {
    ids.push(
      await withRun(s, { experiment: 'queries', name: `seed${seed}`, params: { seed, train: { steps: 10, lr: 1e-3 } }, provenance: NO_GIT }, async (run) => {
        for (let step = 0; step < 5; step++) run.logMetric('train/loss', (seed + 1) / (step + 1), step);
        await run.setSummary({
          'train/loss_final': 0.5 + seed,
          [`${ERR}_max`]: 3 + seed,
          [`${ERR}_mean`]: 2 + seed,
          [`${ERR}_std`]: 1,
          'eval/samples': 128,
        });
        return run.id;
      }),
    );
  }
  await s.close();
});

test('runs ls --filter on a field no run has exits 2 naming it and the closest fields; a known field that matches nothing still says so', async () => {
  oneLine(await runs(['ls', '--filter', 'params.sed = 0']), /--filter "params\.sed = 0"/, /unknown field params\.sed/, /closest: params\.seed/);
  oneLine(await runs(['ls', '--filter', 'params.seed = 0 and metrics.train/los < 1']), /unknown field metrics\.train\/los/, /closest: metrics\.train\/loss\b/);
  oneLine(await runs(['ls', '--filter', 'params.train.step > 1']), /unknown field params\.train\.step\b/, /closest: params\.train\.steps/);
  oneLine(await runs(['ls', '--order-by', 'metrics.train/loss_fnal DESC']), /--order-by/, /closest: metrics\.train\/loss_final/);
  oneLine(await runs(['ls', '-m', 'train/loss,eval/sample']), /--metrics/, /unknown metric eval\/sample\b/, /closest: eval\/samples/);
  const none = await runs(['ls', '--filter', 'params.seed = 7']);
  assert.equal(none.code, 0, none.err);
  assert.match(none.out, /no runs match/);
  const ok = await runs(['ls', '--filter', 'params.seed = 1 and params.train.steps = 10', '--json']);
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual((JSON.parse(ok.out) as { id: string }[]).map((r) => r.id), [ids[1]]);
});

test('runs export --filter on an unknown field exits 2 too', async () => {
  oneLine(await runs(['export', '--filter', 'tags.papr = "x"']), /unknown field tags\.papr/);
});

test('runs compare --metric with a key none of the runs logged exits 2 with the closest series keys; a summary-only key says so', async () => {
  oneLine(await runs(['compare', ...ids, '--metric', 'train/loz']), /--metric: unknown metric series "train\/loz"/, /none of the 2 runs logged it/, /closest: train\/loss/);
  oneLine(await runs(['compare', ...ids, '--metric', 'train/loss_final']), /summary value only/);
  const ok = await runs(['compare', ...ids, '--metric', 'train/loss']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^metric train\/loss by step/);
});

test('runs compare lists the summary metrics that differ first, never cuts their names, and --prefix limits them', async () => {
  const r = await runs(['compare', ...ids]);
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.out, /…/, 'nothing cut');
  for (const s of ['max', 'mean', 'std']) assert.match(r.out, new RegExp(`^  ${ERR}_${s}\\s`, 'm'), `${ERR}_${s} whole`);
  const lines = r.out.split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const differ = at(/^summary metrics that differ \(4\)$/);
  const same = at(/^summary metrics equal in every run \(2\)$/);
  assert.ok(differ >= 0 && same > differ, `a section of differing metrics before the equal ones:\n${r.out}`);
  for (const k of ['train/loss', 'train/loss_final', `${ERR}_max`, `${ERR}_mean`]) {
    const i = at(new RegExp(`^  ${k}\\s`));
    assert.ok(i > differ && i < same, `${k} among those that differ`);
  }
  for (const k of [`${ERR}_std`, 'eval/samples']) assert.ok(at(new RegExp(`^  ${k}\\s`)) > same, `${k} among the equal ones`);

  const p = await runs(['compare', ...ids, '--prefix', 'student/']);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /^summary metrics under "student\/" that differ \(2\)$/m);
  assert.doesNotMatch(p.out, /train\/loss|eval\/samples/);
  oneLine(await runs(['compare', ...ids, '--prefix', 'studnet/']), /--prefix: unknown metric prefix "studnet\/"/, /closest: student\//);
  const both = await runs(['compare', ...ids, '--prefix', 'student/', '--metric', 'train/loss']);
  assert.equal(both.code, 2);
  assert.match(both.err, /--prefix or --metric, not both/);
});
