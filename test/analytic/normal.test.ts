import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  erf,
  erfc,
  erfcx,
  normalCdf,
  normalLogCdf,
  normalQuantile,
  normalQuantileFromLog,
} from '../../lib/analytic/normal.js';

// Reference values from mpmath 1.3 at 50 significant digits (erfc, erf, ncdf, log(ncdf), findroot), rounded to 17.
function assertRel(got: number, want: number, rel: number, what: string) {
  const err = want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
  assert.ok(err <= rel, `${what}: got ${got}, want ${want}, relative error ${err.toExponential(2)} > ${rel}`);
}

test('erfc matches mpmath to 1e-14 relative from x = −3 to x = 26 (the far upper tail keeps relative precision)', () => {
  const cases: [number, number][] = [
    [-3, 1.9999779095030014],
    [-0.5, 1.5204998778130465],
    [0, 1],
    [0.3, 0.67137324054087258],
    [0.9, 0.20309178757716786],
    [1, 0.15729920705028513],
    [1.5, 0.033894853524689273],
    [2, 0.0046777349810472658],
    [3, 2.2090496998585441e-5],
    [5, 1.5374597944280349e-12],
    [10, 2.0884875837625448e-45],
    [26, 5.6631924088561428e-296],
  ];
  for (const [x, want] of cases) assertRel(erfc(x), want, 1e-14, `erfc(${x})`);
  assert.equal(erfc(Infinity), 0);
  assert.equal(erfc(-Infinity), 2);
  assert.ok(Number.isNaN(erfc(NaN)));
});

test('erf matches mpmath to 1e-15 relative, including tiny x', () => {
  const cases: [number, number][] = [
    [1e-10, 1.1283791670955126e-10],
    [0.1, 0.1124629160182849],
    [0.5, 0.52049987781304654],
    [0.99, 0.8385080695553698],
    [1, 0.84270079294971487],
    [2, 0.99532226501895273],
  ];
  for (const [x, want] of cases) {
    assertRel(erf(x), want, 1e-15, `erf(${x})`);
    assertRel(erf(-x), -want, 1e-15, `erf(${-x})`);
  }
});

test('erfcx matches mpmath to 1e-14 relative, up to x = 1e10', () => {
  const cases: [number, number][] = [
    [-2, 108.94090438997797],
    [0.5, 0.61569034419292587],
    [1, 0.427583576155807],
    [5, 0.11070463773306863],
    [100, 0.0056416137829894329],
    [1e6, 5.6418958354747419e-7],
    [1e10, 5.6418958354775629e-11],
  ];
  for (const [x, want] of cases) assertRel(erfcx(x), want, 1e-14, `erfcx(${x})`);
});

test('Φ matches known values: Φ(0) = ½, Φ(−1) = 0.15865525393145707, Φ(−10) = 7.6198530241605e-24, lower tail to Φ(−38)', () => {
  assert.equal(normalCdf(0), 0.5);
  const cases: [number, number][] = [
    [-38, 2.8854283600687843e-316],
    [-30, 4.9067139271481871e-198],
    [-20, 2.7536241186062337e-89],
    [-10, 7.6198530241605261e-24],
    [-5, 2.8665157187919391e-7],
    [-3, 0.0013498980316300945],
    [-2, 0.022750131948179207],
    [-1.5, 0.066807201268858066],
    [-1, 0.15865525393145705],
    [-0.5, 0.3085375387259869],
    [0.5, 0.6914624612740131],
    [1, 0.84134474606854295],
    [2, 0.97724986805182079],
    [5, 0.99999971334842812],
    [8, 0.99999999999999938],
  ];
  // Φ(−38) is subnormal (fewer significant bits), so it gets a looser bound.
  for (const [x, want] of cases) assertRel(normalCdf(x), want, x <= -38 ? 1e-8 : 5e-15, `Φ(${x})`);
  assert.equal(normalCdf(-Infinity), 0);
  assert.equal(normalCdf(Infinity), 1);
});

test('log Φ is finite and accurate far past underflow (x = −1e5) and keeps precision in the upper tail (x = 30)', () => {
  const cases: [number, number][] = [
    [-1e5, -5000000012.431864],
    [-1000, -500007.82669481218],
    [-100, -5005.5242086942051],
    [-40, -804.60844201375379],
    [-38, -726.55721601882013],
    [-10, -53.231285150512471],
    [-1.5, -2.7059444008238898],
    [-1, -1.8410216450092635],
    [0, -0.69314718055994531],
    [1, -0.17275377902344989],
    [5, -2.8665161296376359e-7],
    [10, -7.6198530241605261e-24],
    [30, -4.9067139271481871e-198],
  ];
  for (const [x, want] of cases) assertRel(normalLogCdf(x), want, 1e-14, `log Φ(${x})`);
});

test('Φ⁻¹ matches mpmath and round-trips through Φ, from log p = −1e6 to p = 1 − 1e-6', () => {
  const cases: [number, number][] = [
    [1e-20, -9.2623400897984076],
    [1e-5, -4.2648907939228246],
    [0.025, -1.9599639845400542],
    [0.3, -0.52440051270804078],
    [0.975, 1.9599639845400542],
    [0.999999, 4.7534243088170878], // at the double nearest 0.999999, whose 1 − p is 1e-6·(1 − 1.1e-11)
  ];
  for (const [p, want] of cases) assertRel(normalQuantile(p), want, 1e-13, `Φ⁻¹(${p})`);
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-15);
  assert.equal(normalQuantile(0), -Infinity);
  assert.equal(normalQuantile(1), Infinity);
  assert.ok(Number.isNaN(normalQuantile(1.5)));
  const logCases: [number, number][] = [
    [Math.log(1e-300), -37.047096299361199],
    [-1000, -44.615747731969403],
    [-1e6, -1414.2077829910173],
  ];
  for (const [lp, want] of logCases) {
    assertRel(normalQuantileFromLog(lp), want, 1e-14, `Φ⁻¹(exp(${lp}))`);
    assertRel(normalQuantileFromLog(lp, true), -want, 1e-14, `upper Φ⁻¹(exp(${lp}))`);
  }
  for (const z of [-30, -7, -1, -1e-3, 0.2, 3, 9]) {
    assertRel(normalQuantileFromLog(normalLogCdf(z)), z, 1e-13, `Φ⁻¹(Φ(${z}))`);
  }
});
