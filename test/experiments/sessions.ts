/** Driving a training kind's session in tests, as `splam run` does between checkpoints. */
import type { z } from 'zod';
import type { TrainingKind } from '../../lib/experiments/training-kind.js';
import type { Reading } from '../../lib/train/adam.js';

/**
 * `n` steps of a fresh session of `kind` (continued from checkpoint bytes `from` when given; `data` as the kind's
 * `open` takes it): the session `t`, its state `s` and the `n` losses.
 */
export async function sessionSteps<S extends z.ZodType, St, D>(kind: TrainingKind<S, St, D>, config: z.output<S>, n: number, o: { from?: Uint8Array; data?: D } = {}) {
  const t = await kind.open(config, o.data);
  if (o.from) kind.restore(t, o.from);
  const losses: Reading[] = Array.from({ length: n }, () => kind.step(t, config).loss);
  return { t, s: t.state, losses };
}
