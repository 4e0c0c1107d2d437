import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyOverrides, parsePath } from '../../lib/experiments/overrides.js';
import { ConfigError } from '../../lib/errors.js';

test('--set assigns JSON values at dotted and indexed paths without touching the original', () => {
  const base = { seed: 0, datasets: [{ mixture: { dim: 2 } }], name: 'x' };
  const out = applyOverrides(base, ['seed=3', 'datasets[0].mixture.dim=16', 'name=run-a', 'nfe=[1,2]', 'flag=true']);
  assert.deepEqual(out, { seed: 3, datasets: [{ mixture: { dim: 16 } }], name: 'run-a', nfe: [1, 2], flag: true });
  assert.equal(base.seed, 0);
  assert.deepEqual(parsePath('a.b[2][0].c'), ['a', 'b', 2, 0, 'c']);
});

test('a malformed assignment or path is a ConfigError naming it', () => {
  assert.throws(() => applyOverrides({}, ['seed']), (e: unknown) => e instanceof ConfigError && e.issues[0].path === 'seed' && /path=value/.test(e.message));
  assert.throws(() => applyOverrides({}, ['a..b=1']), (e: unknown) => e instanceof ConfigError && /malformed path segment ""/.test(e.message));
  assert.throws(() => applyOverrides({}, ['=1']), ConfigError);
});
