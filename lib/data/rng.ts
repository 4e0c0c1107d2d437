/**
 * A small seeded pseudo-random generator for everything in splam-lab that draws noise on the host: xoshiro128**
 * (Blackman & Vigna 2018, "Scrambled linear pseudorandom number generators", 32-bit state words, period 2¹²⁸ − 1)
 * seeded through splitmix32, with 53-bit uniforms and Box–Muller normals.
 *
 * State is explicit: a generator is a value made from a seed, never a module-level global, and its
 * state can be saved and restored so a resumed run draws the same numbers.
 */
import { ArgumentError } from '../errors.js';

/** A seeded stream of random numbers. Not safe to share between consumers that must stay reproducible: split it. */
export interface Rng {
  /** Uniform 32-bit unsigned integer (the raw xoshiro128** output). */
  uint32(): number;
  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Uniform integer in {0, …, n − 1}; n a positive integer ≤ 2³². */
  int(n: number): number;
  /** Standard normal N(0, 1) by the Box–Muller transform (the second value of each pair is kept for the next call). */
  normal(): number;
  /** n standard normals; float32 by default (ready for `tf.tensor`), float64 when asked. */
  normalArray(n: number): Float32Array;
  normalArray(n: number, dtype: 'float64'): Float64Array;
  normalArray(n: number, dtype: 'float32'): Float32Array;
  /** A new generator seeded from this one's next outputs: an independent stream for a sub-task. */
  split(): Rng;
  /** The full state (four xoshiro words plus a pending Box–Muller value or null), for {@link restoreRng}. */
  state(): RngState;
}

/** Saved generator state: JSON-serialisable. */
export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

/** splitmix32 (a 32-bit variant of Steele, Lea & Flood's SplitMix): a counter through a 32-bit integer hash. */
function splitmix32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let z = a ^ (a >>> 16);
    z = Math.imul(z, 0x21f0aaad);
    z ^= z >>> 15;
    z = Math.imul(z, 0x735a2d97);
    z ^= z >>> 15;
    return z >>> 0;
  };
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));
const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

function fromWords(s: Uint32Array, spareInit: number | null): Rng {
  let spare = spareInit;
  const uint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  const uniform = (): number => ((uint32() >>> 5) * TWO_POW_26 + (uint32() >>> 6)) / TWO_POW_53;
  const normal = (): number => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const u1 = 1 - uniform(); // (0, 1]: log never sees 0
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
  function normalArray(n: number): Float32Array;
  function normalArray(n: number, dtype: 'float64'): Float64Array;
  function normalArray(n: number, dtype: 'float32'): Float32Array;
  function normalArray(n: number, dtype: 'float32' | 'float64' = 'float32'): Float32Array | Float64Array {
    if (!(Number.isInteger(n) && n >= 0)) throw new ArgumentError('Rng.normalArray', 'n', n, 'an integer ≥ 0');
    const out = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = normal();
    return out;
  }
  const int = (n: number): number => {
    if (!(Number.isInteger(n) && n >= 1 && n <= 2 ** 32)) {
      throw new ArgumentError('Rng.int', 'n', n, 'an integer in [1, 2^32]');
    }
    return Math.floor(uniform() * n);
  };
  const rng: Rng = {
    uint32,
    uniform,
    int,
    normal,
    normalArray,
    split: () => makeRng(uint32() * 2 ** 21 + (uint32() >>> 11)),
    state: () => ({ s: [s[0], s[1], s[2], s[3]], spare }),
  };
  return rng;
}

/**
 * A generator from an integer seed (any safe integer, negative allowed). Equal seeds give equal streams.
 * @throws ArgumentError when `seed` is not a safe integer.
 */
export function makeRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new ArgumentError('makeRng', 'seed', seed, 'a safe integer');
  const lo = seed >>> 0; // low 32 bits (two's complement for negatives)
  const hi = Math.floor(seed / 2 ** 32) | 0;
  // Words 0–1 from the low half, 2–3 from the high half: splitmix32's first output is a bijection of its seed,
  // so distinct seeds give distinct states.
  const a = splitmix32(lo);
  const b = splitmix32(hi);
  const s = Uint32Array.of(a(), a(), b(), b());
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // the all-zero state is xoshiro's only fixed point
  return fromWords(s, null);
}

/**
 * A generator continuing from a saved {@link RngState}.
 * @throws ArgumentError when the words are not four 32-bit unsigned integers, not all zero.
 */
export function restoreRng(state: RngState): Rng {
  const words = state?.s;
  if (
    !Array.isArray(words) ||
    words.length !== 4 ||
    !words.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) ||
    words.every((w) => w === 0)
  ) {
    throw new ArgumentError('restoreRng', 'state.s', words, 'four integers in [0, 2^32), not all zero');
  }
  const spare = state.spare;
  if (spare !== null && !Number.isFinite(spare)) {
    throw new ArgumentError('restoreRng', 'state.spare', spare, 'a finite number or null');
  }
  return fromWords(Uint32Array.from(words), spare);
}
