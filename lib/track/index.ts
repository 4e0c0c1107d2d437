/**
 * lib/track: the run store. Open a store, run functions as runs, query and compare them.
 * Layout and guarantees: store/README.md.
 */
export * from './types.js';
export { withRun, runAs, FileRunStore, STORE_FORMAT, STORE_VERSION, type OpenStoreOptions } from './store.js';
export { isPostgresUrl, canonicalPgUrl, redact as redactStoreUrl } from './postgres/url.js';
export { canonicalStore, storeFolder } from './location.js';
export { canonicalJson, copyDifference, copyRuns, planCopy, readRunCopy, type CopyPlan, type CopyReport } from './transfer.js';
export type { PgStoreOptions } from './postgres/store.js';
export { collectProvenance, packageVersions, type ProvenanceOptions } from './provenance.js';
export { FilterError, parseFilter, parseOrderBy, compileFilter, evaluate, likeMatch, type FilterExpr } from './filter.js';
export { compileQuery, DEFAULT_ORDER } from './query.js';
export { compareMetric, paramsDiff, flattenParams, runsToCsv, runsToJson, seriesToCsv, csvCell } from './compare.js';
export { DEFAULT_FLUSH, type FlushPolicy } from './metrics-log.js';
export { DEFAULT_HEARTBEAT_MS, DEFAULT_HEARTBEAT_TIMEOUT_MS, deriveStatus } from './status.js';
export { RUN_ID_PATTERN, newRunId, checkRunId, checkArtifactName } from './paths.js';
export { toRunError } from './run.js';
export { needsRepair, REPAIRABLE } from './doctor.js';
export { isName, isRunName, NAME_ALLOWED, RUN_NAME_ALLOWED } from './validate.js';

// ------------------------------------------------------------------ backends
// A store location is a folder (the embedded lowdb/JSONL file store, the default) or a postgres:// URL (the
// PostgreSQL store, lib/track/postgres/, loaded only when asked for). Same RunStore interface either way.
import { defaultStoreDir as defaultFileStoreDir, doctorStore as doctorFileStore, openStore as openFileStore, type OpenStoreOptions } from './store.js';
import { isPostgresUrl } from './postgres/url.js';
import type { PgStoreOptions } from './postgres/store.js';
import type { DoctorReport, RunStore } from './types.js';

/**
 * The default store: `$SPLAM_STORE` — a folder (resolved against `cwd`) or a `postgres://` URL (returned as it
 * is) — else `./store`.
 */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return isPostgresUrl(env.SPLAM_STORE) ? env.SPLAM_STORE : defaultFileStoreDir(env, cwd);
}

/**
 * Open (by default: create) the run store at `location` (default {@link defaultStoreDir}): a folder, or a
 * `postgres://` URL (store/README.md, "PostgreSQL").
 */
export async function openStore(location?: string, opts: OpenStoreOptions & PgStoreOptions = {}): Promise<RunStore> {
  const where = location ?? defaultStoreDir();
  if (isPostgresUrl(where)) return (await import('./postgres/store.js')).openPostgresStore(where, opts);
  return openFileStore(where, opts);
}

/** Check (and with `repair`, fix) the store at `location`, a folder or a `postgres://` URL. */
export async function doctorStore(location?: string, opts: { repair?: boolean; deep?: boolean; heartbeatTimeoutMs?: number } = {}): Promise<DoctorReport> {
  const where = location ?? defaultStoreDir();
  if (isPostgresUrl(where)) return (await import('./postgres/store.js')).doctorPostgresStore(where, opts);
  return doctorFileStore(where, opts);
}
