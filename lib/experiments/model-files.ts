/**
 * The image tier's model files under models/: an autoencoder (with its latent scaling factor) and latent U-Nets
 * (the guided teacher and the SPLAD / LCM students), each in the checkpoint format of lib/train/checkpoint.ts, plus
 * the `<file>.json` sidecar every exported model carries (file, run id, config, summary, run record), as the mixture
 * teachers' and the classifier's exports do. Files are written with the store's atomic writer (lib/track/atomic.ts: a
 * per-process temp file, fsync, rename; removed on failure, recognised by doctor when a kill leaves it).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../errors.js';
import { writeFileAtomicSync } from '../track/atomic.js';
import type { Rng } from '../data/rng.js';
import type { ScheduleSpec } from '../diffusion/schedules.js';
import { makeRng } from '../data/rng.js';
import { makeAutoencoder, type Autoencoder, type AutoencoderConfig } from '../nn/autoencoder.js';
import { disposeParams, type ParamSet } from '../nn/params.js';
import { makeUnet, type Unet, type UnetConfig } from '../nn/unet.js';
import { decodeCheckpoint, encodeCheckpoint, paramTensors, restoreParams, type Checkpoint } from '../train/checkpoint.js';
import type { RunLogger } from './kind.js';

/** Meta of models/autoencoder-*.ckpt (tensor prefix `ae/`). */
export interface AutoencoderMeta {
  kind: 'autoencoder';
  autoencoder: AutoencoderConfig;
  /** Latent scaling factor s = 1/std(z) (Stable Diffusion's `scaling_factor`): the diffusion models see s·z. */
  scale: number;
  source: Record<string, unknown>;
}

/** Meta of a latent U-Net (tensor prefix `net/`): the teacher, or a distilled student. */
export interface LatentUnetMeta {
  kind: 'latent-unet';
  role: 'teacher' | 'student';
  unet: UnetConfig;
  /** The noise schedule the network was trained on (students inherit the teacher's). */
  schedule: ScheduleSpec;
  /** The autoencoder file whose scaled latents the network works on, and its scale. */
  autoencoder: string;
  scale: number;
  /** Students: the method (`LCM` = γ fixed at 1), the fixed guidance w of the teacher they distil, the teacher file. */
  method?: 'LCM' | 'SPLAM';
  guidance?: { w: number; convention: 'lcm' | 'cfg' };
  teacher?: string;
  /** Students: the solver grid size they were trained on (sampling timesteps come from it). */
  numDdimTimesteps?: number;
  /**
   * Students with LCM's w-embedding: its dimension, the training range of w and the embedding scale (`unet` holds
   * `wEmbedDim` / `wEmbedScale` too, so {@link loadLatentUnet} rebuilds `time.w_proj`); `guidance.w` is then the
   * default sampling w. Absent for students without one (and for every file written before the switch existed).
   */
  wEmbed?: { dim: number; min: number; max: number; scale: number };
  source: Record<string, unknown>;
}

export type ModelMeta = AutoencoderMeta | LatentUnetMeta;

/** Write a model file (its folder made first) with the store's atomic writer. */
export function writeModelFile(file: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomicSync(file, bytes);
}

/**
 * Write a model file and its sidecar `<file>.json` ({ file, runId, config, summary, run }).
 * @returns a line for the run's report.
 */
export function exportModel(file: string, meta: ModelMeta, prefix: string, params: ParamSet, o: { run: RunLogger; config: unknown; summary: Record<string, number> }): string {
  writeModelFile(file, encodeCheckpoint({ meta, tensors: paramTensors(prefix, params) }));
  const sidecar = { file, runId: o.run.id, config: o.config, summary: o.summary, run: o.run.record() };
  writeModelFile(`${file}.json`, JSON.stringify(sidecar, null, 2) + '\n');
  return `weights written to ${file} (+ .json with config and run record)`;
}

/**
 * Read a model file of the given kind.
 * @throws ConfigError naming the file when it cannot be read or holds another kind of model.
 */
export function readModelFile<K extends ModelMeta['kind']>(file: string, kind: K): Checkpoint<Extract<ModelMeta, { kind: K }>> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError(file, [{ path: 'checkpoint', value: file, message: `cannot read the model file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, allowed: `a ${kind} file written by an exporting run (models/*.ckpt)` }]);
  }
  try {
    const ck = decodeCheckpoint<Extract<ModelMeta, { kind: K }>>(bytes);
    if (ck.meta?.kind !== kind) throw new Error(`not a ${kind} file (meta.kind ${String((ck.meta as { kind?: unknown } | undefined)?.kind)})`);
    return ck;
  } catch (err) {
    throw new ConfigError(file, [{ path: 'checkpoint', value: file, message: (err as Error).message, allowed: `a ${kind} file` }]);
  }
}

/** The autoencoder of a model file, weights restored, and its latent scale. @throws Error when a weight is missing. */
export function loadAutoencoder(ck: Checkpoint<AutoencoderMeta>): { ae: Autoencoder; scale: number } {
  const ae = makeAutoencoder(ck.meta.autoencoder, makeRng(0));
  const missing = restoreParams(ck, 'ae', ae.params);
  if (missing.length) {
    disposeParams(ae.params);
    throw new Error(`autoencoder file lacks ae/${missing[0]}`);
  }
  return { ae, scale: ck.meta.scale };
}

/**
 * A latent U-Net with the file's architecture and weights; `overrides` may add a γ-embedding or a w-embedding (a
 * student built from the teacher: the new `time.cond_proj` / `time.w_proj` keep the init drawn from `rng` and are
 * reported in `missing`). Files written before the w-embedding existed lack `wEmbedDim` in `meta.unet`: the U-Net's
 * default 0 applies, so they load as before.
 */
export function loadLatentUnet(ck: Checkpoint<LatentUnetMeta>, rng: Rng, overrides: Partial<UnetConfig> = {}): { net: Unet; missing: string[] } {
  const net = makeUnet({ ...ck.meta.unet, ...overrides }, rng);
  const missing = restoreParams(ck, 'net', net.params);
  return { net, missing };
}
