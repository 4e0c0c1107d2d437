/**
 * What a query reads of each run, so that the PostgreSQL store fetches only that for every candidate row: the
 * attribute columns, plus the params paths, summary keys and tags the filter, the order-by and the tag selection
 * name — not whole jsonb documents. The query language still runs in JS (lib/track/query.ts) over these partial
 * records, so both backends select exactly alike; the selected runs are then fetched whole. Provenance fields and
 * typed predicates need whole records (the caller falls back).
 */
import { parseFilter, parseOrderBy, type Field, type FilterExpr } from '../filter.js';
import { DEFAULT_ORDER } from '../query.js';
import { decodeNumber } from '../record.js';
import type { RunQuery, RunRecord } from '../types.js';

export interface Projection {
  /** Extra select-list items (after the attribute columns), with their parameters from `$first` on. */
  columns(first: number): { sql: string[]; values: unknown[] };
  /** A partial record's params, summary and tags from one row's extra columns. */
  fill(row: Record<string, unknown>): Pick<RunRecord, 'params' | 'summary' | 'tags'>;
}

/** Attribute columns: what deriveStatus and every `attributes.` field need. */
export const ATTRIBUTE_COLUMNS = 'id, name, experiment, status, created_at, ended_at, heartbeat_at, host, pid, pid_start';

function fieldsOf(e: FilterExpr, out: Field[]): void {
  switch (e.kind) {
    case 'and':
    case 'or':
      fieldsOf(e.left, out);
      fieldsOf(e.right, out);
      return;
    case 'not':
      fieldsOf(e.expr, out);
      return;
    case 'true':
      return;
    default:
      out.push(e.field);
  }
}

/** The projection of `query`, or null when it needs whole records (a typed predicate, a provenance field). */
export function projectionOf(query: RunQuery): Projection | null {
  if (query.where !== undefined) return null;
  const fields: Field[] = [];
  if (query.filter !== undefined) fieldsOf(parseFilter(query.filter), fields);
  for (const k of parseOrderBy(query.orderBy ?? DEFAULT_ORDER)) fields.push(k.field);
  if (fields.some((f) => f.ns === 'provenance')) return null;
  const paths = new Map<string, string[]>(); // params paths, by their dotted text
  const metricKeys = new Set<string>();
  const tagKeys = new Set<string>(Object.keys(query.tags ?? {}));
  for (const f of fields) {
    if (f.ns === 'params') paths.set(f.path.join('.'), f.path);
    else if (f.ns === 'metrics') metricKeys.add(f.path.join('.'));
    else if (f.ns === 'tags') tagKeys.add(f.path.join('.'));
  }
  // A path under another one comes with it (params.train holds params.train.lr): keep the shortest.
  const sorted = [...paths.values()].sort((a, b) => a.length - b.length);
  const kept: string[][] = [];
  for (const p of sorted) if (!kept.some((q) => q.every((seg, i) => p[i] === seg))) kept.push(p);
  const flat = [...paths.values()].filter((p) => p.length > 1).map((p) => p.join('.')); // filter.ts also reads params["a.b"]
  const metrics = [...metricKeys];
  const tags = [...tagKeys];
  return {
    columns(first) {
      const sql: string[] = [];
      const values: unknown[] = [];
      const param = (v: unknown, cast: string) => {
        values.push(v);
        return `$${first + values.length - 1}::${cast}`;
      };
      // Wrapped in a one-element array: SQL NULL (absent) stays apart from a JSON null value.
      kept.forEach((p, i) => {
        const at = param(p, 'text[]');
        sql.push(`CASE WHEN params #> ${at} IS NULL THEN NULL ELSE jsonb_build_array(params #> ${at}) END AS p${i}`);
      });
      flat.forEach((k, i) => {
        const at = param(k, 'text');
        sql.push(`CASE WHEN params ? ${at} THEN jsonb_build_array(params -> ${at}) END AS f${i}`);
      });
      metrics.forEach((k, i) => sql.push(`summary -> ${param(k, 'text')} AS m${i}`));
      tags.forEach((k, i) => sql.push(`tags ->> ${param(k, 'text')} AS t${i}`));
      return { sql, values };
    },
    fill(row) {
      const params: Record<string, unknown> = {};
      kept.forEach((p, i) => {
        const v = row[`p${i}`] as unknown[] | null;
        if (v === null) return;
        let obj = params;
        for (const seg of p.slice(0, -1)) obj = (obj[seg] ??= {}) as Record<string, unknown>;
        obj[p[p.length - 1]] = v[0];
      });
      flat.forEach((k, i) => {
        const v = row[`f${i}`] as unknown[] | null;
        if (v !== null) params[k] = v[0];
      });
      const summary: Record<string, number> = {};
      metrics.forEach((k, i) => {
        const v = row[`m${i}`];
        if (v !== null && v !== undefined) summary[k] = decodeNumber(v);
      });
      const tagValues: Record<string, string> = {};
      tags.forEach((k, i) => {
        const v = row[`t${i}`];
        if (typeof v === 'string') tagValues[k] = v;
      });
      return { params: params as RunRecord['params'], summary, tags: tagValues };
    },
  };
}

const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

/**
 * SQL conditions that every run the filter selects satisfies (a superset: the exact selection stays in JS), so
 * that PostgreSQL can skip the rows that cannot match: for each top-level `and` term comparing a params path or a
 * summary metric with a number by =, <, <=, > or >= (where a missing value never matches), rows whose value there
 * is a JSON number failing the comparison are left out. Values of other types (a string "20" compares as 20 in
 * filter.ts) and params' dotted-key fallback stay in.
 */
export function prefilter(query: RunQuery, first: number): { sql: string[]; values: unknown[] } {
  const sql: string[] = [];
  const values: unknown[] = [];
  if (query.filter === undefined) return { sql, values };
  const terms: FilterExpr[] = [];
  const walk = (e: FilterExpr): void => {
    if (e.kind === 'and') {
      walk(e.left);
      walk(e.right);
    } else terms.push(e);
  };
  walk(parseFilter(query.filter));
  const param = (v: unknown, cast: string) => {
    values.push(v);
    return `$${first + values.length - 1}::${cast}`;
  };
  const test = (v: string, op: string, lit: string) => `(${v} IS NOT NULL AND (jsonb_typeof(${v}) <> 'number' OR (${v})::numeric ${op} ${lit}))`;
  for (const t of terms) {
    if (t.kind !== 'compare' || typeof t.value !== 'number' || !Number.isFinite(t.value) || !NUMERIC_OPS.has(t.op)) continue;
    const lit = param(String(t.value), 'numeric');
    if (t.field.ns === 'metrics') sql.push(test(`summary -> ${param(t.field.path.join('.'), 'text')}`, t.op, lit));
    else if (t.field.ns === 'params') {
      const nested = test(`params #> ${param(t.field.path, 'text[]')}`, t.op, lit);
      sql.push(t.field.path.length > 1 ? `(${nested} OR params ? ${param(t.field.path.join('.'), 'text')})` : nested);
    }
  }
  return { sql, values };
}
