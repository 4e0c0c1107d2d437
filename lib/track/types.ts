/**
 * The run store's data model and its backend-neutral interfaces.
 *
 * Experiment → run. A run has params (the validated config, any JSON), tags (mutable strings), summary metrics
 * (one number per key), metric series of (key, step, value, time) points, artifacts (files) and provenance.
 * The model follows MLflow's split: metadata in a small index, series append-only
 * per run, artifacts as files. {@link RunStore} and {@link Run} are what callers see; the lowdb/JSONL file store
 * (`store.ts`) is one implementation, and a SQL or server backend can be another without changing callers.
 */
import type { BackendInfo } from '../backend.js';

/** Run life cycle. `crashed` is derived on read for a `running` run whose process is gone (see `status.ts`). */
export const RUN_STATUSES = ['running', 'finished', 'failed', 'crashed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Any JSON value: what params may hold (a validated config is one). Non-finite numbers are not JSON. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Params = { [key: string]: JsonValue };

/** Kinds of artifacts. `png` must carry a PNG signature; `figure` is a plotly figure spec (JSON). */
export const ARTIFACT_KINDS = ['png', 'figure', 'checkpoint', 'json', 'text', 'file'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** One stored artifact, recorded in the run's record; the bytes live under `runs/<id>/artifacts/<name>`. */
export interface ArtifactInfo {
  /** Relative path inside the run's artifact folder (`samples/step-100.png`). */
  name: string;
  kind: ArtifactKind;
  bytes: number;
  /** Hex SHA-256 of the bytes, to spot a changed or truncated file. */
  sha256: string;
  /** Epoch ms. */
  createdAt: number;
}

/** Where and with what a run ran. Collected by `collectProvenance` (provenance.ts). */
export interface Provenance {
  /** `git rev-parse HEAD`, or null outside a git checkout (or without git). */
  gitCommit: string | null;
  /** Whether `git status --porcelain` listed anything (untracked files included); null when unknown. */
  gitDirty: boolean | null;
  gitBranch: string | null;
  /** `process.version`. */
  node: string;
  /** Versions of the packages that shape results: splam-lab itself, @tensorflow/tfjs, its wasm backend, lowdb. */
  packages: Record<string, string>;
  /** The tensor backend in use, as `initBackend()` reported it; null when the run did no tensor work. */
  backend: BackendInfo | null;
  host: string;
  platform: string;
  arch: string;
  cpus: number;
  /** The run's seed; null when none was given. */
  seed: number | null;
  /** The command line of the process that started the run. */
  argv: string[];
  cwd: string;
}

/** What a failed run recorded about its error. */
export interface RunError {
  name: string;
  message: string;
  stack: string | null;
}

/** Why a run shows as crashed: its process is gone (same host), or its heartbeat is older than the timeout. */
export type CrashReason = 'process_gone' | 'heartbeat_timeout';

/** A run's metadata record: what `run.json` holds and the index mirrors. Times are epoch milliseconds. */
export interface RunRecord {
  id: string;
  name: string;
  experiment: string;
  status: RunStatus;
  createdAt: number;
  endedAt: number | null;
  /** Last heartbeat known to the record (the live heartbeat is the mtime of `runs/<id>/heartbeat`). */
  heartbeatAt: number;
  /** The process that runs it (updated on resume) and its host. */
  pid: number;
  /** Start time of that process (Linux `/proc/<pid>/stat` field 22), to tell a reused pid apart; null elsewhere. */
  pidStart: string | null;
  host: string;
  params: Params;
  tags: Record<string, string>;
  /** Summary metrics: the latest value of each logged series, overlaid by explicit `setSummary`/`finish` values. */
  summary: Record<string, number>;
  artifacts: ArtifactInfo[];
  provenance: Provenance;
  /** Set when status is `failed`. */
  error: RunError | null;
  /** Epoch ms of each resume. */
  resumedAt: number[];
  /** Only on records returned by reads, when status was derived as `crashed`. Never stored by a live run. */
  crashReason?: CrashReason;
}

/** One metric point. `time` is epoch ms. */
export interface MetricPoint {
  key: string;
  step: number;
  value: number;
  time: number;
}

/** One metric's series, columnar (ready for plotting), sorted by step (stable for equal steps). */
export interface MetricSeries {
  key: string;
  step: number[];
  value: number[];
  time: number[];
}

/** What to select. All given conditions must hold. */
export interface RunQuery {
  experiment?: string | readonly string[];
  status?: RunStatus | readonly RunStatus[];
  /** Each tag must be present with exactly this value. */
  tags?: Record<string, string>;
  /** MLflow-style filter string: `params.k = 20 and metrics.fid < 10` (see filter.ts for the grammar). */
  filter?: string;
  /** A typed predicate over the record (status already derived). */
  where?: (run: RunRecord) => boolean;
  /** `"metrics.fid ASC"`, `["attributes.created DESC"]`; default newest first. Missing values sort last. */
  orderBy?: string | readonly string[];
  limit?: number;
  offset?: number;
}

/** Options of {@link RunStore.startRun}. */
export interface StartRunOptions {
  experiment?: string;
  name?: string;
  /** A caller-chosen id (must match the id pattern and be unused); default: a fresh sortable id. */
  id?: string;
  params?: Params;
  tags?: Record<string, string | number | boolean>;
  seed?: number;
  /** The backend in use, recorded in provenance. */
  backend?: BackendInfo | null;
  /** Overrides of collected provenance fields (tests, or a runner that already knows them). */
  provenance?: Partial<Provenance>;
}

/** Several runs on one metric, aligned by step: `values[r][i]` is run r's value at `steps[i]` (null: none). */
export interface MetricComparison {
  key: string;
  runs: { id: string; name: string; experiment: string; status: RunStatus }[];
  steps: number[];
  values: (number | null)[][];
  /** Params (flattened to dotted keys) whose values differ between the runs: key → one value per run. */
  paramsDiff: Record<string, (JsonValue | undefined)[]>;
}

/** Options of {@link RunStore.exportRuns}. */
export interface ExportOptions {
  format: 'csv' | 'json';
  /** Include metric series: JSON gets a `series` field per run; CSV becomes long format (run_id,key,step,value,time). */
  series?: boolean;
}

/** One finding of `doctor`. */
export interface DoctorIssue {
  code:
    | 'corrupt_index'
    | 'missing_index'
    | 'missing_from_index'
    | 'orphan_index_entry'
    | 'stale_index_entry'
    | 'bad_run_record'
    | 'foreign_entry'
    | 'torn_metrics'
    | 'bad_metric_lines'
    | 'stale_running'
    | 'stray_temp'
    | 'trash'
    /** A run folder with nothing but a heartbeat (and empty files): a start killed before its run.json. Removed. */
    | 'aborted_start'
    /** A run folder with data but no readable run.json and no index copy to restore from. Moved to quarantine/. */
    | 'orphan_run_folder';
  message: string;
  runId?: string;
  file?: string;
}

export interface DoctorReport {
  store: string;
  /** Runs found on disk (folders with a readable run.json). */
  runs: number;
  index: 'ok' | 'corrupt' | 'missing';
  issues: DoctorIssue[];
  /** Whether repairs were made (the index rebuilt, crashed runs persisted, temp files removed). */
  repaired: boolean;
  /** What the repair did, one line each (empty without `repair` or when nothing needed doing). */
  actions: string[];
  /** Where a corrupt index was moved before rebuilding (never deleted). */
  backup: string | null;
}

/**
 * A whole ended run, as one store reads it and another writes it ({@link RunStore.importRun}; lib/track/transfer.ts):
 * the record (times, host, pid and status kept), every metric point and every artifact's bytes.
 */
export interface RunCopy {
  record: RunRecord;
  series: MetricSeries[];
  artifacts: { name: string; bytes: Uint8Array }[];
}

/** Summary of one experiment, derived from its runs. */
export interface ExperimentInfo {
  name: string;
  runs: number;
  byStatus: Record<RunStatus, number>;
  lastCreatedAt: number;
}

/**
 * A live run. Metric logging is synchronous and buffered (no I/O per point); everything else is async and
 * persisted before it resolves.
 */
export interface Run {
  readonly id: string;
  /** A copy of the record as this handle last wrote it. */
  record(): RunRecord;
  /** Merge params (top-level keys; later values win). */
  logParams(params: Params): Promise<void>;
  /** Buffer one point; `step` defaults to this key's last step + 1 (0 first). */
  logMetric(key: string, value: number, step?: number): void;
  /** Buffer several keys at one step (each key's own next step when omitted). */
  logMetrics(values: Record<string, number>, step?: number): void;
  setTags(tags: Record<string, string | number | boolean>): Promise<void>;
  /** Merge explicit summary values; also refreshes the summary from the latest logged values. */
  setSummary(values?: Record<string, number>): Promise<void>;
  /** Store bytes (PNG, checkpoint), text or a JSON value (figure spec) as `artifacts/<name>`. */
  logArtifact(name: string, data: Uint8Array | string | JsonValue, opts: { kind: ArtifactKind }): Promise<ArtifactInfo>;
  /** Write all buffered points to the series file now. */
  flush(): Promise<void>;
  /** Flush, mark finished (merging `summary`) and stop the heartbeat. */
  finish(summary?: Record<string, number>): Promise<RunRecord>;
  /** Flush, mark failed with the error's message and stack, and stop the heartbeat. */
  fail(error: unknown): Promise<RunRecord>;
}

/**
 * A run store. Every method validates run ids before touching storage; unknown ids fail with
 * `StoreError` code `run_not_found`.
 */
export interface RunStore {
  /** The store's location (a folder for the file store). */
  readonly location: string;
  startRun(opts?: StartRunOptions): Promise<Run>;
  /** Reopen a run that is not live (finished, failed, crashed): status back to running, this process as owner. */
  resumeRun(id: string): Promise<Run>;
  getRun(id: string): Promise<RunRecord>;
  listRuns(query?: RunQuery): Promise<RunRecord[]>;
  listExperiments(): Promise<ExperimentInfo[]>;
  /** Metric series of one run: all keys, or the given ones. */
  readMetrics(id: string, keys?: readonly string[]): Promise<MetricSeries[]>;
  readArtifact(id: string, name: string): Promise<Uint8Array>;
  /** Refuses a live run unless `force`. */
  deleteRun(id: string, opts?: { force?: boolean }): Promise<void>;
  compare(ids: readonly string[], key: string): Promise<MetricComparison>;
  exportRuns(query: RunQuery, opts: ExportOptions): Promise<string>;
  /**
   * Check the store; with `repair`, rebuild the index from the per-run files and persist crashed runs; with
   * `deep`, parse every metric line.
   */
  doctor(opts?: { repair?: boolean; deep?: boolean }): Promise<DoctorReport>;
  /**
   * Write a whole ended run read from another store (`splam runs export --format store`, `runs import`), its id
   * and record unchanged; all of it or nothing.
   * @throws StoreError `run_exists` when the id is taken; ArgumentError for a running record or a bad artifact name
   */
  importRun(copy: RunCopy): Promise<void>;
  /** Flush and detach from open runs' exit hooks (runs stay running); further writes fail. */
  close(): Promise<void>;
}
