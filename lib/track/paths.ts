/**
 * Run ids, artifact names and the store's file layout. Every path the store builds from caller input goes
 * through here: an id or name is checked against a strict pattern *before* any join, and the joined path is
 * resolved and checked to stay inside its folder (nothing escapes the store).
 *
 * Layout (store/README.md):
 *   <store>/store.json            marker: format and version
 *   <store>/index.json            lowdb index: every run's record, keyed by id
 *   <store>/.store.lock           cross-process lock (a directory, transient)
 *   <store>/runs/<id>/run.json    the run's own record (source of truth; the index is rebuilt from these)
 *   <store>/runs/<id>/metrics.jsonl   append-only metric points
 *   <store>/runs/<id>/heartbeat   empty file; its mtime is the live heartbeat
 *   <store>/runs/<id>/artifacts/  artifact files
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ArgumentError } from '../errors.js';

/** Run ids: a letter or digit, then up to 127 of letters, digits, `.`, `_`, `-`. No separators, never `..`. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** One segment of an artifact name: like a run id, at most 128 characters. */
const SEGMENT_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const MAX_ARTIFACT_DEPTH = 8;

export const STORE_MARKER = 'store.json';
export const INDEX_FILE = 'index.json';
export const LOCK_FILE = '.store.lock';
export const RUNS_DIR = 'runs';
export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';
export const HEARTBEAT_FILE = 'heartbeat';
export const ARTIFACTS_DIR = 'artifacts';
/** Folders of deleted runs are renamed to `runs/.trash-<id>-<rand>` first, then removed. */
export const TRASH_PREFIX = '.trash-';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * A fresh run id, sortable by creation time and unique across processes: `YYYYMMDD-HHMMSS-mmm-<6 base-36 chars>`
 * (UTC), e.g. `20261126-185930-042-k3v9qa`. 36⁶ ≈ 2·10⁹ suffixes per millisecond; the store still checks
 * that the folder is new (mkdir without `recursive`) and draws again on a clash.
 */
export function newRunId(now: number = Date.now()): string {
  const d = new Date(now);
  const stamp =
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}-${pad(d.getUTCMilliseconds(), 3)}`;
  const bytes = randomBytes(6);
  let suffix = '';
  for (const b of bytes) suffix += '0123456789abcdefghijklmnopqrstuvwxyz'[b % 36];
  return `${stamp}-${suffix}`;
}

/**
 * Check a run id before it is used in a path.
 * @throws ArgumentError naming `fn`, the id and the allowed pattern.
 */
export function checkRunId(fn: string, id: unknown): string {
  if (typeof id !== 'string' || !RUN_ID_PATTERN.test(id)) {
    throw new ArgumentError(fn, 'id', id, `a run id matching ${RUN_ID_PATTERN} (letters, digits, '.', '_', '-'; no path separators)`);
  }
  return id;
}

/**
 * Check an artifact name: a relative path of 1–8 segments separated by `/`, each a letter, digit or `_` then
 * letters, digits, `.`, `_`, `-`. So no absolute paths, no `..`, no hidden files, no backslashes.
 * @throws ArgumentError naming `fn`, the name and what is allowed.
 */
export function checkArtifactName(fn: string, name: unknown): string {
  const allowed = `a relative path of 1-${MAX_ARTIFACT_DEPTH} '/'-separated segments, each matching ${SEGMENT_PATTERN} (no '..', no absolute paths)`;
  if (typeof name !== 'string') throw new ArgumentError(fn, 'name', name, allowed);
  const segments = name.split('/');
  if (segments.length > MAX_ARTIFACT_DEPTH || !segments.every((s) => SEGMENT_PATTERN.test(s))) {
    throw new ArgumentError(fn, 'name', name, allowed);
  }
  return name;
}

/**
 * Join `parts` under `root` and prove the result stays inside `root` (defence in depth behind the patterns).
 * @throws ArgumentError when the resolved path escapes.
 */
export function inside(fn: string, root: string, ...parts: string[]): string {
  const base = path.resolve(root);
  const full = path.resolve(base, ...parts);
  if (full !== base && !full.startsWith(base + path.sep)) {
    throw new ArgumentError(fn, 'path', parts.join('/'), `a path inside ${base}`);
  }
  return full;
}

/** The file layout of one store folder. Only ever called with checked ids and names. */
export class StorePaths {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }
  get marker(): string {
    return path.join(this.root, STORE_MARKER);
  }
  get index(): string {
    return path.join(this.root, INDEX_FILE);
  }
  get lock(): string {
    return path.join(this.root, LOCK_FILE);
  }
  get runs(): string {
    return path.join(this.root, RUNS_DIR);
  }
  runDir(id: string): string {
    return inside('runDir', this.runs, checkRunId('runDir', id));
  }
  runFile(id: string): string {
    return path.join(this.runDir(id), RUN_FILE);
  }
  metricsFile(id: string): string {
    return path.join(this.runDir(id), METRICS_FILE);
  }
  heartbeatFile(id: string): string {
    return path.join(this.runDir(id), HEARTBEAT_FILE);
  }
  artifactsDir(id: string): string {
    return path.join(this.runDir(id), ARTIFACTS_DIR);
  }
  /** The artifact's path; the name is checked and the result proven inside the run's artifact folder. */
  artifact(fn: string, id: string, name: string): string {
    return inside(fn, this.artifactsDir(id), checkArtifactName(fn, name));
  }
}
