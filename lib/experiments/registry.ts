/**
 * The experiment kinds `splam run` knows: the one name → kind table, at the config boundary (one entry per kind).
 * A kind validates its whole config with its schema before any work starts, then runs against a logger that is
 * a slice of the run store's `Run` (lib never reads the store).
 */
import type { ExperimentKind } from './kind.js';

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
