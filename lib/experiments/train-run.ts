/**
 * The part every training kind shares: run the loop against the run store — `train/loss` and `train/grad_norm`
 * series, the `checkpoint.bin` artifact on the configured schedule (flushed with the metric points before it),
 * progress, and early stop on request — and the summary of a stopped run.
 */
import { prefetchVariables } from '../backend/reads.js';
import type { LazyStepResult } from '../train/adam.js';
import { trainLoop, type LoopResult } from '../train/loop.js';
import { CHECKPOINT_NAME, type ExperimentContext, type KindResult } from './kind.js';

export interface TrainRunOptions {
  /** Steps already done (0, or the restored checkpoint's count). */
  startStep: number;
  totalSteps: number;
  logEvery: number;
  checkpointEvery: number;
  /** One step: its loss and gradient norm as numbers, or as scalar tensors read later (lib/train/adam.ts `stepLazy`). */
  step: () => LazyStepResult | Promise<LazyStepResult>;
  /** The checkpoint bytes after `stepsDone` steps (every variable's values are on the host by then). */
  encode: (stepsDone: number) => Uint8Array;
}

export function trainAsRun(ctx: ExperimentContext, o: TrainRunOptions): Promise<LoopResult> {
  return trainLoop({
    startStep: o.startStep,
    totalSteps: o.totalSteps,
    step: o.step,
    logEvery: o.logEvery,
    log: (i, m) => ctx.run.logMetrics({ 'train/loss': m.loss, 'train/grad_norm': m.gradNorm }, i),
    checkpointEvery: o.checkpointEvery,
    checkpoint: async (done) => {
      await prefetchVariables(); // WebGPU: read every variable with await, so that encoding reads from the host copy
      await ctx.run.logArtifact(CHECKPOINT_NAME, o.encode(done), { kind: 'checkpoint' });
      await ctx.run.flush();
    },
    progress: ctx.progress,
    shouldStop: ctx.shouldStop,
  });
}

/** The summary every training kind starts from; `stopped` results say how to continue. */
export function trainingSummary(result: LoopResult, params: number): Record<string, number> {
  return { 'train/steps': result.stepsDone, 'train/loss_final': result.lastMetrics.loss ?? NaN, params };
}

export function stoppedResult(ctx: ExperimentContext, result: LoopResult, summary: Record<string, number>): KindResult {
  return { summary, stopped: true, report: `stopped after ${result.stepsDone} steps (checkpoint saved; resume with splam resume ${ctx.run.id})` };
}
