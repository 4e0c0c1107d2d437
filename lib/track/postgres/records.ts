/** Run records ↔ rows of the `runs` table. jsonb keeps the values, not the key order of objects. */
import { decodeNumber, encodeNumber } from '../record.js';
import type { RunRecord } from '../types.js';

/** The database clock in epoch ms: heartbeats are stamped and judged by it, so hosts' clocks need not agree. */
export const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/** Columns that selection needs (everything but provenance, artifacts, error and resumed_at). */
export const LIGHT_COLUMNS = 'id, name, experiment, status, created_at, ended_at, heartbeat_at, host, pid, pid_start, params, summary, tags';
export const ALL_COLUMNS = `${LIGHT_COLUMNS}, artifacts, provenance, error, resumed_at`;

export interface RunRow {
  id: string;
  name: string;
  experiment: string;
  status: RunRecord['status'];
  created_at: number;
  ended_at: number | null;
  heartbeat_at: number;
  host: string;
  pid: number;
  pid_start: string | null;
  params: RunRecord['params'];
  summary: Record<string, number | string>;
  tags: RunRecord['tags'];
  artifacts?: RunRecord['artifacts'];
  provenance?: RunRecord['provenance'];
  error?: RunRecord['error'];
  resumed_at?: number[];
}

export function decodeSummary(stored: Record<string, number | string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(stored)) out[k] = decodeNumber(stored[k]);
  return out;
}

export function encodeSummary(summary: Record<string, number>): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const k of Object.keys(summary)) out[k] = encodeNumber(summary[k]);
  return out;
}

/** A row (light or full) as a record; a light row gets empty provenance-side fields, to be filled later. */
export function rowToRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    name: row.name,
    experiment: row.experiment,
    status: row.status,
    createdAt: row.created_at,
    endedAt: row.ended_at,
    heartbeatAt: row.heartbeat_at,
    pid: row.pid,
    pidStart: row.pid_start,
    host: row.host,
    params: row.params,
    tags: row.tags,
    summary: decodeSummary(row.summary),
    artifacts: row.artifacts ?? [],
    provenance: row.provenance ?? (undefined as unknown as RunRecord['provenance']),
    error: row.error ?? null,
    resumedAt: row.resumed_at ?? [],
  };
}

/** jsonb text of a value; `\u0000` cannot be stored in jsonb text, so it is refused by PostgreSQL. */
export const json = (v: unknown) => JSON.stringify(v);

/** Values of every column in ALL_COLUMNS order, for INSERT/UPDATE with $1…$17. */
export function recordValues(rec: RunRecord): unknown[] {
  return [
    rec.id,
    rec.name,
    rec.experiment,
    rec.status,
    rec.createdAt,
    rec.endedAt,
    rec.heartbeatAt,
    rec.host,
    rec.pid,
    rec.pidStart,
    json(rec.params),
    json(encodeSummary(rec.summary)),
    json(rec.tags),
    json(rec.artifacts),
    json(rec.provenance),
    rec.error === null ? null : json(rec.error),
    json(rec.resumedAt),
  ];
}

export const INSERT_RUN = `INSERT INTO runs (${ALL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`;
export const UPDATE_RUN = `UPDATE runs SET (${ALL_COLUMNS}) = ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) WHERE id = $1`;

/** A PostgreSQL text[] / int[] literal. Text elements are double-quoted with `\` and `"` escaped. */
export function textArray(items: readonly string[]): string {
  let s = '{';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) s += ',';
    s += `"${items[i].replace(/[\\"]/g, '\\$&')}"`;
  }
  return s + '}';
}
export const numberArray = (items: readonly number[]) => `{${items.join(',')}}`;
