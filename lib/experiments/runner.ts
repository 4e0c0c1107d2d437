/**
 * `splam run <config>`: validate the config completely, then run it as a recorded run in the store.
 * Order matters (issue: invalid configs are rejected before any work starts): read → override → kind → schema →
 * backend → store → run.
 */
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { initBackend, type BackendInfo } from '../backend.js';
import { parseConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { openStore, withRun } from '../track/index.js';
import type { Params } from '../track/types.js';
import { applyOverrides } from './overrides.js';
import { EXPERIMENT_KINDS, EXPERIMENT_KIND_NAMES, type ExperimentKind, type Progress } from './registry.js';

export interface RunFileOptions {
  /** `path=value` assignments applied before validation. */
  overrides?: readonly string[];
  /** Store folder; default SPLAM_STORE or ./store. */
  storeDir?: string;
  /** Run name; default the config's `name` or the file's base name. */
  name?: string;
  onProgress?: Progress;
  /** Called once the run exists (to print its id before the work starts). */
  onStart?: (runId: string, backend: BackendInfo) => void;
}

export interface RunFileResult {
  runId: string;
  kind: string;
  summary: Record<string, number>;
  report: string;
}

/** Read a JSON config file. @throws ConfigError for unreadable files and bad JSON. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', value: file, message: `cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  try {
    const data = JSON.parse(text) as unknown;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('the top level must be an object');
    return data as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(file, [{ path: '', value: text.slice(0, 40), message: `not a JSON object: ${(err as Error).message}` }]);
  }
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

export async function runConfigFile(file: string, opts: RunFileOptions = {}): Promise<RunFileResult> {
  const raw = applyOverrides(readConfigFile(file), opts.overrides ?? []);
  const { kind, config } = await validateConfig(raw, file);
  const backend = await initBackend();
  const store = await openStore(opts.storeDir);
  try {
    const name = opts.name ?? (typeof raw.name === 'string' ? raw.name : basename(file).replace(/\.json$/, ''));
    return await withRun(
      store,
      {
        experiment: kind.experimentOf(config),
        name,
        params: config as Params,
        seed: kind.seedOf(config),
        backend,
        tags: { kind: kind.kind, config: file },
      },
      async (run) => {
        opts.onStart?.(run.id, backend);
        const out = await kind.run(config, { run, progress: opts.onProgress ?? (() => {}) });
        await run.finish(out.summary);
        return { runId: run.id, kind: kind.kind, ...out };
      },
    );
  } finally {
    await store.close();
  }
}
