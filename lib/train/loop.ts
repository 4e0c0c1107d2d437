/**
 * The training loop shared by every trainer: runs steps, stops on a non-finite loss, logs averaged metrics,
 * saves checkpoints on a schedule, and reports progress. The step itself and what a checkpoint holds belong to
 * the caller.
 */
import * as tf from '@tensorflow/tfjs';
import { readScalars } from '../backend/reads.js';
import { SplamError } from '../errors.js';
import type { Reading } from './adam.js';

/** A NaN or ±Inf loss (or gradient norm): the run stops as failed; the last good checkpoint is kept. */
export class NonFiniteLossError extends SplamError {
  readonly code = 'non_finite_loss';
  constructor(
    /** The failing step, counted from 1 (as `stepsDone` after it would be). */
    readonly step: number,
    readonly key: string,
    readonly value: number,
    readonly lastCheckpointStep: number | null,
  ) {
    super(
      `training stopped at step ${step}: ${key} is ${value} (non-finite); ` +
        (lastCheckpointStep === null ? 'no checkpoint was saved before it' : `the last good checkpoint is after step ${lastCheckpointStep}`),
    );
    this.name = 'NonFiniteLossError';
  }
}

/**
 * What a step reports: scalar metrics, `loss` among them, each a number or a scalar tensor (a step on a backend that
 * cannot read synchronously: lib/train/adam.ts `stepLazy`). The loop reads tensors later, a window at a time, and
 * disposes them.
 */
export type StepMetrics = Record<string, Reading> & { loss: Reading };

export interface LoopOptions {
  /** First step to run (0, or the checkpoint's step when resuming). */
  startStep: number;
  /** Total steps: the loop runs steps startStep … totalSteps − 1. */
  totalSteps: number;
  /**
   * One optimisation step; returns scalar metrics (must include `loss`), or a promise of them. Numbers are checked
   * and averaged at once; scalar tensors are read in one transfer when the logging window closes, before a
   * checkpoint, on a stop and at the end — so a step on WebGPU never waits for the device — and checked in step
   * order, so a non-finite value still names its own step and no checkpoint is written after it.
   */
  step: (i: number) => StepMetrics | Promise<StepMetrics>;
  /** Average the step metrics over this many steps and pass them to `log`. Default 50. */
  logEvery?: number;
  log?: (step: number, metrics: Record<string, number>) => void;
  /** Save a checkpoint every this many steps (and at the end). 0 = only at the end. */
  checkpointEvery?: number;
  /** Persist a checkpoint after step `step` completed (i.e. `step` steps are done). */
  checkpoint?: (stepsDone: number) => Promise<void>;
  progress?: (e: { done: number; total: number; label: string }) => void;
  /** Stop early (for example on SIGINT) after the current step, with a checkpoint. */
  shouldStop?: () => boolean;
}

export interface LoopResult {
  stepsDone: number;
  lastMetrics: Record<string, number>;
  /** The last logged window: its mean metrics (what `log` and the progress line got), last step and length. */
  lastLogged?: { step: number; count: number; metrics: Record<string, number> };
  stopped: boolean;
}

export async function trainLoop(o: LoopOptions): Promise<LoopResult> {
  const logEvery = o.logEvery ?? 50;
  const ckEvery = o.checkpointEvery ?? 0;
  let lastCk: number | null = o.startStep > 0 ? o.startStep : null;
  let acc: Record<string, number> = {};
  let count = 0;
  let last: Record<string, number> = {};
  let lastLogged: LoopResult['lastLogged'];
  /** Steps whose metrics are not yet read (tensors), in step order. */
  let pending: { done: number; m: StepMetrics }[] = [];
  /** Read the pending steps (one transfer), then check, average and log them in step order. */
  const settle = async () => {
    const steps = pending;
    pending = [];
    const tensors = steps.flatMap((p) => Object.values(p.m).filter((v): v is tf.Scalar => typeof v !== 'number'));
    let values: number[];
    try {
      values = await readScalars(tensors);
    } finally {
      tf.dispose(tensors);
    }
    let j = 0;
    for (const { done, m } of steps) {
      const read: Record<string, number> = {};
      for (const [k, v] of Object.entries(m)) read[k] = typeof v === 'number' ? v : values[j++];
      for (const [k, v] of Object.entries(read)) {
        if (!Number.isFinite(v) && (k === 'loss' || k === 'gradNorm')) throw new NonFiniteLossError(done, k, v, lastCk);
        acc[k] = (acc[k] ?? 0) + v;
      }
      count++;
      last = read;
      if (count === logEvery || done === o.totalSteps) {
        const avg = Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, v / count]));
        o.log?.(done, avg);
        lastLogged = { step: done, count, metrics: avg };
        o.progress?.({ done, total: o.totalSteps, label: `loss ${avg.loss.toExponential(3)}` });
        acc = {};
        count = 0;
      }
    }
  };
  let i = o.startStep;
  let stopped = false;
  try {
    for (; i < o.totalSteps; i++) {
      const m = await o.step(i);
      const done = i + 1;
      pending.push({ done, m });
      const deferred = Object.values(m).some((v) => typeof v !== 'number');
      if (!deferred || count + pending.length === logEvery || done === o.totalSteps) await settle();
      // Yield to the event loop once per step (~µs; a step takes ms): the SIGINT handler that raises shouldStop and
      // the run's heartbeat timer only run between macrotasks, and a loop of synchronous steps would starve them
      // until the next checkpoint's await (seen: a Ctrl-C at step 600 not honoured by step 800).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const stopNow = o.shouldStop?.() ?? false;
      if (o.checkpoint && ((ckEvery > 0 && done % ckEvery === 0) || done === o.totalSteps || stopNow)) {
        await settle(); // no checkpoint after an unread (possibly non-finite) step
        await o.checkpoint(done);
        lastCk = done;
      }
      if (stopNow) {
        await settle();
        stopped = true;
        i++;
        break;
      }
    }
  } finally {
    for (const p of pending) tf.dispose(Object.values(p.m).filter((v): v is tf.Scalar => typeof v !== 'number'));
  }
  return { stepsDone: i, lastMetrics: last, lastLogged, stopped };
}
