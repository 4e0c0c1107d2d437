/**
 * `splam runs export --format store <dir|url>` and `splam runs import <dir|url>`: copy ended runs
 * — records, series, artifacts — between two stores (a folder or a postgres:// URL each), verified equal. The
 * commands in runs.ts parse the flags; this module checks the two locations, plans (reads only) and copies.
 * Bad input — a malformed URL, a folder that is no store, a missing source, the same store twice — is a
 * one-line ArgumentError naming the argument and its value (exit 2) before anything is opened for writing.
 */
import { statSync, readdirSync } from 'node:fs';
import { ArgumentError, StoreError } from '../errors.js';
import type { RunQuery, RunStore } from '../track/types.js';

type Role = { command: 'export' | 'import'; arg: string };

/** One line (ArgumentError: exit 2) naming the command, the argument, its value, what is allowed and what is wrong. */
function bad(role: Role, value: string, message: string, allowed: string): ArgumentError {
  return new ArgumentError(`splam runs ${role.command}`, role.arg, value, `${allowed} (got ${message})`);
}

/** A store location as given: a postgres:// URL that parses, or a folder that is a store, empty or missing. */
async function checkLocation(loc: string, role: Role): Promise<string> {
  const { canonicalStore, isPostgresUrl, redactStoreUrl } = await import('../track/index.js');
  const allowed = 'a run store folder (or a new or empty one) or postgres://user@host:port/database[?artifacts=/path]';
  if (loc === '') throw bad(role, loc, 'empty', allowed);
  if (isPostgresUrl(loc)) {
    try {
      return canonicalStore(loc);
    } catch (err) {
      if (err instanceof ArgumentError) throw bad(role, redactStoreUrl(loc), `${err.arg} = ${JSON.stringify(err.value)}`, err.allowed);
      throw err;
    }
  }
  const dir = canonicalStore(loc);
  let st;
  try {
    st = statSync(dir);
  } catch {
    return dir; // a new store (export creates it)
  }
  if (!st.isDirectory()) throw bad(role, loc, 'a file, not a folder', allowed);
  const entries = readdirSync(dir);
  if (entries.length > 0 && !entries.includes('store.json')) throw bad(role, loc, `a folder that is not a run store (no store.json among ${entries.length} entries)`, allowed);
  return dir;
}

async function tryOpen(loc: string): Promise<RunStore | null> {
  const { openStore } = await import('../track/index.js');
  try {
    return await openStore(loc, { create: false });
  } catch (err) {
    if (err instanceof StoreError && err.code === 'store_not_found') return null;
    throw err;
  }
}

/**
 * Copy the runs of `fromLoc` that `query` selects into `toLoc` (created when missing and there is something to
 * copy); print what was copied and skipped. Live runs are skipped; runs already there and equal are skipped; a
 * different run under an id already there stops the copy before anything is written.
 * @throws ArgumentError for bad locations (exit 2); StoreError `run_exists`, `verify_failed`, `store_unreachable`
 */
export async function copyBetween(fromLoc: string, toLoc: string, query: RunQuery, o: { command: 'export' | 'import'; json?: boolean }): Promise<void> {
  const fromRole: Role = { command: o.command, arg: o.command === 'export' ? '--store' : 'source' };
  const toRole: Role = { command: o.command, arg: o.command === 'export' ? 'destination' : '--store' };
  const from = await checkLocation(fromLoc, fromRole);
  const to = await checkLocation(toLoc, toRole);
  if (from === to) throw bad(toRole, toLoc, `the same store as ${fromRole.arg}`, 'another store');
  const track = await import('../track/index.js');
  const source = await tryOpen(from);
  if (source === null) throw bad(fromRole, fromLoc, 'no run store there', 'an existing run store');
  let dest: RunStore | null = null;
  try {
    dest = await tryOpen(to);
    const plan = await track.planCopy(source, dest, query);
    if (plan.copy.length > 0) dest ??= await track.openStore(to);
    const report = dest
      ? await track.copyRuns(source, dest, plan, (id, i, n) => {
          if (!o.json) process.stderr.write(`copied ${id} (${i + 1}/${n})\n`);
        })
      : { ...plan, from: source.location, to: track.redactStoreUrl(to), points: 0, artifacts: 0, bytes: 0 };
    if (o.json) {
      process.stdout.write(JSON.stringify({ ...report, copy: report.copy.map((r) => r.id) }, null, 2) + '\n');
      return;
    }
    const lines = [`copied ${report.copy.length} run(s) (${report.points} points, ${report.artifacts} artifacts, ${report.bytes} bytes) from ${report.from} to ${report.to}${report.copy.length ? '; each read back and verified equal' : ''}`];
    for (const s of report.skipped) lines.push(`  skipped ${s.id}: ${s.reason}`);
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await source.close();
    await dest?.close();
  }
}

