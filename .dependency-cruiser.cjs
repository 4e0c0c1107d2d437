/**
 * The library's layers, checked by dependency-cruiser in `npm test` (scripts/check-layers.mjs): a module may import
 * its own layer and the layers listed before it, never one after it, and no import cycle is allowed anywhere in lib/.
 * Lowest first; a folder is named by its path under lib/ (`backend` also covers lib/backend.ts).
 *
 *   errors, config           error types and config helpers every layer uses
 *   backend                  the tensor backend (tfjs + native / WebGPU kernels)
 *   track                    the run store (records the backend in provenance)
 *   data, diffusion          RNG and data sets; schedules, parameterisations, solvers, the Denoiser types
 *   analytic                 exact Gaussian-mixture teachers and their standard mixtures
 *   nn                       networks and their embeddings
 *   train                    optimiser, loop, checkpoints (network checkpoint files use track's atomic writer)
 *   metrics                  sample metrics (never the SPLAM method itself)
 *   splam                    sub-paths, SL-ODE, the objective, the update, the sampler, error analyses
 *   parallel                 chunked, worker-thread sampling
 *   viz                      figure specs and display (reads rows by shape, never experiments code)
 *   experiments              `splam run`: one folder per kind (config.ts, run.ts, index.ts; a kind never imports
 *                            another kind's run.ts or index.ts), the shared runner, sweeps and helpers beside them
 *   notebook, scale, report  what notebooks, sweeps and reports share
 *   cli, index               the `splam` command and the public API
 */
const LAYERS = [
  ['errors', 'config'],
  ['backend'],
  ['track'],
  ['data', 'diffusion'],
  ['analytic'],
  ['nn'],
  ['train'],
  ['metrics'],
  ['splam'],
  ['parallel'],
  ['viz'],
  ['experiments'],
  ['notebook', 'scale', 'report'],
  ['cli', 'index'],
];

/** The path pattern of a lib/ folder and of its same-named file (lib/backend/ and lib/backend.ts). */
const pathOf = (name) => `^lib/${name}(/|\\.ts$)`;

const layerRules = LAYERS.flatMap((layer, i) =>
  layer.map((name) => ({
    name: `layer-${name}`,
    comment: `lib/${name} is in layer ${i} of .dependency-cruiser.cjs; it may not import a later layer (a back-edge)`,
    severity: 'error',
    from: { path: pathOf(name) },
    to: { path: LAYERS.slice(i + 1).flat().map(pathOf).join('|') || '^$' },
  })),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle in lib/: one of the modules must not import the other',
      severity: 'error',
      from: { path: '^lib/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'kind-folders',
      comment:
        'an experiment kind (lib/experiments/<kind>/) may use another kind\'s config.ts or model.ts, never its run.ts or index.ts: what two kinds share lives in lib/experiments/ or a lower layer',
      severity: 'error',
      from: { path: '^lib/experiments/([^/]+)/' },
      to: { path: '^lib/experiments/[^/]+/(run|index)\\.ts$', pathNot: '^lib/experiments/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    includeOnly: '^lib/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6'],
  },
};
