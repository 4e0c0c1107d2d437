/**
 * The PostgreSQL store's schema, created and migrated by the store itself. `schema_version` holds one row per
 * applied migration; {@link MIGRATIONS} is the ordered list, each applied once, in order, in one transaction
 * under an advisory lock (so two processes opening a fresh database at once do not both create it). A database
 * whose schema is newer than this code knows is refused (`unsupported_version`), never downgraded.
 *
 * Tables (times are epoch milliseconds, as in the file store):
 *   runs     one row per run: the record's scalar fields as columns, params / summary / tags / artifacts /
 *            provenance / error / resumed_at as jsonb (summary keeps NaN and ±Infinity as strings, like run.json)
 *   tags     (run_id, key, value): the run's tags again, one row each, indexed by (key, value) for selection
 *   metric_batches  (since version 2) one row per flushed batch of a run's points: (run_id, seq0, keys, steps,
 *            vals, times), the columns as arrays in logging order, the batch's points numbered seq0, seq0 + 1, …
 *            (run_id, seq0) is the primary key, so a retried batch insert is idempotent. One row per batch instead
 *            of one per point saves PostgreSQL's per-row cost (tuple header, index entry): logging went 1.79× faster
 *            (README, PostgreSQL run store).
 *            The arrays are stored uncompressed (STORAGE EXTERNAL: compressing float arrays costs CPU for little).
 *   metrics  a view with one row per point, (run_id, seq, key, step, value, time), the batches unnested: what every
 *            read uses (reads sort by key, step, seq: stable for equal steps). In version 1 it was the table.
 * No foreign key from points to runs: a per-row check would cost insert throughput; deleteRun removes a run's
 * points in the same transaction as the run.
 */
import type pg from 'pg';
import { StoreError } from '../../errors.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, tags and metric points',
    sql: `
      CREATE TABLE runs (
        id            text PRIMARY KEY,
        name          text NOT NULL,
        experiment    text NOT NULL,
        status        text NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'crashed')),
        created_at    bigint NOT NULL,
        ended_at      bigint,
        heartbeat_at  bigint NOT NULL,
        host          text NOT NULL,
        pid           integer NOT NULL,
        pid_start     text,
        params        jsonb NOT NULL,
        summary       jsonb NOT NULL,
        tags          jsonb NOT NULL,
        artifacts     jsonb NOT NULL,
        provenance    jsonb NOT NULL,
        error         jsonb,
        resumed_at    jsonb NOT NULL
      );
      CREATE INDEX runs_experiment_idx ON runs (experiment);
      CREATE INDEX runs_created_idx ON runs (created_at);
      CREATE TABLE tags (
        run_id  text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key     text NOT NULL,
        value   text NOT NULL,
        PRIMARY KEY (run_id, key)
      );
      CREATE INDEX tags_key_value_idx ON tags (key, value);
      CREATE TABLE metrics (
        run_id  text NOT NULL,
        seq     integer NOT NULL,
        key     text NOT NULL,
        step    bigint NOT NULL,
        value   double precision NOT NULL,
        time    bigint NOT NULL,
        PRIMARY KEY (run_id, seq)
      );`,
  },
  {
    version: 2,
    description: 'metric points stored as one row of arrays per batch (metric_batches), read through the metrics view',
    sql: `
      CREATE TABLE metric_batches (
        run_id  text NOT NULL,
        seq0    integer NOT NULL,
        keys    text[] NOT NULL,
        steps   bigint[] NOT NULL,
        vals    double precision[] NOT NULL,
        times   bigint[] NOT NULL,
        PRIMARY KEY (run_id, seq0)
      );
      ALTER TABLE metric_batches ALTER COLUMN keys SET STORAGE EXTERNAL, ALTER COLUMN steps SET STORAGE EXTERNAL,
        ALTER COLUMN vals SET STORAGE EXTERNAL, ALTER COLUMN times SET STORAGE EXTERNAL;
      INSERT INTO metric_batches (run_id, seq0, keys, steps, vals, times)
        SELECT run_id, seq, ARRAY[key], ARRAY[step], ARRAY[value], ARRAY[time] FROM metrics;
      DROP TABLE metrics;
      CREATE VIEW metrics AS
        SELECT b.run_id, b.seq0 + (u.i - 1)::integer AS seq, u.key, u.step, u.value, u.time
        FROM metric_batches b CROSS JOIN LATERAL unnest(b.keys, b.steps, b.vals, b.times) WITH ORDINALITY AS u(key, step, value, time, i);`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
const OUR_TABLES = ['runs', 'tags', 'metrics', 'metric_batches'];
/** Advisory-lock key of migrations ("splam" in ASCII). */
const MIGRATION_LOCK = 0x73706c616d;

/** Quote an identifier that already matched the schema-name pattern. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Bring the store's schema to {@link SCHEMA_VERSION}: create it in an empty schema (when `create`), apply pending
 * migrations, refuse a newer or a foreign one. Returns the version found before and after.
 * @throws StoreError `store_not_found` (create: false and no store), `not_a_store` (our table names taken by
 *   something else), `unsupported_version` (a newer schema)
 */
export async function migrate(client: pg.ClientBase, schema: string, create: boolean, where: string): Promise<{ from: number; to: number }> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const tables = (await client.query<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1', [schema])).rows.map((r) => r.name);
    let from = 0;
    if (tables.includes('schema_version')) {
      from = Number((await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${ident(schema)}.schema_version`)).rows[0].v ?? 0);
    } else {
      const taken = tables.filter((t) => OUR_TABLES.includes(t));
      if (taken.length > 0) {
        throw new StoreError('not_a_store', `${where} is not a run store: schema ${schema} has tables ${taken.join(', ')} but no schema_version; nothing was changed\n  hint: use another database or ?schema=<name>`, { file: where });
      }
      if (!create) throw new StoreError('store_not_found', `no run store at ${where}\n  hint: runs logged with openStore() create it`, { file: where });
    }
    if (from > SCHEMA_VERSION) {
      throw new StoreError('unsupported_version', `${where} is a version ${from} store; this splam-lab reads version ${SCHEMA_VERSION}`, { file: where });
    }
    if (from < SCHEMA_VERSION) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
      await client.query(`SET LOCAL search_path TO ${ident(schema)}`);
      await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const m of MIGRATIONS) {
        if (m.version <= from) continue;
        await client.query(m.sql);
        await client.query('INSERT INTO schema_version (version, description) VALUES ($1, $2)', [m.version, m.description]);
      }
    }
    await client.query('COMMIT');
    return { from, to: SCHEMA_VERSION };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
