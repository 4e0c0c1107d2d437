/**
 * splam-lab's front door: what a researcher uses, in the order of the method. The package
 * export `splam-lab` (package.json "exports") points here; notebooks import it as `./lib/index.js`, because tslab
 * compiles local imports relative to the kernel's working directory (the repository root, scripts/tslab-kernel.cjs)
 * and resolves bare names the Node-10 way, which reads no "exports" field.
 *
 * Internal modules stay importable (deep paths under lib/), but this list is what the notebooks teach. Names are
 * listed, not re-exported with `*`, so two modules' helpers cannot collide here and the list is the API.
 */

// Engine.
export { initBackend, describeBackend, backendInfo, BACKEND_NAMES, type BackendName, type BackendInfo } from './backend.js';
export { ArgumentError, ShapeError, ConfigError } from './errors.js';

// Diffusion: schedules (α, σ, λ), parameterisations, PF-ODE solvers over a denoiser callable, time grids, guidance.
export { makeSchedule, alphaSigma, SCHEDULE_NAMES, type Schedule, type ScheduleSpec, type ScheduleName } from './diffusion/schedules.js';
export { epsToX0, toEps, PREDICTION_KINDS, type PredictionKind } from './diffusion/parameterisation.js';
export { ddim, dpmpp2m, euler, heun, reference, SOLVERS, SOLVER_NAMES, NFE_PER_STEP, type Solver, type SolverName, type SolveResult, type SolverOptions } from './diffusion/solvers/index.js';
export { timeGrid, SPACINGS, type Spacing } from './diffusion/grids.js';
export { guided, NULL_LABEL, type ClassCond, type GuidanceConvention } from './diffusion/guidance.js';
export type { Denoiser, GammaEpsModel } from './diffusion/types.js';

// Exact teachers: Gaussian mixtures (score, denoiser, ε*), class-conditional mixtures with CFG, closed-form flow maps.
export {
  makeMixture,
  mixtureDenoiser,
  sampleMixture,
  sampleMixtureArray,
  score,
  denoise,
  epsStar,
  logDensity,
  type Mixture,
  type MixtureSpec,
} from './analytic/mixture.js';
export { makeConditionalMixture, conditionalDenoiser, type ConditionalMixture, type ConditionalMixtureSpec } from './analytic/conditional.js';
export { gaussianFlowMap } from './analytic/flow-maps.js';
export { ringMixture, randomMixture } from './analytic/mixtures.js';

// SPLAM: sub-path grid, SL-ODE and σ_γ, boundary scalings, the objective (LCM is γ ≡ 1), one update, the sampler,
// and per-sub-path / cumulative trajectory error.
export { solverGrid, subPaths, boundaries, splitTrajectory, type SolverGrid, type SubPath } from './splam/grid.js';
export { subPathCoefs, slOdePoint, sigmaGamma, distDelta, SIGMA_GAMMA_FORMS, type SigmaGammaForm } from './splam/sl-ode.js';
export { sampleGamma, LCM_GAMMA, isLcm, type GammaDistribution } from './splam/gamma.js';
export { cSkip, cOut, SIGMA_DATA } from './splam/boundary.js';
export { consistencyFromEps, studentMap, studentView } from './splam/consistency.js';
export { prepareSplamBatch, studentLoss, studentPrediction, disposeBatch, type SplamObjective, type SplamBatch } from './splam/objective.js';
export { splamUpdate, splamDiagnostics, type SplamUpdateArgs } from './splam/update.js';
export { lcmSample, lcmTimesteps, type LcmSampleOptions } from './splam/sampler.js';
export {
  denoiserJump,
  consistencyJump,
  exactTrajectory,
  referenceFlow,
  trajectoryErrors,
  gammaErrors,
  type TrajectoryErrorReport,
  type SubPathError,
} from './splam/trajectory-error.js';
export { perSampleRms, stat, type ErrorStat } from './metrics/per-sample.js';

// Models: networks, embeddings, EMA, and the adapters that make a network a denoiser callable.
export { makeMlp, DEFAULT_MLP, type Mlp, type MlpConfig } from './nn/mlp.js';
export { makeUnet, DEFAULT_UNET, type Unet, type UnetConfig } from './nn/unet.js';
export { makeAutoencoder, type Autoencoder } from './nn/autoencoder.js';
export { makeClassifier, type Classifier } from './nn/classifier.js';
export { sinusoidal, timeEmbedding, gammaEmbedding, wEmbedding } from './nn/embeddings.js';
export { emaUpdate, DEFAULT_EMA_MU } from './nn/ema.js';
export { netDenoiser, netGammaModel } from './nn/eps-net.js';

// Data and seeds.
export { makeRng, type Rng } from './data/rng.js';
export { loadFashionMnist, FASHION_MNIST_CLASSES } from './data/fashion-mnist.js';

// Metrics.
export { evaluateSamples, sameNoiseError, slicedWasserstein2, mmd, modeCoverage, meanLogDensity, fid, precisionRecall, type SampleMetrics } from './metrics/index.js';

// Experiments: configs run as recorded runs, and what their runs leave behind.
export { runConfigFile, type RunFileResult } from './experiments/runner.js';
export { loadDistillRun, type LoadedDistillRun } from './experiments/load-run.js';
export { analyzeSubPaths, type SubPathAnalysis } from './experiments/subpath-analysis.js';
export { mixtureFromConfig, scheduleFromConfig } from './experiments/mixture-config.js';
export { loadAutoencoder, readModelFile } from './experiments/model-files.js';
export type { DistillEval } from './experiments/distill/run.js';
export type { ImageEvalResult } from './experiments/image-eval/run.js';
export type { SolverComparisonResult } from './experiments/solver-comparison/run.js';

// The run store.
export { openStore, defaultStoreDir, withRun, flattenParams, compareMetric, parseFilter } from './track/index.js';
export type { RunStore, RunRecord } from './track/types.js';
export { writeRunReport } from './report/build.js';

// Figures (pure plotly JSON) and notebook helpers.
export {
  trajectoryFigure,
  subPathErrorFigure,
  gammaErrorFigure,
  qualityVsStepsFigure,
  qualityRowsFromEval,
  qualityRowsFromSolverComparison,
  trainingCurvesFigure,
  curveFromSeries,
  comparisonFigure,
  parallelCoordinatesFigure,
  samplesFigure,
  imageGridPng,
  figureSummary,
  PALETTE,
  type Figure,
  type QualityRow,
} from './viz/index.js';
export { renderFigurePng, FigureRenderer } from './viz/png.js';
export {
  show,
  showPng,
  showMarkdown,
  showTable,
  markdownTable,
  setFigurePng,
  isQuick,
  pick,
  runExperiment,
  store,
  readJsonArtifact,
  empiricalOrder,
} from './notebook/index.js';
export { readSubPathStudy } from './notebook/analysis-config.js';
export { notebookSweep, type NotebookSweepResult } from './notebook/sweep.js';
