/**
 * The config fields every kind writes the same way: the head of every config (`kind`, `name`, `experiment`,
 * `seed`) and the `train` block of every training kind (AdamW with global-norm clipping, the logging and checkpoint
 * cadence that lib/experiments/training-kind.ts reads). Each kind gives its own defaults; the validation is here once.
 */
import { z } from 'zod';

/** `kind` (the literal that selects the schema), `name` (default: the config file's name), `experiment`, `seed`. */
export function configHead<K extends string>(kind: K, experiment: string) {
  return {
    kind: z.literal(kind),
    /** Run name; default the config's file name (the CLI's `--name` overrides both). */
    name: z.string().min(1).optional(),
    /** Experiment the run belongs to in the store. */
    experiment: z.string().min(1).default(experiment),
    seed: z.number().int().default(0),
  };
}

/** A training kind's defaults for {@link trainSchema}. */
export interface TrainDefaults {
  batch: number;
  lr: number;
  /** Global-norm clip (0 = none). */
  gradClip: number;
  logEvery: number;
  /** Steps between checkpoints (0: only at the end). */
  checkpointEvery: number;
}

/**
 * The `train` block: `length` (default `{steps}` with the kind's default, a classifier gives `{epochs}`), `batch`,
 * `lr`, then `afterLr` (an lr schedule), `weightDecay` (0), `gradClip`, `afterClip` (an EMA decay), `logEvery`,
 * `checkpointEvery`, in that order (the order of the parsed config, as recorded runs have it); `{}` when absent.
 */
export function trainSchema<H extends z.ZodRawShape, L extends z.ZodRawShape = {}, C extends z.ZodRawShape = {}>(
  d: TrainDefaults,
  o: { length: H; afterLr?: L; afterClip?: C },
) {
  return z
    .object({
      ...o.length,
      batch: z.number().int().min(1).default(d.batch),
      lr: z.number().gt(0).default(d.lr),
      ...((o.afterLr ?? {}) as L),
      weightDecay: z.number().min(0).default(0),
      gradClip: z.number().min(0).default(d.gradClip),
      ...((o.afterClip ?? {}) as C),
      logEvery: z.number().int().min(1).default(d.logEvery),
      checkpointEvery: z.number().int().min(0).default(d.checkpointEvery),
    })
    .strict()
    .prefault({} as never); // {} parses to every field's default (the generic shape hides that from the type)
}

/** `{steps}`: optimisation steps in all, with the kind's default. */
export const stepsField = (steps: number) => ({ steps: z.number().int().min(1).default(steps) });
