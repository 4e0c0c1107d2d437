/** Learning-rate schedules over a run's steps: the config field (`train.schedule`) and the rate of each step. */
import { z } from 'zod';

/** `constant`: lr throughout. `cosine`: from lr down to final·lr by half a cosine (Loshchilov & Hutter 2017, no restarts). */
export const lrScheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant') }).strict(),
  z.object({ kind: z.literal('cosine'), final: z.number().min(0).max(1).default(0) }).strict(),
]);

export type LrSchedule = z.output<typeof lrScheduleSchema>;

/**
 * The learning rate of step `step` (0-based) of `total`: lr for `constant`; for `cosine`
 * lr·(final + (1 − final)·½·(1 + cos(π·step/total))), lr at step 0, → final·lr at the end.
 */
export function learningRate(lr: number, schedule: LrSchedule, step: number, total: number): number {
  if (schedule.kind === 'constant') return lr;
  return lr * (schedule.final + (1 - schedule.final) * 0.5 * (1 + Math.cos((Math.PI * step) / total)));
}
