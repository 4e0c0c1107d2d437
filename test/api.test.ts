/**
 * The public API (lib/index.ts, package export `splam-lab`): the names a researcher uses are there, the package
 * name resolves to the same module, and the notebooks import the library only through it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as api from 'splam-lab';
import * as local from '../lib/index.js';
import { listNotebooks } from '../lib/notebook/jupyter.js';

/** What a notebook may import besides the front door: the tensor library and Node's built-ins. */
export const NOTEBOOK_IMPORTS_ALLOWED = [/^\.\/lib\/index\.js$/, /^@tensorflow\/tfjs$/, /^node:[a-z_/]+$/];

const PUBLIC = {
  engine: ['initBackend', 'describeBackend'],
  schedules: ['makeSchedule', 'alphaSigma'],
  solvers: ['ddim', 'euler', 'heun', 'dpmpp2m', 'reference', 'SOLVERS', 'timeGrid'],
  teachers: ['makeMixture', 'mixtureDenoiser', 'sampleMixture', 'sampleMixtureArray', 'epsStar', 'score', 'makeConditionalMixture', 'conditionalDenoiser', 'gaussianFlowMap', 'guided', 'ringMixture'],
  subPaths: ['solverGrid', 'subPaths', 'boundaries', 'subPathCoefs', 'slOdePoint', 'sigmaGamma', 'distDelta', 'sampleGamma'],
  objective: ['consistencyFromEps', 'studentMap', 'prepareSplamBatch', 'studentLoss', 'splamUpdate', 'cSkip', 'cOut'],
  sampler: ['lcmSample', 'lcmTimesteps'],
  errors: ['trajectoryErrors', 'exactTrajectory', 'referenceFlow', 'denoiserJump', 'gammaErrors', 'perSampleRms', 'stat'],
  models: ['makeMlp', 'makeUnet', 'makeAutoencoder', 'makeClassifier', 'emaUpdate', 'timeEmbedding', 'gammaEmbedding', 'netDenoiser'],
  metrics: ['evaluateSamples', 'sameNoiseError', 'slicedWasserstein2', 'mmd', 'modeCoverage', 'fid'],
  store: ['openStore', 'withRun', 'flattenParams', 'defaultStoreDir'],
  experiments: ['runConfigFile', 'loadDistillRun', 'analyzeSubPaths'],
  figures: ['trajectoryFigure', 'subPathErrorFigure', 'gammaErrorFigure', 'qualityVsStepsFigure', 'trainingCurvesFigure', 'samplesFigure', 'imageGridPng', 'renderFigurePng'],
  notebook: ['show', 'showMarkdown', 'showTable', 'showPng', 'setFigurePng', 'isQuick', 'pick', 'runExperiment', 'store'],
} as const;

test('lib/index.ts exports what a researcher uses, by group, and `splam-lab` resolves to it', () => {
  for (const [group, names] of Object.entries(PUBLIC)) {
    for (const n of names) assert.ok((api as Record<string, unknown>)[n] !== undefined, `${group}: ${n}`);
  }
  assert.equal(api.show, local.show, 'the package export is lib/index.ts');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, string> };
  assert.equal(pkg.exports['.'], './lib/index.ts');
});

test('the notebooks import the library only through lib/index.ts, in one statement', () => {
  for (const f of listNotebooks()) {
    const nb = JSON.parse(readFileSync(f, 'utf8')) as { cells: { cell_type: string; source: string | string[] }[] };
    const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n');
    const specifiers = [...code.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)|^\s*import\s+'([^']+)'/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
    for (const s of specifiers) assert.ok(NOTEBOOK_IMPORTS_ALLOWED.some((re) => re.test(s)), `${basename(f)} imports '${s}': use ./lib/index.js (or add the name there)`);
    assert.ok(specifiers.filter((s) => s === './lib/index.js').length <= 1, `${basename(f)}: one import statement from ./lib/index.js`);
    // Every name a notebook imports is exported (values at run time; types by name in lib/index.ts).
    const source = readFileSync(new URL('../lib/index.ts', import.meta.url), 'utf8');
    for (const m of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*'\.\/lib\/index\.js'/g)) {
      for (const raw of m[1].split(',').map((n) => n.trim()).filter(Boolean)) {
        const isType = raw.startsWith('type ');
        const name = raw.replace(/^type\s+/, '');
        if (isType) assert.match(source, new RegExp(`\\b${name}\\b`), `${basename(f)}: type ${name} exported`);
        else assert.ok((api as Record<string, unknown>)[name] !== undefined, `${basename(f)}: ${name} exported`);
      }
    }
  }
});
