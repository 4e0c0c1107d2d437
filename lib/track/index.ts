/**
 * lib/track: the run store (issue 3). Open a store, run functions as runs, query and compare them.
 * Layout and guarantees: store/README.md.
 */
export * from './types.js';
export { openStore, doctorStore, withRun, runAs, defaultStoreDir, FileRunStore, STORE_FORMAT, STORE_VERSION, type OpenStoreOptions } from './store.js';
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
