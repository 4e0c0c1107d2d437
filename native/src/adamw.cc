// AdamW and sum of squares; see adamw.h and lib/backend/kernels/adamw.ts for the formulas.
#include "adamw.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace splam {
namespace {
constexpr int64_t kParallelMin = 1 << 16;
constexpr int64_t kBlock = 1 << 14;  // values per work item; sum_squares adds the blocks' partial sums in order

// p2 = p·(1 − lr·λ) − (lr / bc₁)·m / (√(v·(1 / bc₂)) + ε): one division and one square root per element, in
// float64, in exactly the order of the JS kernel (lib/backend/kernels/adamw.ts), so the two agree bit for bit
// (the addon is built with -ffp-contract=off: no fused multiply-adds).
template <int kUnused>
inline void adamw_range(const AdamWHyper& h, const float* p, const float* g, const float* m, const float* v, float* p2,
                        float* m2, float* v2, int64_t begin, int64_t end) {
  const double decay = 1 - h.lr * h.weight_decay, c1 = 1 - h.beta1, c2 = 1 - h.beta2;
  const double step = h.lr / h.bc1, inv_bc2 = 1 / h.bc2;
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) {
    const double gi = static_cast<double>(g[i]) * h.scale;
    const double mi = h.beta1 * m[i] + c1 * gi;
    const double vi = h.beta2 * v[i] + c2 * gi * gi;
    m2[i] = static_cast<float>(mi);
    v2[i] = static_cast<float>(vi);
    p2[i] = static_cast<float>(p[i] * decay - step * mi / (std::sqrt(vi * inv_bc2) + h.eps));
  }
}

__attribute__((target("avx2"))) void adamw_avx2(const AdamWHyper& h, const float* p, const float* g, const float* m,
                                                const float* v, float* p2, float* m2, float* v2, int64_t begin,
                                                int64_t end) {
  adamw_range<0>(h, p, g, m, v, p2, m2, v2, begin, end);
}

void adamw_base(const AdamWHyper& h, const float* p, const float* g, const float* m, const float* v, float* p2,
                float* m2, float* v2, int64_t begin, int64_t end) {
  adamw_range<1>(h, p, g, m, v, p2, m2, v2, begin, end);
}

}  // namespace

void adamw(const AdamWHyper& h, const float* p, const float* g, const float* m, const float* v, float* p2, float* m2,
           float* v2, int64_t n) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  const int64_t count = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t b = 0; b < count; ++b) {
    const int64_t begin = b * kBlock, end = std::min(n, (b + 1) * kBlock);
    if (avx2) adamw_avx2(h, p, g, m, v, p2, m2, v2, begin, end);
    else adamw_base(h, p, g, m, v, p2, m2, v2, begin, end);
  }
}

double sum_squares(const float* x, int64_t n) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(blocks);
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t b = 0; b < blocks; ++b) {
    double s = 0;
    const int64_t end = std::min(n, (b + 1) * kBlock);
    for (int64_t i = b * kBlock; i < end; ++i) s += static_cast<double>(x[i]) * x[i];
    partial[b] = s;
  }
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace splam
