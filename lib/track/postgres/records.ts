/** Run records ↔ rows of the `runs` table. jsonb keeps the values, not the key order of objects. */
import { ArgumentError } from '../../errors.js';
import { decodeNumber, encodeNumber } from '../record.js';
import type { RunEnd } from '../run-base.js';
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

/** finish/fail in one statement ($1 the id; RunEnd's fields as {@link endValues} orders them); returns the row. */
export const END_RUN = `UPDATE runs SET status = $2, ended_at = $3, heartbeat_at = $4, summary = $5, error = $6 WHERE id = $1 RETURNING ${ALL_COLUMNS}`;

export const endValues = (id: string, end: RunEnd): unknown[] => [id, end.status, end.endedAt, end.heartbeatAt, json(encodeSummary(end.summary)), end.error === null ? null : json(end.error)];

/** A PostgreSQL text[] / int[] literal. Text elements are double-quoted with `\` and `"` escaped. */
export function textArray(items: readonly string[]): string {
  let s = '{';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) s += ',';
    s += `"${items[i].replace(/[\\"]/g, '\\$&')}"`;
  }
  return s + '}';
}

// Binary array parameters. node-postgres sends a Buffer parameter in binary format, and PostgreSQL's array_recv
// reads it without parsing text: no number → text → number round trip on either side (metric values keep every
// bit, -0 included). Layout: ndim, has-null flag, element type oid, then size and lower bound of the one
// dimension, then each element as its byte length and big-endian bytes. The statement must cast the parameter to
// the matching array type ($n::integer[], bigint[], double precision[], text[]), or the server refuses it
// ("wrong element type").
const OID_INT8 = 20;
const OID_FLOAT8 = 701;
const OID_TEXT = 25;
const HEADER = 20;
const TWO_32 = 2 ** 32;

function arrayOf(oid: number, n: number, bytes: number): { buf: Buffer; view: DataView } {
  const buf = Buffer.allocUnsafe(HEADER + bytes);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  view.setInt32(0, 1);
  view.setInt32(4, 0);
  view.setInt32(8, oid);
  view.setInt32(12, n);
  view.setInt32(16, 1);
  return { buf, view };
}

/**
 * A bigint[] (int8) parameter of safe integers (steps, epoch milliseconds).
 * @throws ArgumentError for an item that is not a safe integer (an imported series' step or time)
 */
export function int8Array(items: readonly number[], what: string): Buffer {
  const { buf, view } = arrayOf(OID_INT8, items.length, items.length * 12);
  for (let i = 0, o = HEADER; i < items.length; i++, o += 12) {
    if (!Number.isSafeInteger(items[i])) throw new ArgumentError('metric points', `${what}[${i}]`, items[i], 'a safe integer');
    const hi = Math.floor(items[i] / TWO_32);
    view.setInt32(o, 8);
    view.setInt32(o + 4, hi);
    view.setUint32(o + 8, items[i] - hi * TWO_32);
  }
  return buf;
}

/** A double precision[] (float8) parameter: NaN, ±Infinity and -0 as they are. */
export function float8Array(items: readonly number[]): Buffer {
  const { buf, view } = arrayOf(OID_FLOAT8, items.length, items.length * 12);
  for (let i = 0, o = HEADER; i < items.length; i++, o += 12) {
    view.setInt32(o, 8);
    view.setFloat64(o + 4, items[i]);
  }
  return buf;
}

/** A text[] parameter (UTF-8). Repeated items — a batch's metric keys — are encoded once. */
export function textArrayBinary(items: readonly string[]): Buffer {
  const encoded = new Map<string, Buffer>();
  let bytes = 0;
  for (const s of items) {
    let e = encoded.get(s);
    if (e === undefined) encoded.set(s, (e = Buffer.from(s, 'utf8')));
    bytes += 4 + e.length;
  }
  const { buf, view } = arrayOf(OID_TEXT, items.length, bytes);
  let o = HEADER;
  for (const s of items) {
    const e = encoded.get(s)!;
    view.setInt32(o, e.length);
    e.copy(buf, o + 4);
    o += 4 + e.length;
  }
  return buf;
}

/** A batch of one run's metric points, column by column, in logging order. */
export interface PointColumns {
  seq: readonly number[];
  key: readonly string[];
  step: readonly number[];
  value: readonly number[];
  time: readonly number[];
}

const POINTS_FROM = 'INSERT INTO metric_batches (run_id, seq0, keys, steps, vals, times) VALUES ($1, $2, $3::text[], $4::bigint[], $5::double precision[], $6::bigint[])';

/**
 * Insert a batch of points as one row (schema.ts `metric_batches`): one statement, any batch size, six parameters
 * (the run id, the first point's seq and one binary array per column). A plain INSERT: `(run_id, seq0)` is the
 * primary key, so a batch already there fails the statement (23505) instead of being written twice.
 */
export const INSERT_POINTS = POINTS_FROM;

/**
 * The same for a batch sent before whose outcome is unknown (its statement failed, or its connection broke
 * before the reply; it may have committed): a batch already there is skipped, so a retry never doubles a point.
 */
export const INSERT_POINTS_RETRY = `${POINTS_FROM} ON CONFLICT DO NOTHING`;

/**
 * The parameters of {@link INSERT_POINTS} / {@link INSERT_POINTS_RETRY}.
 * @throws Error when the batch's seqs are not consecutive (a bug: runs and imports number points in order).
 */
export function pointValues(runId: string, b: PointColumns): unknown[] {
  const seq0 = b.seq[0];
  for (let i = 1; i < b.seq.length; i++) if (b.seq[i] !== seq0 + i) throw new Error(`metric batch of run ${runId}: seq ${b.seq[i]} at position ${i} does not follow ${seq0} (a batch is a contiguous run of points)`);
  return [runId, seq0, textArrayBinary(b.key), int8Array(b.step, 'step'), float8Array(b.value), int8Array(b.time, 'time')];
}
