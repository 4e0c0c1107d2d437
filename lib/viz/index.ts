/**
 * Plotly figure builders: pure functions from the library's result types (host arrays, never tensors, never the
 * run store) to plain JSON figures, plus notebook display helpers.
 */
export type * from './types.js';
export { trajectoryFigure, type SlOdeSegments, type TrajectoryFigureInput } from './trajectories.js';
export { gammaErrorFigure, subPathErrorFigure, type GammaErrorFigureOptions, type SubPathErrorFigureOptions } from './subpath-error.js';
export {
  qualityRowsFromEval,
  qualityRowsFromSolverComparison,
  qualityVsStepsFigure,
  type QualityOptions,
  type QualityRow,
} from './quality.js';
export { comparisonFigure, curveFromSeries, trainingCurvesFigure, type Curve, type TrainingCurvesOptions } from './training.js';
export { parallelCoordinatesFigure, type ParallelCoordinatesOptions } from './parcoords.js';
export {
  displayBundle,
  displayFigure,
  figureBundle,
  figureSummary,
  findDisplayWriter,
  plotlyMimeBundle,
  PLOTLY_MIME,
  PNG_MIME,
  TEXT_MIME,
  type DisplayOptions,
  type DisplayWriter,
  type FigureBundle,
} from './display.js';
export { samplesFigure, type SampleSet } from './samples.js';
export { imageGridPixels, imageGridPng, type ImageGridOptions } from './image-grid.js';
export { PALETTE } from './style.js';
