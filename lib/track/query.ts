/**
 * Selecting runs: a {@link RunQuery} (experiment, status, tags, a filter string, a typed predicate, ordering,
 * offset and limit) applied to records whose status has already been derived. Pure: the store reads the index,
 * this picks from it.
 */
import { ArgumentError } from '../errors.js';
import { compileFilter, fieldValue, parseOrderBy, type OrderKey } from './filter.js';
import { RUN_STATUSES, type RunQuery, type RunRecord, type RunStatus } from './types.js';

/** Default order: newest first (MLflow's start_time DESC). */
export const DEFAULT_ORDER = 'attributes.created DESC';

/** -1/0/1 for two field values; numbers before strings before anything else. Missing values are handled by the caller. */
function compareAny(a: unknown, b: unknown): number {
  const rank = (v: unknown) => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) {
    return (a as number) - (b as number);
  }
  if (ra === 3) {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const isMissing = (v: unknown) => v === undefined || v === null || Number.isNaN(v);

/**
 * Sort records by the given keys (decorated: each record's sort values are looked up once). Records missing a
 * key, or with NaN (a diverged metric), sort after the others in either direction. Ties: newest first, then id.
 */
export function sortRecords(records: readonly RunRecord[], keys: readonly OrderKey[]): RunRecord[] {
  const decorated = records.map((rec) => ({ rec, values: keys.map((k) => fieldValue(rec, k.field)) }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const va = a.values[i];
      const vb = b.values[i];
      const ma = isMissing(va);
      const mb = isMissing(vb);
      if (ma || mb) {
        if (ma && mb) continue;
        return ma ? 1 : -1;
      }
      const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : compareAny(va, vb);
      if (c !== 0) return keys[i].descending ? -c : c;
    }
    if (a.rec.createdAt !== b.rec.createdAt) return b.rec.createdAt - a.rec.createdAt;
    return a.rec.id < b.rec.id ? 1 : a.rec.id > b.rec.id ? -1 : 0;
  });
  return decorated.map((d) => d.rec);
}

function asList<T>(v: T | readonly T[] | undefined): readonly T[] | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? (v as readonly T[]) : [v as T];
}

/**
 * Validate a query's plain fields and compile its strings (once, before scanning records).
 * @throws FilterError for a bad filter or order-by; ArgumentError for a bad status, limit or offset.
 */
export function compileQuery(query: RunQuery): (records: readonly RunRecord[]) => RunRecord[] {
  const statuses = asList(query.status);
  for (const s of statuses ?? []) {
    if (!(RUN_STATUSES as readonly string[]).includes(s)) throw new ArgumentError('listRuns', 'status', s, RUN_STATUSES.join(', '));
  }
  for (const [arg, v] of [
    ['limit', query.limit],
    ['offset', query.offset],
  ] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new ArgumentError('listRuns', arg, v, 'an integer ≥ 0');
  }
  const experiments = asList(query.experiment);
  const tags = query.tags ? Object.entries(query.tags) : [];
  const filter = query.filter !== undefined ? compileFilter(query.filter) : null;
  const order = parseOrderBy(query.orderBy ?? DEFAULT_ORDER);
  const statusSet = statuses ? new Set<RunStatus>(statuses) : null;
  const expSet = experiments ? new Set(experiments) : null;

  return (records) => {
    const picked = records.filter(
      (r) =>
        (statusSet === null || statusSet.has(r.status)) &&
        (expSet === null || expSet.has(r.experiment)) &&
        tags.every(([k, v]) => Object.hasOwn(r.tags, k) && r.tags[k] === v) &&
        (filter === null || filter(r)) &&
        (query.where === undefined || query.where(r)),
    );
    const sorted = sortRecords(picked, order);
    const start = query.offset ?? 0;
    return sorted.slice(start, query.limit === undefined ? undefined : start + query.limit);
  };
}
