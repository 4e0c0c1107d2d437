/**
 * The experiment kinds `splam run` knows: the one name → kind table, at the config boundary (one entry per kind).
 * A kind validates its whole config with its schema before any work starts, then runs against a logger that is
 * a slice of the run store's `Run` (lib never reads the store).
 */
import type { ExperimentKind } from './kind.js';

/** Lazily loaded kinds (tfjs-heavy modules are imported only when a kind runs). */
export const EXPERIMENT_KINDS: Record<string, () => Promise<ExperimentKind>> = {
  'solver-comparison': async () => (await import('./solver-comparison/index.js')).solverComparisonKind,
  distill: async () => (await import('./distill/index.js')).distillKind,
  teacher: async () => (await import('./teacher/index.js')).teacherKind,
  classifier: async () => (await import('./classifier/index.js')).classifierKind,
  autoencoder: async () => (await import('./autoencoder/index.js')).autoencoderKind,
  'latent-teacher': async () => (await import('./latent-teacher/index.js')).latentTeacherKind,
  splad: async () => (await import('./splad/index.js')).spladKind,
  'image-eval': async () => (await import('./image-eval/index.js')).imageEvalKind,
};

export const EXPERIMENT_KIND_NAMES = Object.keys(EXPERIMENT_KINDS);
