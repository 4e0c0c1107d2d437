/** Helpers for the run-store tests: temp stores, child processes, error-field assertions. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { ArgumentError, StoreError } from '../../lib/errors.js';
import type { Provenance } from '../../lib/track/types.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A fresh temp folder, removed after the test file. */
export function tempDir(prefix = 'splam-store-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Provenance fields that skip the git calls (tests that start many runs). */
export const NO_GIT: Partial<Provenance> = { gitCommit: null, gitDirty: null, gitBranch: null };

/** Await `p` and check it rejects with a StoreError whose fields match. */
export async function rejectsStore(p: Promise<unknown>, fields: { code: string; runId?: string; file?: string | RegExp; message?: RegExp }): Promise<StoreError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof StoreError, `expected StoreError ${fields.code}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  const e = caught as StoreError;
  assert.equal(e.code, fields.code);
  if (fields.runId !== undefined) assert.equal(e.details.runId, fields.runId);
  if (fields.file instanceof RegExp) assert.match(e.details.file ?? '', fields.file);
  else if (fields.file !== undefined) assert.equal(e.details.file, fields.file);
  if (fields.message) assert.match(e.message, fields.message);
  return e;
}

/** Await `p` (or call it) and check it fails with an ArgumentError naming `fn` and `arg`. */
export async function rejectsArgument(p: Promise<unknown> | (() => unknown), fields: { fn: string; arg: string | RegExp; value?: unknown }): Promise<ArgumentError> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ArgumentError, `expected ArgumentError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  const e = caught as ArgumentError;
  assert.equal(e.fn, fields.fn);
  if (fields.arg instanceof RegExp) assert.match(e.arg, fields.arg);
  else assert.equal(e.arg, fields.arg);
  if ('value' in fields) assert.deepEqual(e.value, fields.value);
  assert.ok(e.allowed.length > 0);
  return e;
}

export interface Child {
  proc: ChildProcess;
  /** Resolves with the first stdout line that starts with `prefix`. */
  line(prefix: string): Promise<string>;
  /** Resolves when the process has exited (and been reaped). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Spawn `node --import tsx <script> ...args` from the repository root. */
export function spawnTs(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const w of [...waiters]) {
      const l = stdout.split('\n').find((x) => x.startsWith(w.prefix));
      if (l !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    proc,
    exited,
    line: (prefix) =>
      new Promise<string>((resolve, reject) => {
        const l = stdout.split('\n').find((x) => x.startsWith(prefix));
        if (l !== undefined) return resolve(l);
        waiters.push({ prefix, resolve });
        void exited.then((r) => reject(new Error(`child exited (code ${r.code}, signal ${r.signal}) before printing ${prefix}\n${r.stderr}`)));
      }),
  };
}
