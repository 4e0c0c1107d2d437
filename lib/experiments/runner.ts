/**
 * `splam run <config>`: validate the config completely, then run it as a recorded run in the store.
 * Order matters (invalid configs are rejected before any work starts): read → override → kind → schema →
 * backend → store → run.
 */
import { basename } from 'node:path';
import { initBackend, type BackendInfo } from '../backend.js';
import { parseConfig, readConfigFile } from '../config.js';
import { ArgumentError, ConfigError, StoreError } from '../errors.js';
import { checkRunId, openStore, runAs } from '../track/index.js';
import type { Params, Run } from '../track/types.js';
import { applyOverrides } from './overrides.js';
import { preflight } from './preflight.js';
import { CHECKPOINT_NAME, type ExperimentKind, type Progress } from './kind.js';
import { EXPERIMENT_KINDS, EXPERIMENT_KIND_NAMES } from './registry.js';

export interface RunFileOptions {
  /** `path=value` assignments applied before validation. */
  overrides?: readonly string[];
  /** Store folder; default SPLAM_STORE or ./store. */
  storeDir?: string;
  /** Run name; default the config's `name` or the file's base name. */
  name?: string;
  /** Extra tags beside `kind` and `config` (a sweep adds `sweep` and `sweep.point`). */
  tags?: Record<string, string>;
  onProgress?: Progress;
  /** Called once the run exists (to print its id before the work starts). */
  onStart?: (runId: string, backend: BackendInfo) => void;
}

export interface RunFileResult {
  runId: string;
  kind: string;
  summary: Record<string, number>;
  report: string;
  /** True when interrupted (SIGINT/SIGTERM) with a checkpoint: `splam resume <runId>` continues it. */
  stopped?: boolean;
}

/** Resolve and validate a config: returns the kind and the parsed config. @throws ConfigError. */
export async function validateConfig(raw: Record<string, unknown>, source: string): Promise<{ kind: ExperimentKind; config: unknown }> {
  const name = raw.kind;
  if (typeof name !== 'string' || !(name in EXPERIMENT_KINDS)) {
    throw new ConfigError(source, [{ path: 'kind', value: name, message: 'unknown experiment kind', allowed: EXPERIMENT_KIND_NAMES.join(', ') }]);
  }
  const kind = await EXPERIMENT_KINDS[name]();
  return { kind, config: parseConfig(kind.schema, raw, source) };
}

/**
 * A stop flag raised by SIGINT/SIGTERM while a run trains: the loop saves a checkpoint and returns, and the run is
 * marked failed with "interrupted" (resumable). A second signal exits at once.
 */
function interruptFlag(): { requested: () => boolean; dispose: () => void } {
  let requested = false;
  const handler = (signal: NodeJS.Signals) => {
    if (requested) process.exit(signal === 'SIGINT' ? 130 : 143);
    requested = true;
    process.stderr.write(`\n${signal}: stopping after the current step with a checkpoint (send again to exit at once)\n`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested: () => requested,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Run a kind on an open run: finish it, fail it (rethrowing), or mark it interrupted (resumable). */
async function execute(kind: ExperimentKind, config: unknown, run: Run, opts: RunFileOptions, resume?: Uint8Array): Promise<RunFileResult> {
  const stop = interruptFlag();
  try {
    return await runAs(run, async () => {
      const out = await kind.run(config, { run, progress: opts.onProgress ?? (() => {}), resume, shouldStop: stop.requested });
      if (out.stopped) {
        await run.setSummary(out.summary);
        await run.fail(new Error(`interrupted; ${out.report}`));
      } else {
        await run.finish(out.summary);
      }
      return { runId: run.id, kind: kind.kind, ...out };
    });
  } finally {
    stop.dispose();
  }
}

export async function runConfigFile(file: string, opts: RunFileOptions = {}): Promise<RunFileResult> {
  return runConfig(readConfigFile(file), file, opts);
}

/**
 * {@link runConfigFile} for a config already in memory (a sweep plan row): `source` names it in errors and is
 * recorded as the `config` tag (unless `opts.tags` sets one); the run name defaults to its base name.
 */
export async function runConfig(input: Record<string, unknown>, source: string, opts: RunFileOptions = {}): Promise<RunFileResult> {
  const file = source;
  const raw = applyOverrides(input, opts.overrides ?? []);
  const { kind, config } = await validateConfig(raw, file);
  const name = opts.name ?? (typeof raw.name === 'string' ? raw.name : basename(file).replace(/\.json$/, ''));
  preflight(kind, config, file, { name, nameFrom: opts.name !== undefined ? '--name' : 'name' }); // before the store exists
  const backend = await initBackend();
  const store = await openStore(opts.storeDir);
  try {
    const run = await store.startRun({
      experiment: kind.experimentOf(config),
      name,
      params: config as Params,
      seed: kind.seedOf(config),
      backend,
      tags: { kind: kind.kind, config: file, ...opts.tags },
    });
    opts.onStart?.(run.id, backend);
    return await execute(kind, config, run, opts);
  } finally {
    await store.close();
  }
}

/**
 * A finished run cannot be resumed: it has its summary and eval series, and resuming would evaluate it again
 * (doubling the series) and stretch its duration. Bad input, so exit 2; the record is not touched.
 */
export class NotResumableError extends ArgumentError {
  constructor(
    readonly runId: string,
    readonly status: string,
  ) {
    super('resume', 'run-id', runId, 'an interrupted, failed or crashed run');
    this.name = 'NotResumableError';
    this.message = `run ${runId} is ${status}; only interrupted, failed or crashed runs can be resumed (start a new run with splam run <config>)`;
  }
}

/**
 * Continue a run from its last checkpoint, with the config recorded in its params.
 * @throws StoreError (store_not_found, run_not_found, artifact_not_found when it never saved a checkpoint, run_active
 *   when another process holds it); ArgumentError for a malformed id; NotResumableError for a finished run (checked
 *   before anything is written); ConfigError when its recorded params no longer validate or its input files are gone.
 */
export async function resumeRunById(id: string, opts: Omit<RunFileOptions, 'overrides' | 'name'> = {}): Promise<RunFileResult> {
  checkRunId('resume', id);
  // An unknown id or store creates nothing.
  const store = await openStore(opts.storeDir, { create: false }).catch((err: unknown) => {
    if (!(err instanceof StoreError) || err.code !== 'store_not_found') throw err;
    throw new StoreError('store_not_found', `no run with id ${JSON.stringify(id)}: ${err.message}`, { runId: id, file: err.details.file });
  });
  try {
    const record = await store.getRun(id);
    if (record.status === 'finished') throw new NotResumableError(id, record.status); // before any write
    const source = `params of run ${id}`;
    const { kind, config } = await validateConfig(record.params as Record<string, unknown>, source);
    preflight(kind, config, source, { name: record.name, nameFrom: 'name' }); // its checkpoints may have moved since
    const checkpoint = await store.readArtifact(id, CHECKPOINT_NAME);
    const backend = await initBackend();
    const run = await store.resumeRun(id);
    opts.onStart?.(run.id, backend);
    return await execute(kind, config, run, opts, checkpoint);
  } finally {
    await store.close();
  }
}
