/**
 * Checkpoints as one self-describing binary blob (so a store artifact write is one atomic rename):
 *   "SPLAMCK1" | uint32 LE header length | header JSON (UTF-8) | zero padding to 4 bytes | float32 LE tensor data
 * The header holds `meta` (any JSON: step, config, rng state …) and the tensor table [{ name, shape, offset }]
 * (offset in float32 elements). Parameter sets are stored under `<set>/<param name>`.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import type { ParamSet } from '../nn/params.js';

const MAGIC = 'SPLAMCK1';

export interface CheckpointTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface Checkpoint<M = unknown> {
  meta: M;
  tensors: CheckpointTensor[];
}

export function encodeCheckpoint<M>(ck: Checkpoint<M>): Uint8Array {
  let offset = 0;
  const table = ck.tensors.map((t) => {
    const entry = { name: t.name, shape: t.shape, offset };
    offset += t.data.length;
    return entry;
  });
  const header = Buffer.from(JSON.stringify({ meta: ck.meta, tensors: table }), 'utf8');
  const headEnd = 8 + 4 + header.length;
  const dataStart = Math.ceil(headEnd / 4) * 4;
  const out = new Uint8Array(dataStart + offset * 4);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  const floats = new Float32Array(out.buffer, dataStart, offset);
  ck.tensors.forEach((t, i) => floats.set(t.data, table[i].offset));
  return out;
}

/** @throws ArgumentError when the bytes are not a checkpoint (bad magic, truncated). */
export function decodeCheckpoint<M = unknown>(bytes: Uint8Array): Checkpoint<M> {
  const fn = 'decodeCheckpoint';
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 8)).toString('ascii') !== MAGIC) {
    throw new ArgumentError(fn, 'bytes', `${bytes.length} bytes`, `a checkpoint starting with ${MAGIC}`);
  }
  const copy = new Uint8Array(bytes); // aligned copy
  const len = new DataView(copy.buffer).getUint32(8, true);
  if (12 + len > copy.length) throw new ArgumentError(fn, 'bytes', `${bytes.length} bytes`, `at least ${12 + len} (truncated header)`);
  const header = JSON.parse(Buffer.from(copy.subarray(12, 12 + len)).toString('utf8')) as { meta: M; tensors: { name: string; shape: number[]; offset: number }[] };
  const dataStart = Math.ceil((12 + len) / 4) * 4;
  const total = (copy.length - dataStart) / 4;
  const floats = new Float32Array(copy.buffer, dataStart, Math.floor(total));
  const tensors = header.tensors.map((e) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + n > floats.length) throw new ArgumentError(fn, 'bytes', `${bytes.length} bytes`, `tensor ${e.name} inside the data (truncated)`);
    return { name: e.name, shape: e.shape, data: floats.slice(e.offset, e.offset + n) };
  });
  return { meta: header.meta, tensors };
}

/** The tensors of a parameter set under a prefix. */
export function paramTensors(prefix: string, params: ParamSet | Map<string, tf.Variable>): CheckpointTensor[] {
  return [...params].map(([name, v]) => ({ name: `${prefix}/${name}`, shape: v.shape, data: v.dataSync() as Float32Array }));
}

/**
 * Assign a parameter set from a checkpoint's tensors under `prefix`.
 * @returns names of `params` the checkpoint lacks (left as they were).
 * @throws ArgumentError on a shape mismatch.
 */
export function restoreParams(ck: Checkpoint, prefix: string, params: ParamSet | Map<string, tf.Variable>): string[] {
  const byName = new Map(ck.tensors.filter((t) => t.name.startsWith(`${prefix}/`)).map((t) => [t.name.slice(prefix.length + 1), t]));
  const missing: string[] = [];
  for (const [name, v] of params) {
    const t = byName.get(name);
    if (!t) {
      missing.push(name);
      continue;
    }
    if (t.shape.join() !== v.shape.join()) throw new ArgumentError('restoreParams', `${prefix}/${name}`, `shape [${t.shape}]`, `shape [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
  return missing;
}
