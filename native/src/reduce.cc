// sum_mid (reduce.h): work items are (outer index, block of up to kCols inner columns); each sums its rows in order
// into float64 accumulators.
#include "reduce.h"

#include <algorithm>

namespace splam {
namespace {
constexpr int64_t kCols = 256;
constexpr int64_t kParallelMin = 1 << 16;
}  // namespace

void sum_mid(const float* x, float* y, int64_t outer, int64_t mid, int64_t inner) {
  const int64_t col_blocks = (inner + kCols - 1) / kCols;
  const int64_t items = outer * col_blocks;
#pragma omp parallel for schedule(static) if (outer * mid * inner >= kParallelMin)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t o = item / col_blocks;
    const int64_t c0 = (item % col_blocks) * kCols;
    const int64_t w = std::min(kCols, inner - c0);
    double acc[kCols] = {0};
    const float* base = x + o * mid * inner + c0;
    for (int64_t r = 0; r < mid; ++r) {
      const float* row = base + r * inner;
      for (int64_t c = 0; c < w; ++c) acc[c] += row[c];
    }
    float* out = y + o * inner + c0;
    for (int64_t c = 0; c < w; ++c) out[c] = static_cast<float>(acc[c]);
  }
}

}  // namespace splam
