/**
 * A training kind from five parts — `schema`, `setup`, `step`, `state`, `evaluate` — and everything every training
 * kind shares, derived once: the step counter, the checkpoint's encoding and restoring (`meta = {kind, stepsDone,
 * …saved, adamStep}`, tensors `<group>/<name>` for each group then `adam.m/`, `adam.v/`), `splam resume`, the
 * `train/loss` and `train/grad_norm` series, the `checkpoint.bin` artifact on the configured schedule (flushed with
 * the metric points before it), progress, early stop on request (SIGINT) and the summary of a stopped run.
 * Adding a kind is one folder `lib/experiments/<kind>/` whose index.ts calls {@link defineTrainingKind} (or, for a
 * kind without training, `defineKind` of kind.ts) and one line in registry.ts.
 */
import type { z } from 'zod';
import { prefetchVariables } from '../backend/reads.js';
import { restoreRng, type Rng, type RngState } from '../data/rng.js';
import { countParams, type ParamSet } from '../nn/params.js';
import type { Adam, LazyStepResult } from '../train/adam.js';
import { decodeCheckpoint, encodeCheckpoint, paramTensors, restoreParams } from '../train/checkpoint.js';
import { trainLoop, type LoopResult } from '../train/loop.js';
import { CHECKPOINT_NAME, type ExperimentContext, type ExperimentKind, type KindResult } from './kind.js';

/** A run's training state and the number of optimisation steps it has taken (the counter the kind does not keep). */
export interface TrainingSession<St> {
  readonly state: St;
  stepsDone: number;
}

/** Work between steps (diagnostics, training curves, periodic evaluation), with the run at hand. */
export interface TrainingMonitor {
  /** Before the first step of a run that starts at step 0 (not on resume). */
  start?(): Promise<void>;
  /** After each step; `done` steps are done. */
  after?(done: number): Promise<void>;
  dispose?(): void;
}

/** What a checkpoint of the kind holds besides the step counter. */
export interface CheckpointSpec<St> {
  /** `meta.kind` of its checkpoints (e.g. `distill`, `teacher-train`): fixed, so that written checkpoints stay loadable. */
  kind: string;
  /** What a wrong checkpoint is called in the error: `not a <label> checkpoint`. */
  label: string;
  /** Parameter groups in checkpoint order (each saved as `<prefix>/<name>`); the optimiser's moments follow. */
  groups(s: St): readonly (readonly [prefix: string, params: ParamSet])[];
  /** The optimiser whose moments (`adam.m/`, `adam.v/`) and step count (`meta.adamStep`) are saved. */
  adam(s: St): Adam;
  /** Further meta fields (rng streams), written between `stepsDone` and `adamStep`. */
  save?(s: St): Record<string, unknown>;
  /** Read them back. */
  load?(s: St, meta: Record<string, unknown>): void;
  /** Appended to the "checkpoint lacks …" error (e.g. a hint that the config changed). */
  missingHint?: string;
}

/** After training: the loop's result and the summary every training kind starts from. */
export interface Trained {
  result: LoopResult;
  summary: Record<string, number>;
}

export interface TrainingKindSpec<S extends z.ZodType, St, D> {
  kind: string;
  description: string;
  schema: S;
  /** Experiment name for the store (default: the config's `experiment`). */
  experimentOf?(config: z.output<S>): string;
  /** Seed recorded in provenance (default: the config's `seed`). */
  seedOf?(config: z.output<S>): number;
  inputFiles?(config: z.output<S>): { field: string; file: string }[];
  /** Read what `setup` needs from disk (data sets); tests pass small sets to {@link TrainingKind.open} instead. */
  load?(config: z.output<S>): D | Promise<D>;
  /** The state before the first step, from the config and its seed alone. */
  setup(config: z.output<S>, data: D): St | Promise<St>;
  /** Step `step` (0-based: the steps done before it), on that step's batch and learning rate. */
  step(s: St, config: z.output<S>, step: number): LazyStepResult;
  state: CheckpointSpec<St>;
  /** Steps in all (default `train.steps`). */
  totalSteps?(config: z.output<S>, s: St): number;
  /** The parameters counted in the summary's `params`. */
  params(s: St): ParamSet;
  monitor?(s: St, config: z.output<S>, ctx: ExperimentContext): TrainingMonitor;
  /** After a run that was not stopped: evaluate, export, report. */
  evaluate(s: St, config: z.output<S>, ctx: ExperimentContext, trained: Trained): Promise<KindResult>;
  /** Free the state's tensors. */
  dispose(s: St): void;
}

/** The common training fields of every training kind's config. */
interface TrainFields {
  experiment?: string;
  seed?: number;
  train: { steps?: number; logEvery: number; checkpointEvery: number };
}

/** A training kind: the `ExperimentKind` that `splam run` calls, and the session API tests and notebooks drive. */
export interface TrainingKind<S extends z.ZodType, St, D> extends ExperimentKind<S> {
  /** A session at step 0 (`data` default: the kind's `load`). */
  open(config: z.output<S>, data?: D): Promise<TrainingSession<St>>;
  /** One step; advances the counter. */
  step(session: TrainingSession<St>, config: z.output<S>): LazyStepResult;
  /** The checkpoint bytes of a session (every variable's values must be on the host: see `prefetchVariables`). */
  encode(session: TrainingSession<St>): Uint8Array;
  /** Continue a session from checkpoint bytes (weights, optimiser moments and step, rng streams, counter). */
  restore(session: TrainingSession<St>, bytes: Uint8Array): void;
  close(session: TrainingSession<St>): void;
}

export function defineTrainingKind<S extends z.ZodType, St, D = undefined>(spec: TrainingKindSpec<S, St, D>): TrainingKind<S, St, D> {
  type C = z.output<S>;
  const ck = spec.state;
  const fields = (c: C) => c as unknown as TrainFields; // every training schema has these fields (tested for each kind)

  const encode = (session: TrainingSession<St>): Uint8Array => {
    const s = session.state;
    const adam = ck.adam(s);
    const meta = { kind: ck.kind, stepsDone: session.stepsDone, ...(ck.save?.(s) ?? {}), adamStep: adam.state.step };
    const tensors = [...ck.groups(s).flatMap(([prefix, set]) => paramTensors(prefix, set)), ...paramTensors('adam.m', adam.state.m), ...paramTensors('adam.v', adam.state.v)];
    return encodeCheckpoint({ meta, tensors });
  };

  const restore = (session: TrainingSession<St>, bytes: Uint8Array): void => {
    const s = session.state;
    const c = decodeCheckpoint<Record<string, unknown> & { kind?: unknown; stepsDone: number; adamStep: number }>(bytes);
    if (c.meta.kind !== ck.kind) throw new Error(`not a ${ck.label} checkpoint (kind ${String(c.meta.kind)})`);
    const adam = ck.adam(s);
    for (const [prefix, set] of [...ck.groups(s), ['adam.m', adam.state.m], ['adam.v', adam.state.v]] as const) {
      const missing = restoreParams(c, prefix, set);
      if (missing.length) throw new Error(`checkpoint lacks ${prefix}/${missing[0]}${ck.missingHint ?? ''}`);
    }
    adam.state.step = c.meta.adamStep;
    ck.load?.(s, c.meta);
    session.stepsDone = c.meta.stepsDone;
  };

  const open = async (config: C, data?: D): Promise<TrainingSession<St>> => {
    const d = data ?? ((await spec.load?.(config)) as D);
    return { state: await spec.setup(config, d), stepsDone: 0 };
  };

  const step = (session: TrainingSession<St>, config: C): LazyStepResult => {
    try {
      return spec.step(session.state, config, session.stepsDone);
    } finally {
      session.stepsDone += 1;
    }
  };

  const run = async (config: C, ctx: ExperimentContext): Promise<KindResult> => {
    const session = await open(config);
    const s = session.state;
    const monitor = spec.monitor?.(s, config, ctx);
    try {
      if (ctx.resume) restore(session, ctx.resume);
      if (session.stepsDone === 0) await monitor?.start?.();
      const t = fields(config).train;
      const result = await trainLoop({
        startStep: session.stepsDone,
        totalSteps: spec.totalSteps ? spec.totalSteps(config, s) : t.steps!,
        step: async () => {
          const r = step(session, config);
          await monitor?.after?.(session.stepsDone);
          return r;
        },
        logEvery: t.logEvery,
        log: (i, m) => ctx.run.logMetrics({ 'train/loss': m.loss, 'train/grad_norm': m.gradNorm }, i),
        checkpointEvery: t.checkpointEvery,
        checkpoint: async (done) => {
          session.stepsDone = done;
          await prefetchVariables(); // WebGPU: read every variable with await, so that encoding reads from the host copy
          await ctx.run.logArtifact(CHECKPOINT_NAME, encode(session), { kind: 'checkpoint' });
          await ctx.run.flush();
        },
        progress: ctx.progress,
        shouldStop: ctx.shouldStop,
      });
      const summary: Record<string, number> = { 'train/steps': result.stepsDone, 'train/loss_final': result.lastMetrics.loss ?? NaN, params: countParams(spec.params(s)) };
      if (result.stopped) return { summary, stopped: true, report: `stopped after ${result.stepsDone} steps (checkpoint saved; resume with splam resume ${ctx.run.id})` };
      return await spec.evaluate(s, config, ctx, { result, summary });
    } finally {
      monitor?.dispose?.();
      spec.dispose(s);
    }
  };

  return {
    kind: spec.kind,
    description: spec.description,
    schema: spec.schema,
    experimentOf: spec.experimentOf ?? ((c) => fields(c).experiment ?? spec.kind),
    seedOf: spec.seedOf ?? ((c) => fields(c).seed ?? 0),
    ...(spec.inputFiles ? { inputFiles: spec.inputFiles } : {}),
    run,
    open,
    step,
    encode,
    restore,
    close: (session) => spec.dispose(session.state),
  };
}

/** `save`/`load` of a {@link CheckpointSpec} for a state with one random stream `rng` (meta field `rng`). */
export function oneRngStream<St extends { rng: Rng }>(): Pick<CheckpointSpec<St>, 'save' | 'load'> {
  return {
    save: (s) => ({ rng: s.rng.state() }),
    load: (s, meta) => {
      s.rng = restoreRng(meta.rng as RngState);
    },
  };
}
