/**
 * Network checkpoints on disk (models/*.ckpt): an {@link Mlp}'s config and weights in the checkpoint format of
 * lib/train/checkpoint.ts, under the tensor prefix `net/`. Written with the store's atomic writer (lib/track/atomic.ts:
 * a per-process temp file, fsync, rename; removed on failure, recognised by doctor when a kill leaves it).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { writeFileAtomicSync } from '../track/atomic.js';
import type { Rng } from '../data/rng.js';
import { makeMlp, type Mlp, type MlpConfig } from '../nn/mlp.js';
import { decodeCheckpoint, encodeCheckpoint, paramTensors, restoreParams, type Checkpoint } from './checkpoint.js';

export interface NetMeta {
  kind: 'teacher';
  mlp: MlpConfig;
  /** Where the weights came from: run id, experiment, step, config summary. */
  source: Record<string, unknown>;
}

export function writeNetCheckpoint(file: string, net: Mlp, source: Record<string, unknown>): void {
  const bytes = encodeCheckpoint<NetMeta>({ meta: { kind: 'teacher', mlp: net.config, source }, tensors: paramTensors('net', net.params) });
  writeFileAtomicSync(file, bytes);
}

/** @throws ConfigError naming the file when it cannot be read or is not a network checkpoint. */
export function readNetCheckpoint(file: string): Checkpoint<NetMeta> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError(file, [{ path: 'checkpoint', value: file, message: `cannot read the checkpoint (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  try {
    const ck = decodeCheckpoint<NetMeta>(bytes);
    if (ck.meta?.kind !== 'teacher' || !ck.meta.mlp) throw new Error('not a network checkpoint (meta.kind ≠ teacher)');
    return ck;
  } catch (err) {
    throw new ConfigError(file, [{ path: 'checkpoint', value: file, message: (err as Error).message }]);
  }
}

/**
 * A network with the checkpoint's architecture and weights; `overrides` may add a γ-embedding (the student's new
 * `time.cond_proj` keeps its random init, as in SPLAM's code,
 * MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:858-864).
 */
export function loadNet(ck: Checkpoint<NetMeta>, rng: Rng, overrides: Partial<MlpConfig> = {}): { net: Mlp; missing: string[] } {
  const net = makeMlp({ ...ck.meta.mlp, ...overrides }, rng);
  const missing = restoreParams(ck, 'net', net.params);
  return { net, missing };
}
