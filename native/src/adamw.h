// The AdamW update and a global sum of squares (float32 data, float64 arithmetic), as lib/backend/kernels/adamw.ts
// computes them on the wasm heap; parallel with OpenMP on large tensors.
#pragma once
#include <cstdint>

namespace splam {

struct AdamWHyper {
  double lr, beta1, beta2, eps, weight_decay, scale, bc1, bc2;
};

// p2, m2, v2 = one AdamW step of p, m, v with gradient g (all of length n).
void adamw(const AdamWHyper& h, const float* p, const float* g, const float* m, const float* v, float* p2, float* m2,
           float* v2, int64_t n);

// Σ x[i]², accumulated in float64 (in blocks of fixed size, added in order: the same for any thread count).
double sum_squares(const float* x, int64_t n);

}  // namespace splam
