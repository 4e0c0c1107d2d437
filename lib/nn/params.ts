/**
 * Named parameter sets: the weights of a network as an ordered map of tf.Variables, initialised from a seeded
 * host rng (so initialisation is identical on every backend), copied, and (de)serialised to a flat Float32Array.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import type { Rng } from '../data/rng.js';

export type ParamSet = Map<string, tf.Variable>;

export interface ParamEntry {
  name: string;
  shape: number[];
}

/** PyTorch's default Linear init: U(−1/√fanIn, 1/√fanIn) for weight [fanIn, fanOut] and bias [fanOut]. */
export function uniformInit(shape: number[], fanIn: number, rng: Rng): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const bound = 1 / Math.sqrt(fanIn);
  return Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * bound);
}

/**
 * A k×k convolution layer (stride 1, `same` padding) with bias: weight [k, k, ci, co] then bias [co], both with
 * PyTorch's default init (fan-in k·k·ci) drawn from `rng` in that order. The returned function adds the bias inside
 * the fused op (on wasm XNNPACK's convolution adds it: one pass less over the activations).
 */
export function convLayer(params: ParamSet, name: string, k: number, ci: number, co: number, rng: Rng): (x: tf.Tensor4D) => tf.Tensor4D {
  const fanIn = k * k * ci;
  const w = addParam(params, `${name}.weight`, [k, k, ci, co], uniformInit([k, k, ci, co], fanIn, rng)) as tf.Variable<tf.Rank.R4>;
  const b = addParam(params, `${name}.bias`, [co], uniformInit([co], fanIn, rng));
  return (x) => tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias: b });
}

/** Add a trainable variable; names are unique within a set. */
export function addParam(params: ParamSet, name: string, shape: number[], values: Float32Array): tf.Variable {
  if (params.has(name)) throw new ArgumentError('addParam', 'name', name, 'a name not already in the set');
  const v = tf.variable(tf.tensor(values, shape), true);
  params.set(name, v);
  return v;
}

export function entriesOf(params: ParamSet): ParamEntry[] {
  return [...params].map(([name, v]) => ({ name, shape: v.shape }));
}

export function countParams(params: ParamSet): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

/** All values concatenated in the set's order. */
export function flatten(params: ParamSet): Float32Array {
  const out = new Float32Array(countParams(params));
  let o = 0;
  for (const v of params.values()) {
    const d = v.dataSync() as Float32Array;
    out.set(d, o);
    o += d.length;
  }
  return out;
}

/**
 * Assign values by name from `entries` + `data` (as written by {@link flatten}). Names of `params` missing from the
 * entries are left as they are and returned (a student's new γ-projection when loading a teacher).
 * @throws ArgumentError when a shared name has another shape, or `data` is too short.
 */
export function assignFrom(params: ParamSet, entries: readonly ParamEntry[], data: Float32Array): { missing: string[]; unused: string[] } {
  let o = 0;
  const seen = new Set<string>();
  const unused: string[] = [];
  for (const e of entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (o + n > data.length) throw new ArgumentError('assignFrom', 'data', `${data.length} values`, `at least ${o + n} for the entries given`);
    const v = params.get(e.name);
    if (!v) unused.push(e.name);
    else {
      if (v.shape.join() !== e.shape.join()) throw new ArgumentError('assignFrom', e.name, `shape [${e.shape}]`, `shape [${v.shape}]`);
      tf.tidy(() => v.assign(tf.tensor(data.subarray(o, o + n), e.shape)));
      seen.add(e.name);
    }
    o += n;
  }
  return { missing: [...params.keys()].filter((k) => !seen.has(k)), unused };
}

/** Copy values between two sets with the same names (`to` ← `from`). */
export function copyParams(to: ParamSet, from: ParamSet): void {
  for (const [name, v] of to) {
    const src = from.get(name);
    if (src) v.assign(src);
  }
}

export function disposeParams(params: ParamSet): void {
  for (const v of params.values()) v.dispose();
}
