// Element-wise functions (elementwise.h) four values at a time through glibc's vector math library (libmvec,
// GLIBC_2.22+: _ZGVbN4v_sinf / cosf / expf, SSE, ≤ 4 ulp over the whole float range, IEEE special values kept), the
// tail through the scalar functions. tfjs-backend-wasm evaluates sin and cos one scalar at a time (~40 ns per value
// on the sinusoidal embeddings' arguments up to 10⁴). Compiled without -ffast-math: NaN and ±∞ propagate as IEEE
// says, so a diverging run still reaches its non-finite loss check.
#include "elementwise.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

extern "C" {
__m128 _ZGVbN4v_sinf(__m128);
__m128 _ZGVbN4v_cosf(__m128);
__m128 _ZGVbN4v_expf(__m128);
}

namespace splam {
namespace {

constexpr int64_t kParallelMin = 1 << 16;  // below this many values one thread is faster than waking the others
constexpr int64_t kBlock = 1 << 12;        // values per parallel work item (a multiple of 4)

inline __m128 sigmoid4(__m128 x) {
  const __m128 one = _mm_set1_ps(1.0f);
  const __m128 e = _ZGVbN4v_expf(_mm_sub_ps(_mm_setzero_ps(), x));
  return _mm_div_ps(one, _mm_add_ps(one, e));
}

inline float sigmoid1(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Run body(begin, end) over [0, n) in blocks, in parallel when n is large.
template <class F>
void blocks(int64_t n, F body) {
  const int64_t count = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t b = 0; b < count; ++b) body(b * kBlock, std::min(n, (b + 1) * kBlock));
}

template <class V, class S>
void map4(const float* x, float* y, int64_t n, V vec, S scalar) {
  blocks(n, [&](int64_t begin, int64_t end) {
    int64_t i = begin;
    for (; i + 4 <= end; i += 4) _mm_storeu_ps(y + i, vec(_mm_loadu_ps(x + i)));
    for (; i < end; ++i) y[i] = scalar(x[i]);
  });
}

}  // namespace

void unary(Unary f, const float* x, float* y, int64_t n) {
  switch (f) {
    case Unary::Sin:
      map4(x, y, n, [](__m128 v) { return _ZGVbN4v_sinf(v); }, [](float v) { return std::sin(v); });
      break;
    case Unary::Cos:
      map4(x, y, n, [](__m128 v) { return _ZGVbN4v_cosf(v); }, [](float v) { return std::cos(v); });
      break;
    case Unary::Silu:
      map4(x, y, n, [](__m128 v) { return _mm_mul_ps(v, sigmoid4(v)); }, [](float v) { return v * sigmoid1(v); });
      break;
  }
}

void silu_grad(const float* dy, const float* x, float* dx, int64_t n) {
  blocks(n, [&](int64_t begin, int64_t end) {
    const __m128 one = _mm_set1_ps(1.0f);
    int64_t i = begin;
    for (; i + 4 <= end; i += 4) {
      const __m128 v = _mm_loadu_ps(x + i);
      const __m128 s = sigmoid4(v);
      const __m128 inner = _mm_add_ps(one, _mm_mul_ps(v, _mm_sub_ps(one, s)));
      _mm_storeu_ps(dx + i, _mm_mul_ps(_mm_mul_ps(_mm_loadu_ps(dy + i), s), inner));
    }
    for (; i < end; ++i) {
      const float s = sigmoid1(x[i]);
      dx[i] = dy[i] * s * (1.0f + x[i] * (1.0f - s));
    }
  });
}

}  // namespace splam
