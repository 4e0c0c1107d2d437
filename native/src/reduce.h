// Sums over a contiguous run of axes (float32 data, float64 accumulation), parallel with OpenMP.
#pragma once
#include <cstdint>

namespace splam {

// x viewed as [outer, mid, inner] → y [outer, inner] = Σ over mid. Each output is accumulated in mid order by one
// thread, so the result does not depend on the thread count.
void sum_mid(const float* x, float* y, int64_t outer, int64_t mid, int64_t inner);

}  // namespace splam
