/**
 * The AdamW update as WebGPU programs whose clip factor and skip flag are device tensors, so a step reads nothing
 * back (lib/train/adam.ts `stepLazy` on `webgpu`). Composed from tfjs ops the update costs ~30 kernels (~21 GPU
 * dispatches) per parameter tensor (clip, the non-finite skip as `tf.where` on a scalar condition, which tiles,
 * moments, bias correction, decay); here it is one kernel call of three dispatches, one per output (a tfjs program
 * has a single output).
 *
 * `SplamAdamWDevice`, per element in float32, in the composed path's order of operations:
 *   g' = g·scale;  m' = β₁m + (1−β₁)g';  v' = β₂v + (1−β₂)g'²;
 *   p' = p·(1 − lr·λ) − lr·((m'/bc₁) / (√(v'/bc₂) + ε))      (the decay factor only when λ > 0)
 * and where `ok` is 0, p, m and v are returned unchanged (a select, not a product: NaN·0 is NaN).
 * Inputs: param, grad, m, v (one shape, float32); scale = min(1, clip/‖g‖) and ok ∈ {0, 1} (float32 scalars, shared
 * by every parameter of a step). Attrs: lr, beta1, beta2, eps, weightDecay, bc1, bc2. Outputs: the new param, m, v.
 *
 * Storage buffers per shader: the param program binds 6 inputs and its output (7; Mesa's compatibility adapter
 * allows 8), the m and v programs 4 and 1. Registered for `webgpu` by lib/backend/webgpu.ts once the backend is set.
 */
import * as tf from '@tensorflow/tfjs';
import type { webgpu_util as WebGpuUtil, WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { ArgumentError, ShapeError } from '../../errors.js';

export const ADAMW_DEVICE_KERNEL = 'SplamAdamWDevice';

/** Attributes of {@link ADAMW_DEVICE_KERNEL} (the clip factor is the `scale` input, not an attribute). */
export interface AdamWDeviceAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ. */
  bc1: number;
  bc2: number;
}

type Output = 'param' | 'm' | 'v';

/** The program for one output. Inputs, in order: P, G, M, V, S (scale), K (ok) for the param; G, M|V, S, K otherwise. */
class AdamWProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms = 'lr : f32, b1 : f32, c1 : f32, b2 : f32, c2 : f32, eps : f32, decay : f32, bc1 : f32, bc2 : f32,';

  constructor(
    util: typeof WebGpuUtil,
    readonly output: Output,
    shape: number[],
    readonly decay: boolean,
  ) {
    this.outputShape = shape;
    this.variableNames = output === 'param' ? ['P', 'G', 'M', 'V', 'S', 'K'] : output === 'm' ? ['G', 'M', 'S', 'K'] : ['G', 'V', 'S', 'K'];
    this.dispatchLayout = util.flatDispatchLayout(shape);
    this.dispatch = util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
    this.shaderKey = `splamAdamW_${output}${output === 'param' && decay ? '_decay' : ''}`;
  }

  getUserCode(): string {
    const g = 'let g = getGByOutputIndex(index) * getS();';
    const m = 'let m = getMByOutputIndex(index); let m2 = m * uniforms.b1 + g * uniforms.c1;';
    const v = 'let v = getVByOutputIndex(index); let v2 = v * uniforms.b2 + (g * g) * uniforms.c2;';
    const body =
      this.output === 'm'
        ? `${g} ${m} setOutputAtIndex(index, select(m, m2, ok));`
        : this.output === 'v'
          ? `${g} ${v} setOutputAtIndex(index, select(v, v2, ok));`
          : `${g} ${m} ${v}
            let p = getPByOutputIndex(index);
            let update = (m2 / uniforms.bc1) / (sqrt(v2 / uniforms.bc2) + uniforms.eps);
            let p2 = ${this.decay ? 'p * uniforms.decay' : 'p'} - update * uniforms.lr;
            setOutputAtIndex(index, select(p, p2, ok));`;
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let ok = getK() > 0.5;
          ${body}
        }
      }
    `;
  }
}

/** Shapes and dtypes: grad, m and v have the parameter's shape, scale and ok are scalars, all float32. */
function checkInputs(inputs: Record<'param' | 'grad' | 'm' | 'v' | 'scale' | 'ok', tf.TensorInfo>): void {
  const { param } = inputs;
  for (const name of ['grad', 'm', 'v'] as const) {
    if (!tf.util.arraysEqual(inputs[name].shape, param.shape)) {
      throw new ShapeError(ADAMW_DEVICE_KERNEL, name, `[${param.shape.join(', ')}] (the parameter's shape)`, inputs[name].shape);
    }
  }
  for (const name of ['scale', 'ok'] as const) {
    if (inputs[name].shape.length !== 0) throw new ShapeError(ADAMW_DEVICE_KERNEL, name, '[] (a scalar)', inputs[name].shape);
  }
  for (const [name, t] of Object.entries(inputs)) if (t.dtype !== 'float32') throw new ArgumentError(ADAMW_DEVICE_KERNEL, name, t.dtype, 'float32');
}

/** The `SplamAdamWDevice` kernel function, given tfjs-backend-webgpu's `webgpu_util` (an optional dependency). */
export function makeWebGpuAdamW(util: typeof WebGpuUtil): tf.KernelFunc {
  return ({ inputs, backend: be, attrs }) => {
    const ins = inputs as unknown as Record<'param' | 'grad' | 'm' | 'v' | 'scale' | 'ok', tf.TensorInfo>;
    checkInputs(ins);
    const { param, grad, m, v, scale, ok } = ins;
    const { lr, beta1, beta2, eps, weightDecay, bc1, bc2 } = attrs as unknown as AdamWDeviceAttrs;
    const backend = be as unknown as WebGPUBackend;
    const decay = weightDecay > 0;
    // The composed path's constants, each rounded once to float32 as its scalar operands are.
    const uniforms = [lr, beta1, 1 - beta1, beta2, 1 - beta2, eps, 1 - lr * weightDecay, bc1, bc2].map((x) => ({ type: 'float32', data: [x] }));
    const run = (output: Output, xs: tf.TensorInfo[]) => backend.runWebGPUProgram(new AdamWProgram(util, output, param.shape, decay), xs, 'float32', uniforms);
    return [run('param', [param, grad, m, v, scale, ok]), run('m', [grad, m, scale, ok]), run('v', [grad, v, scale, ok])];
  };
}
