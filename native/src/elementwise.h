// Element-wise float32 functions, vectorised through glibc's libmvec and parallel with OpenMP on large arrays.
#pragma once
#include <cstdint>

namespace splam {

enum class Unary { Sin, Cos, Silu };

// y[i] = f(x[i]) for i < n (y may equal x). Silu: x·σ(x).
void unary(Unary f, const float* x, float* y, int64_t n);

// dx[i] = dy[i]·σ(x[i])·(1 + x[i]·(1 − σ(x[i]))), the gradient of SiLU.
void silu_grad(const float* dy, const float* x, float* dx, int64_t n);

}  // namespace splam
