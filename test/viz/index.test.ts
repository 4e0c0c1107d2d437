import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as viz from '../../lib/viz/index.js';

test('the index re-exports every builder and display helper, and loads without tslab or tensors', () => {
  for (const name of [
    'trajectoryFigure',
    'subPathErrorFigure',
    'gammaErrorFigure',
    'qualityVsStepsFigure',
    'qualityRowsFromEval',
    'qualityRowsFromSolverComparison',
    'trainingCurvesFigure',
    'curveFromSeries',
    'comparisonFigure',
    'parallelCoordinatesFigure',
    'plotlyMimeBundle',
    'displayFigure',
    'figureSummary',
  ] as const) {
    assert.equal(typeof viz[name], 'function', name);
  }
  assert.equal(viz.PLOTLY_MIME, 'application/vnd.plotly.v1+json');
  // tfjs registers its engine on the global object when loaded; lib/viz imports only types from tensor modules.
  assert.equal((globalThis as { _tfengine?: unknown })._tfengine, undefined, 'tfjs was loaded');
});
