// Group normalisation forward and gradient (float32, channels last), parallel over the batch with OpenMP.
// Same formulas as lib/backend/kernels/group-norm.ts (the wasm kernels), which documents them.
#pragma once
#include <cstdint>

namespace splam {

// x seen as [b, s, c]; g groups of c / g consecutive channels.
struct GroupNormGeometry {
  int64_t b, s, c, g;
};

// y = γ·(x − μ)·r + β per (sample, group); mean and rstd [b, g] are kept for the gradient.
void group_norm_forward(const GroupNormGeometry& geo, const float* x, const float* gamma, const float* beta, float eps,
                        float* y, float* mean, float* rstd);

// dx, dγ [c], dβ [c] from dy, the forward input and its mean / rstd. dγ, dβ sum over the batch in sample order,
// whatever the thread count.
void group_norm_backward(const GroupNormGeometry& geo, const float* dy, const float* x, const float* gamma,
                         const float* mean, const float* rstd, float* dx, float* dgamma, float* dbeta);

}  // namespace splam
