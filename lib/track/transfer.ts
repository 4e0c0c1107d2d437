/**
 * Moving runs between stores: `splam runs export --format store <dir|url>` and `splam runs import
 * <dir|url>` copy ended runs — records, metric series, artifacts — from one store to another (the file store and
 * PostgreSQL, either way), each verified equal after it is written.
 *
 * Two steps, so that a conflict writes nothing: {@link planCopy} reads only (which runs, which are live, which the
 * destination already has — equal ones are skipped, a different run under the same id is refused), then
 * {@link copyRuns} writes each run whole ({@link RunStore.importRun}) and reads it back to compare.
 */
import { createHash } from 'node:crypto';
import { StoreError } from '../errors.js';
import type { MetricSeries, RunCopy, RunQuery, RunRecord, RunStore } from './types.js';

export interface CopyPlan {
  /** Runs to copy (ended, not in the destination). */
  copy: RunRecord[];
  /** Runs left out, with why: still running, or already in the destination and equal. */
  skipped: { id: string; reason: 'running' | 'already there (equal)' }[];
}

export interface CopyReport extends CopyPlan {
  from: string;
  to: string;
  points: number;
  artifacts: number;
  bytes: number;
}

/** JSON with object keys sorted: jsonb keeps values, not key order, so records compare by this. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
  });
}

/** The record as a copy must reproduce it: a derived crashed status stays crashed, its `crashReason` is read-side. */
function comparable(rec: RunRecord): string {
  const { crashReason: _, ...rest } = rec;
  return canonicalJson(rest);
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Read one run whole; each artifact's bytes are checked against the sha256 its record holds. */
export async function readRunCopy(store: RunStore, rec: RunRecord): Promise<RunCopy> {
  const series = await store.readMetrics(rec.id);
  const artifacts: RunCopy['artifacts'] = [];
  for (const a of rec.artifacts) {
    const bytes = await store.readArtifact(rec.id, a.name);
    if (sha256(bytes) !== a.sha256) {
      throw new StoreError('artifact_changed', `run ${rec.id}: artifact ${JSON.stringify(a.name)} in ${store.location} does not match its recorded sha256 (changed or truncated); nothing of this run was copied`, { runId: rec.id });
    }
    artifacts.push({ name: a.name, bytes });
  }
  return { record: rec, series, artifacts };
}

/** Why `b` differs from `a` (the first difference), or null when they are equal. */
export function copyDifference(a: RunCopy, b: RunCopy): string | null {
  if (comparable(a.record) !== comparable(b.record)) return 'the run records differ';
  const norm = (s: MetricSeries[]) => canonicalJson(s);
  if (norm(a.series) !== norm(b.series)) return 'the metric series differ';
  const arts = (c: RunCopy) => canonicalJson(c.artifacts.map((x) => [x.name, sha256(x.bytes)]).sort());
  if (arts(a) !== arts(b)) return 'the artifacts differ';
  return null;
}

async function tryGet(store: RunStore, id: string): Promise<RunRecord | null> {
  try {
    return await store.getRun(id);
  } catch (err) {
    if ((err as { code?: string }).code === 'run_not_found') return null;
    throw err;
  }
}

/**
 * Which runs of `from` (selected by `query`) a copy to `to` would write. `to` null: a destination that does not
 * exist yet. Reads only.
 * @throws StoreError `run_exists` when `to` holds a different run under one of the ids (nothing is written)
 */
export async function planCopy(from: RunStore, to: RunStore | null, query: RunQuery = {}): Promise<CopyPlan> {
  const plan: CopyPlan = { copy: [], skipped: [] };
  for (const rec of await from.listRuns(query)) {
    if (rec.status === 'running') {
      plan.skipped.push({ id: rec.id, reason: 'running' });
      continue;
    }
    const there = to && (await tryGet(to, rec.id));
    if (!there) {
      plan.copy.push(rec);
      continue;
    }
    const why = copyDifference(await readRunCopy(from, rec), await readRunCopy(to, there));
    if (why !== null) {
      throw new StoreError('run_exists', `run ${rec.id} is already in ${to.location} and differs (${why}); nothing was copied\n  hint: leave it out (--filter 'attributes.id != "${rec.id}"') or delete it there (splam runs rm)`, { runId: rec.id });
    }
    plan.skipped.push({ id: rec.id, reason: 'already there (equal)' });
  }
  return plan;
}

/**
 * Copy the planned runs: each read whole, written whole into `to`, read back and compared.
 * @throws StoreError `verify_failed` when a copy reads back different (the run stays, for inspection)
 */
export async function copyRuns(from: RunStore, to: RunStore, plan: CopyPlan, onRun?: (id: string, i: number, n: number) => void): Promise<CopyReport> {
  const report: CopyReport = { ...plan, from: from.location, to: to.location, points: 0, artifacts: 0, bytes: 0 };
  for (const [i, rec] of plan.copy.entries()) {
    const copy = await readRunCopy(from, rec);
    await to.importRun(copy);
    const back = await readRunCopy(to, await to.getRun(rec.id));
    const why = copyDifference(copy, back);
    if (why !== null) throw new StoreError('verify_failed', `run ${rec.id} copied to ${to.location} reads back different: ${why}`, { runId: rec.id });
    report.points += copy.series.reduce((n, s) => n + s.step.length, 0);
    report.artifacts += copy.artifacts.length;
    report.bytes += copy.artifacts.reduce((n, a) => n + a.bytes.length, 0);
    onRun?.(rec.id, i, plan.copy.length);
  }
  return report;
}
