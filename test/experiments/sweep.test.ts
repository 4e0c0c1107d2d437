import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../../lib/errors.js';
import { applyOverrides } from '../../lib/experiments/overrides.js';
import { validateConfig } from '../../lib/experiments/runner.js';
import { readConfigFile } from '../../lib/config.js';
import { expandGrid, newSweepId, parseAxes, planSweep, pointName, splitTopLevel, validatePoints, type SweepPoint } from '../../lib/experiments/sweep.js';
import { countStatuses, formatCounts, formatSweepTable, runSweep, SweepControl, type SweepEvent } from '../../lib/experiments/sweep-runner.js';

const quick = new URL('../../experiments/quick/solvers.json', import.meta.url).pathname;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('--set lists split on top-level commas: a JSON array or object is one value, a quoted comma stays in its string', () => {
  const axes = parseAxes(['k=10,20,50', 'nfe=[2,4]', 'grids=[2],[4,8]', 'mix={"a":1,"b":[1,2]},{"a":2}', 'name="a,b",plain', 'flag=true']);
  assert.deepEqual(axes, [
    { path: 'k', values: [10, 20, 50] },
    { path: 'nfe', values: [[2, 4]] },
    { path: 'grids', values: [[2], [4, 8]] },
    { path: 'mix', values: [{ a: 1, b: [1, 2] }, { a: 2 }] },
    { path: 'name', values: ['a,b', 'plain'] },
    { path: 'flag', values: [true] },
  ]);
  assert.deepEqual(splitTopLevel('"x\\",y",1'), ['"x\\",y"', '1'], 'an escaped quote does not end the string');
  assert.equal(splitTopLevel('[1,2'), null);
  assert.equal(splitTopLevel('[1}'), null);
});

test('parseAxes rejects a missing =, a bad path, an empty item, unbalanced brackets, a repeated value and a repeated path, naming each', () => {
  const err = configError(() => parseAxes(['k', 'a..b=1', 'seed=1,,2', 'nfe=[2,4', 'x=1,1', 'y=1', 'y=2']));
  assert.equal(err.source, '--set');
  const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i]));
  assert.match(byPath.k.message, /expected path=value/);
  assert.match(byPath['a..b'].message, /malformed path segment/);
  assert.equal(byPath.seed.value, '1,,2');
  assert.match(byPath.seed.message, /empty value/);
  assert.equal(byPath.nfe.value, '[2,4');
  assert.match(byPath.nfe.message, /unbalanced/);
  assert.match(byPath.x.message, /value 1 given twice/);
  assert.match(byPath.y.message, /path given twice/);
  assert.equal(err.issues.length, 6);
});

test('the grid is the cartesian product in nested-loop order (first axis slowest); only varying axes label a point', () => {
  const points = expandGrid(parseAxes(['samples=8', 'k=10,20,50', 'seed=0,1']));
  assert.equal(points.length, 6);
  assert.deepEqual(
    points.map((p) => [p.values.k, p.values.seed]),
    [[10, 0], [10, 1], [20, 0], [20, 1], [50, 0], [50, 1]],
  );
  assert.deepEqual(points.map((p) => p.index), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(points[3].values, { samples: 8, k: 20, seed: 1 });
  assert.equal(points[3].label, '{k: 20, seed: 1}');
  assert.equal(points[3].key, 'k=20,seed=1');
  assert.deepEqual(points[3].overrides, ['samples=8', 'k=20', 'seed=1']);
  assert.deepEqual(expandGrid([]).map((p) => p.values), [{}], 'no axes: one point, the config as it is');
});

test('a point\'s overrides reproduce its values exactly through applyOverrides (strings, arrays, objects)', () => {
  const [p] = expandGrid(parseAxes(['name=run-a', 'nfe=[2,4]', 'mix={"a":"1"}', 'text="7"']));
  assert.deepEqual(applyOverrides({}, p.overrides), { name: 'run-a', nfe: [2, 4], mix: { a: '1' }, text: '7' });
});

test('run names carry the varying axes; sweep ids sort by start time', async () => {
  const points = expandGrid(parseAxes(['solvers=["ddim"],["heun"]', 'seed=0']));
  assert.equal(pointName('quick', points[1]), 'quick[solvers=["heun"]]');
  assert.equal(pointName('quick', expandGrid(parseAxes(['seed=3']))[0]), 'quick', 'nothing varies: the base name');
  const long = expandGrid(parseAxes([`name=${'x'.repeat(300)},y`]))[0];
  assert.ok(pointName('quick', long).length <= 250);
  const planned = await planSweep(readConfigFile(quick), parseAxes(['seed=0,1']), { source: quick, validate: validateConfig });
  assert.deepEqual(planned.map((p) => p.name), ['solvers-quick[seed=0]', 'solvers-quick[seed=1]'], 'the config\'s name is the base');
  const renamed = await planSweep({ kind: 'solver-comparison', datasets: [{ name: 'a', mixture: { type: 'ring' } }] }, parseAxes(['seed=0,1']), { source: 'dir/my-grid.json', validate: validateConfig });
  assert.equal(renamed[1].name, 'my-grid[seed=1]', 'else the file name');
  assert.equal(newSweepId(new Date(Date.UTC(2025, 0, 2, 3, 4, 5)), 0xab), 'sweep-20250102-030405-00ab');
});

test('an invalid point is rejected before anything runs, naming the point and the field; a shared issue is reported once', async () => {
  const raw = readConfigFile(quick);
  const points = expandGrid(parseAxes(['referenceSubsteps=20,5', 'seed=0,1', 'solvers=["rk4"]']));
  let calls = 0;
  const counting: typeof validateConfig = (r, s) => {
    calls++;
    return validateConfig(r, s);
  };
  await assert.rejects(validatePoints(raw, points, quick, counting), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.source, /sweep of 4 points/);
    const sub = err.issues.find((i) => i.path === 'referenceSubsteps');
    assert.ok(sub, 'the field is named');
    assert.equal(sub.value, 5);
    assert.equal(sub.allowed, '≥ 10');
    assert.ok(sub.message.startsWith('points {referenceSubsteps: 5, seed: 0}; {referenceSubsteps: 5, seed: 1}: '), sub.message);
    const solver = err.issues.filter((i) => i.path === 'solvers[0]');
    assert.equal(solver.length, 1, 'an issue of every point appears once');
    assert.match(solver[0].message, /^every point: /);
    assert.equal(err.issues.length, 2);
    return true;
  });
  assert.equal(calls, 4, 'every point was checked');
  await validatePoints(raw, expandGrid(parseAxes(['referenceSubsteps=20,40'])), quick, validateConfig);
});

/**
 * A fake point: a node child that plays the `splam run --json` contract. `ok` prints a result after `ms`; `fail`
 * exits 1 with an error; `stoppable` follows the runner's SIGINT protocol (result with `stopped: true`, exit 130);
 * `bare` has no SIGINT handler. The waiting ones write `<ready>/<index>` once their handler is in place.
 */
function fake(behaviour: 'ok' | 'fail' | 'stoppable' | 'bare', opts: { ms?: number; ready?: string } = {}) {
  const started = `const i = process.argv[1]; console.error('run fake-' + i + ' started');`;
  const ready = `require('node:fs').writeFileSync(${JSON.stringify(opts.ready ?? '')} + '/' + i, '');`;
  const script = {
    ok: `${started} setTimeout(() => console.log(JSON.stringify({ runId: 'fake-' + i, summary: { loss: 0.5 } })), ${opts.ms ?? 50});`,
    fail: `${started} console.error('splam: ConfigError: boom\\n  - detail'); process.exitCode = 1;`,
    stoppable: `${started} process.once('SIGINT', () => { console.log(JSON.stringify({ runId: 'fake-' + i, summary: { loss: 1 }, stopped: true })); process.exit(130); }); ${ready} setTimeout(() => {}, 20000);`,
    bare: `${started} ${ready} setTimeout(() => {}, 20000);`,
  }[behaviour];
  return (p: SweepPoint) => ({ file: process.execPath, args: ['-e', script, String(p.index)] });
}

function named(sets: string[]) {
  return expandGrid(parseAxes(sets)).map((p) => ({ ...p, name: pointName('t', p) }));
}

test('runSweep keeps at most `parallel` children running; a failed point does not stop the others', async () => {
  const points = named(['i=0,1,2,3,4']);
  const events: SweepEvent[] = [];
  const results = await runSweep(points, {
    parallel: 2,
    command: (p) => (p.index === 1 ? fake('fail') : fake('ok', { ms: 150 }))(p),
    onEvent: (e) => events.push(e),
  });
  assert.deepEqual(results.map((r) => r.status), ['finished', 'failed', 'finished', 'finished', 'finished']);
  assert.equal(Math.max(...events.map((e) => e.running)), 2);
  assert.deepEqual(results[0].summary, { loss: 0.5 });
  assert.equal(results[0].runId, 'fake-0');
  assert.equal(results[1].runId, 'fake-1', 'a failed point keeps the run id it printed');
  assert.equal(results[1].exitCode, 1);
  assert.equal(results[1].error, 'ConfigError: boom\n  - detail');
  const table = formatSweepTable(results);
  assert.match(table, /^#\s+point\s+run\s+status\s+loss\s+wall$/m);
  assert.match(table, /1\s+\{i: 1\}\s+fake-1\s+failed/);
  assert.match(table, /#1 \{i: 1\}: ConfigError: boom$/m);
});

test('stopping a sweep starts no new point and forwards SIGINT: a stoppable run comes back interrupted with its result', async () => {
  const ready = mkdtempSync(join(tmpdir(), 'splam-sweep-ready-'));
  const points = named(['i=0,1,2,3']);
  const control = new SweepControl();
  const pending = runSweep(points, { parallel: 2, command: (p) => fake(p.index === 0 ? 'stoppable' : 'bare', { ready })(p), control });
  for (let t = 0; readdirSync(ready).length < 2; t++) {
    assert.ok(t < 400, 'both children got ready');
    await sleep(25);
  }
  assert.equal(control.stop('SIGINT'), 2);
  const results = await pending;
  assert.deepEqual(results.map((r) => r.status), ['interrupted', 'interrupted', 'skipped', 'skipped']);
  assert.equal(results[0].runId, 'fake-0');
  assert.deepEqual(results[0].summary, { loss: 1 });
  assert.equal(results[0].exitCode, 130);
  assert.match(results[0].error ?? '', /splam resume fake-0/);
  assert.equal(results[1].signal, 'SIGINT', 'a child without a handler ends by the signal');
  assert.equal(results[1].runId, 'fake-1');
  assert.equal(results[2].wallMs, null);
  assert.equal(formatCounts(countStatuses(results)), '0 of 4 points finished, 2 interrupted, 2 skipped');
});
