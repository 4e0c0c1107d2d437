/**
 * What an experiment kind is (the contract `splam run` holds each kind to) and what it may do with its run: the
 * types every kind module imports. The table of kinds is lib/experiments/registry.ts, which imports the kinds
 * lazily; kinds import this file, never the registry, so the two never form a cycle.
 */
import type { z } from 'zod';
import type { Run } from '../track/types.js';

/** The checkpoint artifact every training kind writes (and `splam resume` reads). */
export const CHECKPOINT_NAME = 'checkpoint.bin';

export type Progress = (e: { done: number; total: number; label: string }) => void;

/** What a runner may do with its run. */
export type RunLogger = Pick<Run, 'id' | 'record' | 'logMetric' | 'logMetrics' | 'logArtifact' | 'setSummary' | 'flush'>;

export interface ExperimentContext {
  run: RunLogger;
  progress: Progress;
  /** The checkpoint to continue from (`splam resume`), as written by this kind. */
  resume?: Uint8Array;
  /** Asked between training steps: stop early with a checkpoint (set on SIGINT). */
  shouldStop?: () => boolean;
}

export interface KindResult {
  summary: Record<string, number>;
  report: string;
  /** True when the run stopped early on request (SIGINT) after saving a checkpoint. */
  stopped?: boolean;
}

export interface ExperimentKind<S extends z.ZodType = z.ZodType> {
  kind: string;
  description: string;
  schema: S;
  /** Experiment name for the store (from the validated config). */
  experimentOf(config: z.output<S>): string;
  /** Seed recorded in provenance. */
  seedOf(config: z.output<S>): number;
  /**
   * The files the config reads, checked before the run starts (default: found by name, see preflight.ts
   * `inputFilesOf`). A kind overrides this when its input paths do not follow those names.
   */
  inputFiles?(config: z.output<S>): { field: string; file: string }[];
  /** Run it; the returned text is printed by the CLI. */
  run(config: z.output<S>, ctx: ExperimentContext): Promise<KindResult>;
}

/**
 * A kind without training, typed by its own schema where it is written (training kinds: training-kind.ts
 * `defineTrainingKind`). The registry holds every kind as `ExperimentKind`; that is sound because `splam run`
 * (lib/experiments/runner.ts) validates a config with the kind's own `schema` before it calls `experimentOf`,
 * `seedOf`, `inputFiles` or `run` with it, so each function only ever sees its schema's output.
 */
export function defineKind<S extends z.ZodType>(kind: ExperimentKind<S>): ExperimentKind<S> {
  return kind;
}
