// Element-wise functions (elementwise.h) through glibc's vector math library (libmvec, GLIBC_2.22+: _ZGV…_sinf /
// cosf / expf, ≤ 4 ulp over the whole float range, IEEE special values kept), 16, 8 or 4 values at a time: the
// widest of AVX-512, AVX2 and SSE this CPU has, chosen once at run time; the tail through the scalar functions.
// tfjs-backend-wasm evaluates sin and cos one scalar at a time (~40 ns per value on the sinusoidal embeddings'
// arguments up to 10⁴). Compiled without -ffast-math: NaN and ±∞ propagate as IEEE says, so a diverging run still
// reaches its non-finite loss check.
#include "elementwise.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

extern "C" {
__m128 _ZGVbN4v_sinf(__m128);
__m128 _ZGVbN4v_cosf(__m128);
__m128 _ZGVbN4v_expf(__m128);
__m256 _ZGVdN8v_sinf(__m256);
__m256 _ZGVdN8v_cosf(__m256);
__m256 _ZGVdN8v_expf(__m256);
__m512 _ZGVeN16v_sinf(__m512);
__m512 _ZGVeN16v_cosf(__m512);
__m512 _ZGVeN16v_expf(__m512);
}

namespace splam {
namespace {

constexpr int64_t kParallelMin = 1 << 16;  // below this many values one thread is faster than waking the others
constexpr int64_t kBlock = 1 << 12;        // values per parallel work item (a multiple of 16)

enum class Isa { Sse, Avx2, Avx512 };

Isa isa() {
  static const Isa chosen = __builtin_cpu_supports("avx512f") ? Isa::Avx512
                            : __builtin_cpu_supports("avx2")  ? Isa::Avx2
                                                              : Isa::Sse;
  return chosen;
}

inline float sigmoid1(float x) { return 1.0f / (1.0f + std::exp(-x)); }

inline float scalar(Unary f, float v) {
  switch (f) {
    case Unary::Sin: return std::sin(v);
    case Unary::Cos: return std::cos(v);
    case Unary::Silu: return v * sigmoid1(v);
  }
  return v;
}

inline float scalar_silu_grad(float d, float v) {
  const float s = sigmoid1(v);
  return d * s * (1.0f + v * (1.0f - s));
}

// One block [begin, end) at each width. The vector bodies are the same formulas as the scalar ones.
#define SPLAM_WIDTH_KERNELS(NAME, TARGET, W, VEC, LOAD, STORE, SET1, ADD, SUB, MUL, DIV, ZERO, SINF, COSF, EXPF)   \
  __attribute__((target(TARGET))) void NAME##_unary(Unary f, const float* x, float* y, int64_t begin, int64_t end) { \
    const VEC one = SET1(1.0f);                                                                                    \
    int64_t i = begin;                                                                                             \
    for (; i + W <= end; i += W) {                                                                                 \
      const VEC v = LOAD(x + i);                                                                                   \
      VEC r;                                                                                                       \
      if (f == Unary::Sin) r = SINF(v);                                                                            \
      else if (f == Unary::Cos) r = COSF(v);                                                                       \
      else r = MUL(v, DIV(one, ADD(one, EXPF(SUB(ZERO(), v)))));                                                   \
      STORE(y + i, r);                                                                                             \
    }                                                                                                              \
    for (; i < end; ++i) y[i] = scalar(f, x[i]);                                                                   \
  }                                                                                                                \
  __attribute__((target(TARGET))) void NAME##_silu_grad(const float* dy, const float* x, float* dx, int64_t begin,  \
                                                        int64_t end) {                                             \
    const VEC one = SET1(1.0f);                                                                                    \
    int64_t i = begin;                                                                                             \
    for (; i + W <= end; i += W) {                                                                                 \
      const VEC v = LOAD(x + i);                                                                                   \
      const VEC s = DIV(one, ADD(one, EXPF(SUB(ZERO(), v))));                                                      \
      STORE(dx + i, MUL(MUL(LOAD(dy + i), s), ADD(one, MUL(v, SUB(one, s)))));                                     \
    }                                                                                                              \
    for (; i < end; ++i) dx[i] = scalar_silu_grad(dy[i], x[i]);                                                    \
  }

SPLAM_WIDTH_KERNELS(sse, "sse2", 4, __m128, _mm_loadu_ps, _mm_storeu_ps, _mm_set1_ps, _mm_add_ps, _mm_sub_ps,
                    _mm_mul_ps, _mm_div_ps, _mm_setzero_ps, _ZGVbN4v_sinf, _ZGVbN4v_cosf, _ZGVbN4v_expf)
SPLAM_WIDTH_KERNELS(avx2, "avx2", 8, __m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps,
                    _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps, _mm256_setzero_ps, _ZGVdN8v_sinf, _ZGVdN8v_cosf,
                    _ZGVdN8v_expf)
SPLAM_WIDTH_KERNELS(avx512, "avx512f", 16, __m512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps,
                    _mm512_sub_ps, _mm512_mul_ps, _mm512_div_ps, _mm512_setzero_ps, _ZGVeN16v_sinf, _ZGVeN16v_cosf,
                    _ZGVeN16v_expf)
#undef SPLAM_WIDTH_KERNELS

// Run body(begin, end) over [0, n) in blocks, in parallel when n is large.
template <class F>
void blocks(int64_t n, F body) {
  const int64_t count = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t b = 0; b < count; ++b) body(b * kBlock, std::min(n, (b + 1) * kBlock));
}

}  // namespace

void unary(Unary f, const float* x, float* y, int64_t n) {
  const Isa which = isa();
  blocks(n, [&](int64_t begin, int64_t end) {
    if (which == Isa::Avx512) avx512_unary(f, x, y, begin, end);
    else if (which == Isa::Avx2) avx2_unary(f, x, y, begin, end);
    else sse_unary(f, x, y, begin, end);
  });
}

void silu_grad(const float* dy, const float* x, float* dx, int64_t n) {
  const Isa which = isa();
  blocks(n, [&](int64_t begin, int64_t end) {
    if (which == Isa::Avx512) avx512_silu_grad(dy, x, dx, begin, end);
    else if (which == Isa::Avx2) avx2_silu_grad(dy, x, dx, begin, end);
    else sse_silu_grad(dy, x, dx, begin, end);
  });
}

}  // namespace splam
