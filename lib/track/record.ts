/**
 * Run records on disk. The stored form equals the in-memory {@link RunRecord} except that non-finite summary
 * values (a diverged loss) are written as the strings "NaN", "Infinity", "-Infinity" (JSON has no such
 * numbers), and the read-only `crashReason` is never stored.
 */
import { RUN_STATUSES, type RunRecord } from './types.js';

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** A number as JSON can hold it: finite numbers stay, others become their name. */
export function encodeNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

/** Inverse of {@link encodeNumber}; anything else becomes NaN. */
export function decodeNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && Object.hasOwn(NON_FINITE, v)) return NON_FINITE[v];
  return Number.NaN;
}

/** The stored form of a record. */
export function encodeRecord(rec: RunRecord): Record<string, unknown> {
  const enc = Object.fromEntries(Object.entries(rec.summary).map(([k, v]) => [k, encodeNumber(v)]));
  const out: Record<string, unknown> = { ...rec, summary: enc };
  delete out.crashReason;
  return out;
}

/** Decode a stored record in place (it was just parsed) and return it. */
export function decodeRecord(stored: unknown): RunRecord {
  const rec = stored as RunRecord;
  const summary = rec.summary as Record<string, unknown>;
  for (const k of Object.keys(summary)) {
    if (typeof summary[k] !== 'number') {
      Object.defineProperty(summary, k, { value: decodeNumber(summary[k]), enumerable: true, writable: true, configurable: true });
    }
  }
  return rec;
}

/** Why a stored value is not a run record, or null when it looks like one. Cheap: called on every index read. */
export function recordShapeProblem(v: unknown, expectedId?: string): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'string') return 'no string "id"';
  if (expectedId !== undefined && r.id !== expectedId) return `"id" is ${JSON.stringify(r.id)}, not ${JSON.stringify(expectedId)}`;
  if (!(RUN_STATUSES as readonly unknown[]).includes(r.status)) return `"status" is ${JSON.stringify(r.status)}`;
  if (typeof r.experiment !== 'string' || typeof r.name !== 'string') return 'no string "experiment"/"name"';
  if (typeof r.createdAt !== 'number' || typeof r.heartbeatAt !== 'number' || typeof r.pid !== 'number') return 'bad times or pid';
  for (const f of ['params', 'tags', 'summary', 'provenance'] as const) {
    if (typeof r[f] !== 'object' || r[f] === null || Array.isArray(r[f])) return `"${f}" is not an object`;
  }
  if (!Array.isArray(r.artifacts) || !Array.isArray(r.resumedAt)) return '"artifacts"/"resumedAt" not arrays';
  return null;
}
