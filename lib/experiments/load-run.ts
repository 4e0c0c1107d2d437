/**
 * A distillation run back from the store: its recorded config, the student rebuilt from its last checkpoint, and
 * which method it is (LCM: γ fixed at 1; SPLAM otherwise). For notebooks and analysis scripts.
 */
import { parseConfig } from '../config.js';
import { netGammaModel } from '../nn/eps-net.js';
import type { GammaEpsModel } from '../diffusion/types.js';
import type { ClassCond } from '../diffusion/guidance.js';
import type { RunRecord, RunStore } from '../track/types.js';
import type { DistillConfig } from './distill/config.js';
import { distillSchema } from './distill/config.js';
import { distillKind } from './distill/index.js';
import type { DistillState } from './distill/run.js';
import { studentMap } from '../splam/consistency.js';
import { isLcm } from '../splam/gamma.js';
import type { ConsistencyMap } from '../splam/trajectory-error.js';
import { CHECKPOINT_NAME } from './kind.js';

export interface LoadedDistillRun {
  record: RunRecord;
  config: DistillConfig;
  state: DistillState;
  /** `LCM` when γ is fixed at 1, else `SPLAM`. */
  method: 'LCM' | 'SPLAM';
  /** The student's ε̂(x, t, γ) (EMA weights when the config evaluates them). */
  model: GammaEpsModel<ClassCond>;
  /** The student's consistency map f(x, t, γ) → x̂₀ (σ_γ-aware). */
  f: ConsistencyMap;
  dispose(): void;
}

/** `LCM` when the config fixes γ at 1 (the paper's LCM baseline), else `SPLAM`. */
export function methodOf(c: DistillConfig): 'LCM' | 'SPLAM' {
  return isLcm(c.objective.gamma) ? 'LCM' : 'SPLAM';
}

/**
 * Rebuild a distillation run's student from its checkpoint.
 * @throws StoreError (run_not_found; artifact_not_found when it never saved a checkpoint); ConfigError when the
 *   recorded params are not a distill config.
 */
export async function loadDistillRun(store: RunStore, id: string): Promise<LoadedDistillRun> {
  const record = await store.getRun(id);
  const config = parseConfig(distillSchema, record.params, `params of run ${id}`);
  const session = await distillKind.open(config);
  const { state } = session;
  try {
    distillKind.restore(session, await store.readArtifact(id, CHECKPOINT_NAME));
  } catch (e) {
    distillKind.close(session);
    throw e;
  }
  const model = netGammaModel(config.eval.weights === 'ema' ? state.target : state.student);
  const f = studentMap(model, state.schedule, { k: state.grid.k, sigmaGammaForm: config.objective.sigmaGammaForm, conditioning: config.objective.conditioning });
  return { record, config, state, method: methodOf(config), model, f, dispose: () => distillKind.close(session) };
}
