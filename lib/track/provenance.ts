/**
 * What a run records about where it ran: git commit and dirty flag, Node and package versions, the tensor
 * backend (passed in: this module never loads tfjs), host, CPU count, seed, command line.
 * Every probe is guarded: outside a git checkout, or without git, the git fields are null.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendInfo } from '../backend.js';
import type { Provenance } from './types.js';

/** Packages whose versions shape results. */
export const TRACKED_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', 'lowdb'] as const;

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return null;
  }
}

/** The versions found by the first call in this process (six file reads; ~1.3 ms of each startRun before). */
let versions: Record<string, string> | null = null;
let cpuCount: number | undefined;

/**
 * Versions of splam-lab and {@link TRACKED_PACKAGES} that resolve from the project; absent packages are left out.
 * Read once per process: the modules a process has loaded do not change under it.
 */
export function packageVersions(): Record<string, string> {
  versions ??= readPackageVersions();
  return { ...versions };
}

function readPackageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    out['splam-lab'] = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // not run from a checkout
  }
  const require = createRequire(path.join(PROJECT_ROOT, 'package.json'));
  for (const name of TRACKED_PACKAGES) {
    try {
      // Read package.json from the package folder (some packages do not export it).
      const dir = path.join(PROJECT_ROOT, 'node_modules', ...name.split('/'));
      const file = require.resolve(path.join(dir, 'package.json'));
      out[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      // not installed (optional dependency)
    }
  }
  return out;
}

export interface ProvenanceOptions {
  backend?: BackendInfo | null;
  seed?: number | null;
  /** Folder whose git state is recorded (default: the splam-lab checkout this module lives in). */
  gitDir?: string;
  /** Skip the git calls (the caller supplies the git fields). */
  skipGit?: boolean;
}

/** Collect provenance for a run starting now (two `git` calls, ~10 ms). */
export function collectProvenance(opts: ProvenanceOptions = {}): Provenance {
  const gitDir = opts.gitDir ?? PROJECT_ROOT;
  const commit = opts.skipGit ? null : git(gitDir, ['rev-parse', 'HEAD']);
  const status = commit === null ? null : git(gitDir, ['status', '--porcelain']);
  const branch = commit === null ? null : git(gitDir, ['rev-parse', '--abbrev-ref', 'HEAD']);
  return {
    gitCommit: commit,
    gitDirty: status === null ? null : status.length > 0,
    gitBranch: branch,
    node: process.version,
    packages: packageVersions(),
    backend: opts.backend ?? null,
    host: os.hostname(),
    platform: process.platform,
    arch: process.arch,
    cpus: (cpuCount ??= os.cpus().length), // os.cpus() reads /proc (~0.15 ms): once per process
    seed: opts.seed ?? null,
    argv: process.argv.slice(1),
    cwd: process.cwd(),
  };
}
