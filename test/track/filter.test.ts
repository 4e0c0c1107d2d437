/** The filter language: MLflow's syntax plus OR/NOT/parentheses, typed comparisons, errors that point at the column. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../lib/errors.js';
import { compileFilter, FilterError, likeMatch, parseFilter, parseOrderBy } from '../../lib/track/filter.js';
import { compileQuery } from '../../lib/track/query.js';
import type { RunRecord } from '../../lib/track/types.js';

function rec(id: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    name: id,
    experiment: 'ablation',
    status: 'finished',
    createdAt: Date.parse('2026-11-20T00:00:00Z'),
    endedAt: null,
    heartbeatAt: 0,
    pid: 1,
    pidStart: null,
    host: 'h',
    params: {},
    tags: {},
    summary: {},
    artifacts: [],
    provenance: { gitCommit: 'abc', gitDirty: false, gitBranch: null, node: 'v20', packages: {}, backend: null, host: 'h', platform: 'linux', arch: 'x64', cpus: 2, seed: 1, argv: [], cwd: '/' },
    error: null,
    resumedAt: [],
    ...over,
  };
}

const A = rec('a', { params: { k: 20, loss: { kind: 'pseudoHuber', c: 0.03 }, gamma: 'uniform', ema: true, layers: [64, 128] }, summary: { fid: 8.5, 'val/loss': 0.2 }, tags: { seed: '1', note: 'good run' } });
const B = rec('b', { params: { k: 10, loss: { kind: 'l2' }, gamma: 'one' }, summary: { fid: 12 }, tags: { seed: '2' }, status: 'failed', experiment: 'lcm' });
const C = rec('c', { params: { k: '20' }, summary: { fid: Number.NaN }, createdAt: Date.parse('2026-11-25T00:00:00Z') });
const ALL = [A, B, C];
const ids = (f: string) => ALL.filter(compileFilter(f)).map((r) => r.id);

function assertFilterError(src: string, position: number, reason: RegExp): FilterError {
  let caught: unknown;
  try {
    parseFilter(src);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof FilterError, `expected FilterError for ${JSON.stringify(src)}, got ${String(caught)}`);
  const e = caught as FilterError;
  assert.ok(e instanceof ConfigError, 'a FilterError is a ConfigError (CLI exit 2, no stack)');
  assert.equal(e.position, position, `position for ${JSON.stringify(src)}: ${e.message}`);
  assert.equal(e.filter, src);
  assert.match(e.reason, reason);
  const lines = e.message.split('\n');
  assert.equal(lines[1], `  ${src}`);
  assert.equal(lines[2], `  ${' '.repeat(position)}^`, 'the caret sits under the offending character');
  assert.match(lines[0], new RegExp(`column ${position + 1}$`));
  return e;
}

test('MLflow-style AND filter over params and metrics selects the matching runs', () => {
  assert.deepEqual(ids('params.k = 20 and metrics.fid < 10'), ['a']);
  assert.deepEqual(ids('params.k = 20'), ['a', 'c'], 'a number matches a numeric string param (MLflow stores params as strings)');
  assert.deepEqual(ids('params.k = "20"'), ['a', 'c']);
  assert.deepEqual(ids("params.gamma = 'uniform'"), ['a']);
});

test('OR, NOT and parentheses work with AND binding tighter than OR', () => {
  assert.deepEqual(ids('params.k = 10 or metrics.fid < 9 and params.k = 20'), ['a', 'b']);
  assert.deepEqual(ids('(params.k = 10 or params.k = 20) and metrics.fid < 9'), ['a']);
  assert.deepEqual(ids('not params.k = 10'), ['a', 'c']);
  assert.deepEqual(ids('NOT (attributes.status = "finished")'), ['b']);
});

test('nested params, dotted metric names, tags, attributes, provenance and MLflow aliases resolve', () => {
  assert.deepEqual(ids('params.loss.kind = "pseudoHuber" and params.loss.c >= 0.03'), ['a']);
  assert.deepEqual(ids('params.layers.1 = 128'), ['a']);
  assert.deepEqual(ids('metrics.val/loss < 0.5'), ['a'], 'words may contain / - :');
  assert.deepEqual(ids('metrics.`val/loss` < 0.5'), ['a']);
  assert.deepEqual(ids('metrics."val/loss" < 0.5'), ['a']);
  assert.deepEqual(ids('tags.seed = 2'), ['b']);
  assert.deepEqual(ids('attributes.experiment = "lcm"'), ['b']);
  assert.deepEqual(ids('attr.run_id = "c"'), ['c']);
  assert.deepEqual(ids('run.status != "finished"'), ['b']);
  assert.deepEqual(ids('params.ema = true'), ['a']);
  assert.deepEqual(ids('provenance.seed = 1'), ['a', 'b', 'c']);
});

test('time attributes compare with ISO dates or epoch ms', () => {
  assert.deepEqual(ids('attributes.created > "2026-11-22"'), ['c']);
  assert.deepEqual(ids(`attributes.start_time <= ${Date.parse('2026-11-20T00:00:00Z')}`), ['a', 'b']);
});

test('IN, NOT IN, LIKE, ILIKE and IS [NOT] NULL', () => {
  assert.deepEqual(ids('params.k IN (10, 30)'), ['b']);
  assert.deepEqual(ids('params.gamma NOT IN ("one")'), ['a']);
  assert.deepEqual(ids('tags.note LIKE "good%"'), ['a']);
  assert.deepEqual(ids('tags.note ILIKE "GOOD _UN"'), ['a']);
  assert.deepEqual(ids('params.loss.kind NOT LIKE "l%"'), ['a']);
  assert.deepEqual(ids('tags.note IS NULL'), ['b', 'c']);
  assert.deepEqual(ids('tags.note is not null'), ['a']);
});

test('a missing value satisfies no comparison (SQL NULL), and NaN compares like IEEE', () => {
  assert.deepEqual(ids('tags.note != "x"'), ['a'], 'runs without the tag do not match !=');
  assert.deepEqual(ids('metrics.fid < 100'), ['a', 'b'], 'NaN is not < 100');
  assert.deepEqual(ids('metrics.missing >= 0 or metrics.missing < 0'), []);
});

test('an empty filter matches every run; keywords are case-insensitive', () => {
  assert.deepEqual(ids('   '), ['a', 'b', 'c']);
  assert.deepEqual(ids('params.k = 10 Or params.k = 20 AnD metrics.fid < 9'), ['a', 'b']);
});

test('LIKE matching is linear-time wildcard matching, not a regular expression built from input', () => {
  assert.ok(likeMatch('abc', 'a%c'));
  assert.ok(likeMatch('a.c', 'a.c'));
  assert.ok(!likeMatch('abc', 'a.c'), '. is literal');
  assert.ok(likeMatch('(a+)+$', '(a+)+$'), 'regex metacharacters are literal');
  const t0 = performance.now();
  assert.ok(!likeMatch('a'.repeat(5000), '%a%a%a%a%a%a%a%b'));
  assert.ok(performance.now() - t0 < 500, 'no catastrophic backtracking');
});

test('field lookups use own properties only: __proto__ or constructor paths find nothing and evaluate nothing', () => {
  assert.deepEqual(ids('params.constructor IS NOT NULL'), []);
  assert.deepEqual(ids('params.__proto__ IS NOT NULL'), []);
  assert.deepEqual(ids('params.k.constructor.name = "Number"'), []);
  assert.deepEqual(ids('tags.toString IS NOT NULL'), []);
});

test('malformed filters fail with FilterError whose position and caret point at the offending character', () => {
  assertFilterError('params.k = 20 and metrics.fid <', 31, /expected a value .* found the end/);
  assertFilterError('params.k == 20 and and metrics.fid < 1', 19, /expected a field/);
  assertFilterError('params.k 20', 9, /expected an operator .* after params\.k/);
  assertFilterError('params.k = 20 metrics.fid < 1', 14, /expected AND, OR or the end/);
  assertFilterError('foo.k = 1', 0, /unknown field namespace "foo"/);
  assertFilterError('attributes.colour = "red"', 11, /unknown attribute "colour"; allowed: id, name/);
  assertFilterError('params.k = "20', 11, /unterminated string/);
  assertFilterError('(params.k = 1', 13, /expected '\)'/);
  assertFilterError('params.k = 1 ; drop table runs', 13, /unexpected character ";"/);
  assertFilterError('params.k IN (1, 2', 17, /expected '\)' or ','/);
  assertFilterError('attributes.created > "yesterday"', 21, /is a time; "yesterday" is not a date/);
  assertFilterError('params = 1', 7, /expected '\.' and a name/);
  assertFilterError('metrics.fid < 10abc', 16, /unexpected "a" after the number 10/);
  assertFilterError('params.x LIKE 5', 14, /expected a quoted pattern/);
});

test('order-by specs parse with ASC/DESC and fail with a position', () => {
  const keys = parseOrderBy('metrics.fid DESC, attributes.created');
  assert.deepEqual(keys.map((k) => [k.field.text, k.descending]), [['metrics.fid', true], ['attributes.created', false]]);
  let caught: unknown;
  try {
    parseOrderBy('metrics.fid sideways');
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof FilterError);
  assert.equal((caught as FilterError).position, 12);
  assert.match((caught as FilterError).message, /^invalid order-by: expected ASC, DESC/);
});

test('queries combine experiment, status, tags, filter and predicate, then order (missing last) and page', () => {
  const q = (query: Parameters<typeof compileQuery>[0]) => compileQuery(query)(ALL).map((r) => r.id);
  assert.deepEqual(q({}), ['c', 'b', 'a'], 'newest first, ties by id descending');
  assert.deepEqual(q({ experiment: 'lcm' }), ['b']);
  assert.deepEqual(q({ status: ['finished'] }).sort(), ['a', 'c']);
  assert.deepEqual(q({ tags: { seed: '1' } }), ['a']);
  assert.deepEqual(q({ where: (r) => (r.params.k as number) > 15 && typeof r.params.k === 'number' }), ['a']);
  assert.deepEqual(q({ orderBy: 'metrics.fid ASC' }), ['a', 'b', 'c'], 'NaN after numbers');
  assert.deepEqual(q({ orderBy: 'metrics.fid DESC' }), ['b', 'a', 'c'], 'NaN sorts last in either direction');
  assert.deepEqual(q({ orderBy: 'tags.note' }), ['a', 'c', 'b'], 'runs without the key sort last, then newest first');
  assert.deepEqual(q({ orderBy: 'metrics.fid', limit: 1, offset: 1 }), ['b']);
  assert.throws(() => compileQuery({ status: ['done' as never] }), /status = "done" is not allowed; expected running, finished, failed, crashed/);
  assert.throws(() => compileQuery({ limit: -1 }), /limit = -1/);
  assert.throws(() => compileQuery({ filter: 'metrics.fid <' }), FilterError);
});

test('20,000 nested parentheses or 30,000 NOTs fail with a FilterError at the first level too deep, not a stack overflow', () => {
  const parens = `${'('.repeat(20_000)}params.k = 1${')'.repeat(20_000)}`;
  assert.throws(() => parseFilter(parens), (err: unknown) => {
    assert.ok(err instanceof FilterError);
    assert.equal(err.position, 100, 'the 101st parenthesis');
    assert.match(err.message, /^invalid filter: nested deeper than 100 levels \(parentheses and NOT\) at column 101\n/);
    return true;
  });
  assert.throws(() => parseFilter(`${'NOT '.repeat(30_000)}params.k = 1`), (err: unknown) => err instanceof FilterError && err.position === 400);
  // Up to the limit all is well.
  const ok = compileFilter(`${'('.repeat(100)}params.k = 1${')'.repeat(100)}`);
  assert.equal(ok(rec('a', { params: { k: 1 } })), true);
  assert.equal(compileFilter(`${'not '.repeat(100)}params.k = 1`)(rec('a', { params: { k: 1 } })), true, 'an even number of NOTs');
});

test('a chain of 50,000 ANDs / ORs parses and evaluates (a balanced tree: no deep recursion), keeping short-circuit order', () => {
  const terms = Array.from({ length: 50_000 }, (_, i) => `params.k != ${i + 1}`);
  const all = compileFilter(terms.join(' AND '));
  assert.equal(all(rec('a', { params: { k: 0 } })), true);
  assert.equal(all(rec('a', { params: { k: 49_999 } })), false);
  const any = compileFilter(terms.map((_, i) => `params.k = ${i}`).join(' or '));
  assert.equal(any(rec('a', { params: { k: 49_999 } })), true);
  assert.equal(any(rec('a', { params: { k: -1 } })), false);
  const mixed = compileFilter('params.a = 1 or params.b = 1 and params.c = 1 or params.d = 1');
  assert.equal(mixed(rec('x', { params: { b: 1, c: 1 } })), true, 'AND still binds tighter than OR');
  assert.equal(mixed(rec('x', { params: { b: 1 } })), false);
});
