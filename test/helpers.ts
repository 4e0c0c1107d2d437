/** Shared test helpers: backend set-up, tensor comparisons, error-field assertions. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendInfo } from '../lib/backend.js';
import { ArgumentError } from '../lib/errors.js';

/** The project's backend (wasm here; SPLAM_BACKEND overrides). Silences tfjs's platform banner. */
export async function setup(): Promise<BackendInfo> {
  return initBackend();
}

/** Max |a − b| over all elements. */
export function maxAbsDiff(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>): number {
  const av = a instanceof tf.Tensor ? a.dataSync() : a;
  const bv = b instanceof tf.Tensor ? b.dataSync() : b;
  assert.equal(av.length, bv.length, 'compared arrays differ in length');
  let m = 0;
  for (let i = 0; i < av.length; i++) m = Math.max(m, Math.abs(av[i] - bv[i]));
  return m;
}

/** Assert that fn throws an ArgumentError whose fields match. */
export function assertArgumentError(fn: () => unknown, fields: { fn?: string; arg?: string | RegExp; value?: unknown }): ArgumentError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ArgumentError, `expected ArgumentError, got ${caught instanceof Error ? caught.name + ': ' + caught.message : String(caught)}`);
  const e = caught as ArgumentError;
  if (fields.fn !== undefined) assert.equal(e.fn, fields.fn);
  if (fields.arg instanceof RegExp) assert.match(e.arg, fields.arg);
  else if (fields.arg !== undefined) assert.equal(e.arg, fields.arg);
  if ('value' in fields) assert.deepEqual(e.value, fields.value);
  assert.ok(e.message.includes(e.arg), 'message names the argument');
  assert.ok(e.allowed.length > 0, 'error says what is allowed');
  return e;
}

/** Least-squares slope of log(err) against log(n): the measured order of convergence (errors ~ n^−order). */
export function convergenceOrder(ns: number[], errs: number[]): number {
  const xs = ns.map(Math.log);
  const ys = errs.map(Math.log);
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return -num / den;
}
