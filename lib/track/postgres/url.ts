/**
 * Where a PostgreSQL run store lives: a `postgres://` (or `postgresql://`) URL. The URL is node-postgres's
 * connection string plus the store's own query parameters, which are removed before connecting:
 *
 *   postgres://user[:password]@host[:port]/database?artifacts=/shared/artifacts&schema=splam
 *
 *   artifacts           folder of the artifact files (a shared filesystem when several hosts write); default
 *                       $SPLAM_ARTIFACTS, else ./store-artifacts (relative paths resolve against the working folder)
 *   schema              PostgreSQL schema holding the tables (default public); created when missing
 *   heartbeatTimeoutMs  a running run whose heartbeat is older reads as crashed (default 60000)
 *   heartbeatMs         how often a live run beats (default 5000)
 *   host                the host name this process records for its runs (default os.hostname(); tests use it to
 *                       stand for another host)
 * Other parameters (sslmode, application_name, …) go to node-postgres unchanged.
 */
import path from 'node:path';
import { ArgumentError } from '../../errors.js';

export const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

/** Whether a store location names a PostgreSQL store rather than a folder. */
export function isPostgresUrl(location: unknown): location is string {
  return typeof location === 'string' && POSTGRES_URL.test(location);
}

export interface PgLocation {
  /** What node-postgres connects with (the store's own parameters removed). */
  connectionString: string;
  /** The URL without its password: the store's `location`, safe to print. */
  display: string;
  database: string;
  schema: string;
  artifacts: string;
  heartbeatTimeoutMs?: number;
  heartbeatMs?: number;
  host?: string;
}

const OWN_PARAMS = ['artifacts', 'schema', 'heartbeatTimeoutMs', 'heartbeatMs', 'host'] as const;
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

function positive(url: string, key: string, v: string | null): number | undefined {
  if (v === null) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !(n >= 1)) throw new ArgumentError('openStore', key, v, `an integer ≥ 1 (in ${url})`);
  return n;
}

/**
 * Parse a store URL. `env` and `cwd` give the artifact folder's default ($SPLAM_ARTIFACTS, ./store-artifacts).
 * @throws ArgumentError for a malformed URL or a bad store parameter
 */
export function parsePgLocation(url: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): PgLocation {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ArgumentError('openStore', 'store', redact(url), 'a URL postgres://user@host:port/database[?artifacts=/path]');
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) throw new ArgumentError('openStore', 'store', redact(url), 'a URL naming a database: postgres://user@host:port/database');
  const q = u.searchParams;
  const schema = q.get('schema') ?? 'public';
  if (!SCHEMA_PATTERN.test(schema)) throw new ArgumentError('openStore', 'schema', schema, `a schema name matching ${SCHEMA_PATTERN}`);
  const fromEnv = env.SPLAM_ARTIFACTS;
  const artifacts = path.resolve(cwd, q.get('artifacts') ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'store-artifacts'));
  const host = q.get('host') ?? undefined;
  if (host !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(host)) throw new ArgumentError('openStore', 'host', host, 'a host name');
  const loc: PgLocation = {
    connectionString: '',
    display: '',
    database,
    schema,
    artifacts,
    heartbeatTimeoutMs: positive(url, 'heartbeatTimeoutMs', q.get('heartbeatTimeoutMs')),
    heartbeatMs: positive(url, 'heartbeatMs', q.get('heartbeatMs')),
    host,
  };
  for (const k of OWN_PARAMS) q.delete(k);
  loc.connectionString = u.toString();
  // The display form keeps the store's parameters (it can be opened again) but never the password.
  const shown = new URL(url);
  if (shown.password !== '') shown.password = '***';
  loc.display = shown.toString();
  return loc;
}

/** A URL with its password masked, for messages. */
export function redact(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

/**
 * The URL with its artifact folder made explicit and absolute (`?artifacts=/abs/path`), so that every process that
 * opens it — a Slurm task on another node, a worker started elsewhere — finds the same folder whatever its working
 * folder or $SPLAM_ARTIFACTS. The password, if any, is kept (the URL must still connect).
 * @throws ArgumentError as {@link parsePgLocation}
 */
export function canonicalPgUrl(url: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const loc = parsePgLocation(url, env, cwd);
  const u = new URL(url);
  u.searchParams.set('artifacts', loc.artifacts);
  return u.toString();
}
