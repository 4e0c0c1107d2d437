// AdamW and sum of squares; see adamw.h and lib/backend/kernels/adamw.ts for the formulas.
#include "adamw.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace splam {
namespace {
constexpr int64_t kParallelMin = 1 << 16;
constexpr int64_t kBlock = 1 << 14;  // sum_squares: partial sums per block, summed in block order
}  // namespace

void adamw(const AdamWHyper& h, const float* p, const float* g, const float* m, const float* v, float* p2, float* m2,
           float* v2, int64_t n) {
  const double decay = 1 - h.lr * h.weight_decay, c1 = 1 - h.beta1, c2 = 1 - h.beta2;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const double gi = static_cast<double>(g[i]) * h.scale;
    const double mi = h.beta1 * m[i] + c1 * gi;
    const double vi = h.beta2 * v[i] + c2 * gi * gi;
    m2[i] = static_cast<float>(mi);
    v2[i] = static_cast<float>(vi);
    p2[i] = static_cast<float>(p[i] * decay - (h.lr * (mi / h.bc1)) / (std::sqrt(vi / h.bc2) + h.eps));
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
