// The layering check that `npm test` runs on lib/ (dependency-cruiser with .dependency-cruiser.cjs) fails on a
// back-edge and on a cycle: here on a fixture tree with one of each (test/fixtures/layers/lib/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/layers/', import.meta.url));

test('the layering check fails on a back-edge (viz importing experiments) and on an import cycle, naming both', () => {
  const r = spawnSync(process.execPath, [`${root}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`, 'lib', '--config', `${root}.dependency-cruiser.cjs`, '--output-type', 'err'], { cwd: fixture, encoding: 'utf8' });
  assert.notEqual(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /error layer-viz: lib\/viz\/figure\.ts → lib\/experiments\/rows\.ts/);
  assert.match(r.stdout, /error no-circular: lib\/splam\/a\.ts →\s+lib\/splam\/b\.ts →\s+lib\/splam\/a\.ts/);
  assert.match(r.stdout, /2 dependency violations/);
});
