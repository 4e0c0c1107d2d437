/**
 * Index arithmetic shared by the convolution-gradient kernels: which part of a source tensor one spatial axis of a
 * convolution reads, expressed as a crop plus explicit zero padding (the stock wasm Conv2D takes only non-negative
 * explicit padding, so a window that starts or ends inside the source becomes a crop).
 *
 * Notation per spatial axis: input size `n`, output size `m`, kernel size `k`, stride `s`, dilation `d`, leading
 * padding `p` of the forward convolution (`y[o] = Σ_t x[o·s + t·d − p] · w[t]`).
 */

/** A window `[start, end)` over a source of length `length`, with zeros outside the source. */
export interface AxisWindow {
  /** Zeros to add before the cropped source. */
  padBefore: number;
  /** First source index read. */
  cropStart: number;
  /** One past the last source index read. */
  cropEnd: number;
  /** Zeros to add after the cropped source. */
  padAfter: number;
}

/** Split the window `[start, end)` over a source `[0, length)` into crop and zero padding. */
export function axisWindow(start: number, end: number, length: number): AxisWindow {
  const clamp = (i: number) => Math.min(Math.max(i, 0), length);
  return {
    padBefore: Math.max(0, -start),
    cropStart: clamp(start),
    cropEnd: clamp(end),
    padAfter: Math.max(0, end - length),
  };
}

/** Whether the window reads no source element at all (the result is then all zeros). */
export function isEmptyWindow(w: AxisWindow): boolean {
  return w.cropEnd <= w.cropStart;
}

/** Whether the window drops source elements at either end (needs a Slice). */
export function needsCrop(w: AxisWindow, length: number): boolean {
  return w.cropStart > 0 || w.cropEnd < length;
}

/** One spatial axis of a forward convolution. */
export interface ConvAxis {
  /** Input size n. */
  n: number;
  /** Output size m. */
  m: number;
  /** Kernel size k. */
  k: number;
  /** Stride s. */
  s: number;
  /** Dilation d. */
  d: number;
  /** Leading padding p (may be 0; never negative in tfjs). */
  p: number;
}

/**
 * Window for the input gradient computed as a stride-1 correlation with the flipped kernel:
 * dx[i] = Σ_t z[i + p − (k−1)·d + t·d] · w[k−1−t], where z is dy zero-dilated by s (z[o·s] = dy[o], length m·s).
 * Reads z over `[p − (k−1)·d, p + n)`; the correlation then yields exactly n outputs.
 */
export function backpropInputWindow(a: ConvAxis): AxisWindow {
  return axisWindow(a.p - (a.k - 1) * a.d, a.p + a.n, a.m * a.s);
}

/**
 * Window for the filter gradient computed as a correlation of x with dy as the kernel (stride d, dilation s):
 * dw[t] = Σ_o x[t·d + o·s − p] · dy[o]. Reads x over `[−p, (k−1)·d + (m−1)·s − p + 1)`, which yields exactly k
 * outputs at stride d.
 */
export function backpropFilterWindow(a: ConvAxis): AxisWindow {
  return axisWindow(-a.p, (a.k - 1) * a.d + (a.m - 1) * a.s - a.p + 1, a.n);
}

/** One phase r ∈ [0, s) of the sub-pixel split of a strided input gradient along one axis. */
export interface AxisPhase {
  /** Taps of the kernel that land on outputs ≡ r (mod s): J_r = ⌈(k − r)/s⌉, 0 when r ≥ k. */
  taps: number;
  /** First tap in the flipped kernel w'[t] = w[k−1−t]: the phase's kernel is w'[start + s·j], j < J_r. */
  kernelStart: number;
  /** Window of dy the phase's stride-1 correlation reads (meaningless when taps = 0). */
  window: AxisWindow;
}

/** Sub-pixel split of the input gradient along one axis (dilation 1 only). */
export interface SubPixelPlan {
  /** Rows per phase, Q: phase r yields dx at i = (q0 + j)·s + r − p for j < Q. */
  count: number;
  /** Offset of dx[0] in the interleaved phases (row j·s + r), p − q0·s with q0 = ⌊p/s⌋. */
  cropStart: number;
  phases: AxisPhase[];
}

/**
 * Split dx[i] = Σ_{o,t: o·s + t − p = i} dy[o]·w[t] by the phase r of u = i + p = q·s + r. For each phase only the
 * taps t = r + s·j contribute, with o = q − j, so phase r is a stride-1 correlation of dy with J_r taps:
 * dx[q·s + r − p] = Σ_{j'<J_r} dy[q − (J_r − 1) + j'] · w[r + s·(J_r − 1 − j')].
 * Together the phases do exactly the useful multiply-adds (zero-dilating dy instead costs s× more per axis).
 */
export function subPixelPlan(a: ConvAxis): SubPixelPlan {
  const q0 = Math.floor(a.p / a.s);
  const count = Math.ceil((a.p + a.n) / a.s) - q0;
  const phases: AxisPhase[] = [];
  for (let r = 0; r < a.s; r++) {
    const taps = r < a.k ? Math.ceil((a.k - r) / a.s) : 0;
    phases.push({
      taps,
      kernelStart: taps > 0 ? a.k - 1 - r - a.s * (taps - 1) : 0,
      window: axisWindow(q0 - taps + 1, q0 + count, a.m),
    });
  }
  return { count, cropStart: a.p - q0 * a.s, phases };
}
