import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRng, restoreRng } from '../../lib/data/rng.js';
import { ArgumentError } from '../../lib/errors.js';

test('xoshiro128** from state [1, 2, 3, 4] gives the reference outputs (Blackman & Vigna; rand_xoshiro test vector)', () => {
  const rng = restoreRng({ s: [1, 2, 3, 4], spare: null });
  const got = Array.from({ length: 6 }, () => rng.uint32());
  assert.deepEqual(got, [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
});

test('equal seeds give equal streams; different seeds (also negative and above 2^32) give different ones', () => {
  const draw = (seed: number) => {
    const r = makeRng(seed);
    return [r.uniform(), r.normal(), r.int(10), ...r.normalArray(3)];
  };
  assert.deepEqual(draw(42), draw(42));
  const seeds = [0, 1, 42, -1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER];
  const heads = new Set(
    seeds.map((s) => {
      const r = makeRng(s);
      return [r.uint32(), r.uint32(), r.uint32()].join(',');
    }),
  );
  assert.equal(heads.size, seeds.length);
});

test('uniform lies in [0, 1) and int(n) in {0…n−1}; mean and variance of 1e5 normals are within 5 standard errors', () => {
  const rng = makeRng(7);
  const n = 100_000;
  let sum = 0;
  let sumSq = 0;
  let usum = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    usum += u;
    const k = rng.int(3);
    assert.ok(k === 0 || k === 1 || k === 2);
    const z = rng.normal();
    sum += z;
    sumSq += z * z;
  }
  const mean = sum / n;
  const variance = sumSq / n - mean * mean;
  assert.ok(Math.abs(usum / n - 0.5) < 5 * Math.sqrt(1 / 12 / n), `uniform mean ${usum / n}`);
  assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `normal mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n), `normal variance ${variance}`);
});

test('normalArray is float32 by default and float64 on request, continuing the same stream', () => {
  const a = makeRng(3);
  const b = makeRng(3);
  const f32 = a.normalArray(4);
  const f64 = b.normalArray(4, 'float64');
  assert.ok(f32 instanceof Float32Array);
  assert.ok(f64 instanceof Float64Array);
  assert.deepEqual(Array.from(f32), Array.from(f64).map(Math.fround));
});

test('a saved state restores the stream exactly, including a pending Box–Muller value', () => {
  const rng = makeRng(11);
  rng.normal(); // leaves the pair's second value pending
  const saved = JSON.parse(JSON.stringify(rng.state()));
  const ahead = [rng.normal(), rng.normal(), rng.uniform()];
  const again = restoreRng(saved);
  assert.deepEqual([again.normal(), again.normal(), again.uniform()], ahead);
});

test('split gives a reproducible stream distinct from its parent', () => {
  const p1 = makeRng(5);
  const p2 = makeRng(5);
  const c1 = p1.split();
  const c2 = p2.split();
  assert.equal(c1.uniform(), c2.uniform());
  assert.notEqual(c1.uint32(), p1.uint32());
});

test('rejects a non-integer seed, a bad int bound and an all-zero state, naming fn, arg and value', () => {
  const cases: [() => unknown, string, string, unknown][] = [
    [() => makeRng(1.5), 'makeRng', 'seed', 1.5],
    [() => makeRng(NaN), 'makeRng', 'seed', NaN],
    [() => makeRng(1).int(0), 'Rng.int', 'n', 0],
    [() => makeRng(1).normalArray(-1), 'Rng.normalArray', 'n', -1],
    [() => restoreRng({ s: [0, 0, 0, 0], spare: null }), 'restoreRng', 'state.s', [0, 0, 0, 0]],
  ];
  for (const [fn, name, arg, value] of cases) {
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof ArgumentError);
      assert.equal(err.fn, name);
      assert.equal(err.arg, arg);
      assert.deepEqual(err.value, value);
      return true;
    });
  }
});
