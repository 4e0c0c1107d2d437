/**
 * The exported classifier file (models/classifier-fmnist.ckpt): its meta, writing it atomically, reading it back
 * with errors that name the file, and the network it holds. The image tier's FID features come from it.
 */
import { readFileSync } from 'node:fs';
import { makeRng } from '../../data/rng.js';
import { ConfigError } from '../../errors.js';
import { makeClassifier, type Classifier, type ClassifierConfig } from '../../nn/classifier.js';
import { disposeParams } from '../../nn/params.js';
import { decodeCheckpoint, encodeCheckpoint, paramTensors, restoreParams, type Checkpoint } from '../../train/checkpoint.js';
import { writeModelFile } from '../model-files.js';

/** Meta of an exported classifier (models/*.ckpt): the architecture and where the weights came from. */
export interface ClassifierMeta {
  kind: 'classifier';
  classifier: ClassifierConfig;
  classNames: string[];
  source: Record<string, unknown>;
}

/**
 * Write a classifier's config and weights (tensor prefix `net/`), its folder made first, with the store's atomic
 * writer ({@link writeModelFile}: a per-process temp file doctor recognises, fsync, rename).
 */
export function writeClassifierCheckpoint(file: string, net: Classifier, classNames: readonly string[], source: Record<string, unknown>): void {
  const meta: ClassifierMeta = { kind: 'classifier', classifier: net.config, classNames: [...classNames], source };
  writeModelFile(file, encodeCheckpoint({ meta, tensors: paramTensors('net', net.params) }));
}

/** @throws ConfigError naming the file when it cannot be read or is not a classifier checkpoint. */
export function readClassifierCheckpoint(file: string): Checkpoint<ClassifierMeta> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError(file, [{ path: 'checkpoint', value: file, message: `cannot read the checkpoint (${(err as NodeJS.ErrnoException).code ?? String(err)})`, allowed: 'a file written by a classifier run with "export" (e.g. models/classifier-fmnist.ckpt)' }]);
  }
  try {
    const ck = decodeCheckpoint<ClassifierMeta>(bytes);
    if (ck.meta?.kind !== 'classifier' || !ck.meta.classifier) throw new Error(`not a classifier checkpoint (meta.kind ${String(ck.meta?.kind)})`);
    return ck;
  } catch (err) {
    throw new ConfigError(file, [{ path: 'checkpoint', value: file, message: (err as Error).message }]);
  }
}

/** The network of an exported checkpoint, weights restored. @throws Error when a weight is missing. */
export function loadClassifier(ck: Checkpoint<ClassifierMeta>): Classifier {
  const net = makeClassifier(ck.meta.classifier, makeRng(0));
  const missing = restoreParams(ck, 'net', net.params);
  if (missing.length) {
    disposeParams(net.params);
    throw new Error(`classifier checkpoint lacks net/${missing[0]}`);
  }
  return net;
}
