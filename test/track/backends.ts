/**
 * The run-store backends the store suite runs against: the file store (always) and PostgreSQL (where a server is
 * configured: SPLAM_PG_URL, as `eval "$(bash scripts/pg-start.sh)"` exports it). Without one the PostgreSQL
 * variants are skipped with the reason — except with CI=true, where they run and fail: CI starts a server, so a
 * missing one is a broken CI (.ci/run).
 *
 * Each `fresh()` PostgreSQL store is a new schema (`?schema=t_…`) in that database with its own artifact folder;
 * the schemas are dropped and the stores closed after the test file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, test } from 'node:test';
import { openStore, type OpenStoreOptions, type PgStoreOptions, type RunStore } from '../../lib/track/index.js';
import { tempDir } from './helpers.js';

export const PG_URL = process.env.SPLAM_PG_URL ?? '';
export const CI = process.env.CI === 'true';
const MISSING = 'no PostgreSQL server configured (SPLAM_PG_URL unset; start one with: eval "$(bash scripts/pg-start.sh)")';
/** The skip reason for PostgreSQL tests: false where a server is configured, and always in CI. */
export const PG_SKIP: string | false = PG_URL === '' && !CI ? `skipped: ${MISSING}` : false;

/** Fail (in CI) when no server is configured. */
export function requirePg(): void {
  if (PG_URL === '') assert.fail(`CI=true but ${MISSING}: the PostgreSQL store tests must run in CI`);
}

export interface FreshStore {
  store: RunStore;
  /** The location openStore was given (a folder or a postgres:// URL with its schema and artifact folder). */
  location: string;
  /** Where the run's artifact files live. */
  artifactsDir(id: string): string;
}

export interface StoreBackend {
  name: 'file' | 'postgres';
  skip: string | false;
  /** A new, empty store. */
  fresh(opts?: OpenStoreOptions & PgStoreOptions): Promise<FreshStore>;
}

const schemas: string[] = [];
const opened: RunStore[] = [];
let cleanup = false;

function registerCleanup(): void {
  if (cleanup) return;
  cleanup = true;
  after(async () => {
    for (const s of opened) await s.close().catch(() => undefined);
    if (schemas.length === 0) return;
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    } finally {
      await client.end();
    }
  });
}

/** A postgres:// URL for a fresh schema of the configured database, with its own artifact folder. */
export function freshPgUrl(extra: Record<string, string> = {}): { url: string; schema: string; artifacts: string } {
  requirePg();
  registerCleanup();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  const artifacts = tempDir('splam-pg-artifacts-');
  const u = new URL(PG_URL);
  u.searchParams.set('schema', schema);
  u.searchParams.set('artifacts', artifacts);
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return { url: u.toString(), schema, artifacts };
}

export const fileBackend: StoreBackend = {
  name: 'file',
  skip: false,
  async fresh(opts) {
    const dir = tempDir();
    const store = await openStore(dir, opts);
    return { store, location: dir, artifactsDir: (id) => path.join(dir, 'runs', id, 'artifacts') };
  },
};

export const pgBackend: StoreBackend = {
  name: 'postgres',
  skip: PG_SKIP,
  async fresh(opts) {
    const { url, artifacts } = freshPgUrl();
    registerCleanup();
    const store = await openStore(url, opts);
    opened.push(store);
    return { store, location: url, artifactsDir: (id) => path.join(artifacts, id) };
  },
};

export const BACKENDS: readonly StoreBackend[] = [fileBackend, pgBackend];

/**
 * Define one test per backend: the file store's keeps `name`, the others get ` [postgres]`; PostgreSQL's is
 * skipped (with the reason) where no server is configured, outside CI.
 */
export function eachBackend(name: string, fn: (b: StoreBackend) => Promise<void>, backends: readonly StoreBackend[] = BACKENDS): void {
  for (const b of backends) {
    test(b.name === 'file' ? name : `${name} [${b.name}]`, { skip: b.skip }, () => fn(b));
  }
}
