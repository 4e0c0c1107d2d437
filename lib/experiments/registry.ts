/**
 * The experiment kinds `splam run` knows: the one name → runner table, at the config boundary (STYLE.md §2).
 * A kind validates its whole config with its schema before any work starts, then runs against a logger that is
 * a slice of the run store's `Run` (lib never reads the store).
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

/** Lazily loaded kinds (tfjs-heavy modules are imported only when a kind runs). */
export const EXPERIMENT_KINDS: Record<string, () => Promise<ExperimentKind>> = {
  'solver-comparison': async () => (await import('./solver-comparison-kind.js')).solverComparisonKind as unknown as ExperimentKind,
  distill: async () => (await import('./distill-kind.js')).distillKind as unknown as ExperimentKind,
  teacher: async () => (await import('./teacher-kind.js')).teacherKind as unknown as ExperimentKind,
  classifier: async () => (await import('./classifier-kind.js')).classifierKind as unknown as ExperimentKind,
  autoencoder: async () => (await import('./autoencoder-kind.js')).autoencoderKind as unknown as ExperimentKind,
  'latent-teacher': async () => (await import('./latent-teacher-kind.js')).latentTeacherKind as unknown as ExperimentKind,
  splad: async () => (await import('./splad-kind.js')).spladKind as unknown as ExperimentKind,
  'image-eval': async () => (await import('./image-eval-kind.js')).imageEvalKind as unknown as ExperimentKind,
};

export const EXPERIMENT_KIND_NAMES = Object.keys(EXPERIMENT_KINDS);
