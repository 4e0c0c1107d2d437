/** Run ids and artifact names cannot escape the store. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../../lib/errors.js';
import { checkArtifactName, checkRunId, inside, newRunId, RUN_ID_PATTERN, StorePaths } from '../../lib/track/paths.js';

test('fresh run ids match the id pattern, sort by creation time and do not repeat', () => {
  const t = Date.parse('2026-11-26T18:59:30.042Z');
  const id = newRunId(t);
  assert.match(id, /^20261126-185930-042-[0-9a-z]{6}$/);
  assert.match(id, RUN_ID_PATTERN);
  assert.ok(newRunId(t) < newRunId(t + 1000), 'later ids sort after earlier ones');
  const many = new Set(Array.from({ length: 5000 }, () => newRunId(t)));
  assert.equal(many.size, 5000, 'no clash among 5000 ids drawn in the same millisecond');
});

test('run ids with separators, dots-only names or odd characters are rejected before any path is built', () => {
  for (const bad of ['../x', '..', '.hidden', 'a/b', 'a\\b', '/abs', '', 'x'.repeat(129), 'a b', 'é', 'a\0b', 42, null]) {
    assert.throws(
      () => checkRunId('getRun', bad),
      (e: unknown) => e instanceof ArgumentError && e.fn === 'getRun' && e.arg === 'id' && e.value === bad && /no path separators/.test(e.allowed),
      `rejects ${JSON.stringify(bad)}`,
    );
  }
  assert.equal(checkRunId('getRun', 'run-1.v2_b'), 'run-1.v2_b');
});

test('artifact names are relative paths of safe segments; traversal, absolute paths and hidden files are rejected', () => {
  for (const ok of ['a.png', 'samples/step-100.png', 'ckpt/model.json', '_x/y']) assert.equal(checkArtifactName('logArtifact', ok), ok);
  for (const bad of ['../run.json', 'a/../../b', '/etc/passwd', '.secret', 'a//b', 'a/', '', 'a\\..\\b', 'C:x', 'a/b/c/d/e/f/g/h/i']) {
    assert.throws(
      () => checkArtifactName('logArtifact', bad),
      (e: unknown) => e instanceof ArgumentError && e.arg === 'name' && e.value === bad,
      `rejects ${JSON.stringify(bad)}`,
    );
  }
});

test('inside() refuses a resolved path outside its root, and StorePaths builds only checked paths', () => {
  assert.equal(inside('f', '/s/runs', 'a', 'b'), '/s/runs/a/b');
  assert.throws(() => inside('f', '/s/runs', '..', 'x'), (e: unknown) => e instanceof ArgumentError && e.arg === 'path');
  assert.throws(() => inside('f', '/s/runs', '/etc'), ArgumentError);
  const p = new StorePaths('/s');
  assert.equal(p.artifact('logArtifact', 'r1', 'figs/a.png'), '/s/runs/r1/artifacts/figs/a.png');
  assert.throws(() => p.runDir('../../etc'), (e: unknown) => e instanceof ArgumentError && e.arg === 'id');
  assert.throws(() => p.artifact('logArtifact', 'r1', '../run.json'), (e: unknown) => e instanceof ArgumentError && e.arg === 'name');
});
