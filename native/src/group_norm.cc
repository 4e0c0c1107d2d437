// Group normalisation on the CPU: two passes over the data per sample, channels innermost (vectorisable), samples
// in parallel. Per-channel sums accumulate in double, as the wasm kernels do; see group_norm.h.
#include "group_norm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace splam {

void group_norm_forward(const GroupNormGeometry& geo, const float* x, const float* gamma, const float* beta, float eps,
                        float* y, float* mean, float* rstd) {
  const int64_t S = geo.s, C = geo.c, G = geo.g, cg = C / G;
  const double n = static_cast<double>(S * cg);
#pragma omp parallel
  {
    std::vector<double> sum(C), sq(C);
    std::vector<float> a(C), k(C);
#pragma omp for schedule(static)
    for (int64_t b = 0; b < geo.b; ++b) {
      const float* xb = x + b * S * C;
      float* yb = y + b * S * C;
      std::fill(sum.begin(), sum.end(), 0.0);
      std::fill(sq.begin(), sq.end(), 0.0);
      for (int64_t o = 0; o < S; ++o) {
        const float* row = xb + o * C;
        for (int64_t c = 0; c < C; ++c) {
          const double v = row[c];
          sum[c] += v;
          sq[c] += v * v;
        }
      }
      for (int64_t gi = 0; gi < G; ++gi) {
        double s1 = 0, s2 = 0;
        for (int64_t c = gi * cg; c < (gi + 1) * cg; ++c) {
          s1 += sum[c];
          s2 += sq[c];
        }
        const double mu = s1 / n;
        const double r = 1.0 / std::sqrt(std::max(s2 / n - mu * mu, 0.0) + eps);
        mean[b * G + gi] = static_cast<float>(mu);
        rstd[b * G + gi] = static_cast<float>(r);
        for (int64_t c = gi * cg; c < (gi + 1) * cg; ++c) {
          a[c] = static_cast<float>(r * gamma[c]);
          k[c] = static_cast<float>(beta[c] - mu * r * gamma[c]);
        }
      }
      for (int64_t o = 0; o < S; ++o) {
        const float* row = xb + o * C;
        float* out = yb + o * C;
        for (int64_t c = 0; c < C; ++c) out[c] = row[c] * a[c] + k[c];
      }
    }
  }
}

void group_norm_backward(const GroupNormGeometry& geo, const float* dy, const float* x, const float* gamma,
                         const float* mean, const float* rstd, float* dx, float* dgamma, float* dbeta) {
  const int64_t B = geo.b, S = geo.s, C = geo.c, G = geo.g, cg = C / G;
  const double n = static_cast<double>(S * cg);
  // Per-sample partial sums of dβ and dγ, added up in sample order afterwards (deterministic for any thread count).
  std::vector<double> part_beta(B * C), part_gamma(B * C);
#pragma omp parallel
  {
    std::vector<double> sd(C), sdx(C);
    std::vector<float> P(C), Q(C), K(C);
#pragma omp for schedule(static)
    for (int64_t b = 0; b < B; ++b) {
      const float* dyb = dy + b * S * C;
      const float* xb = x + b * S * C;
      float* dxb = dx + b * S * C;
      std::fill(sd.begin(), sd.end(), 0.0);
      std::fill(sdx.begin(), sdx.end(), 0.0);
      for (int64_t o = 0; o < S; ++o) {
        const float* d = dyb + o * C;
        const float* v = xb + o * C;
        for (int64_t c = 0; c < C; ++c) {
          sd[c] += d[c];
          sdx[c] += static_cast<double>(d[c]) * v[c];
        }
      }
      for (int64_t gi = 0; gi < G; ++gi) {
        const double mu = mean[b * G + gi], r = rstd[b * G + gi];
        double A = 0, Bx = 0;
        for (int64_t c = gi * cg; c < (gi + 1) * cg; ++c) {
          const double s2 = (sdx[c] - mu * sd[c]) * r;  // Σ dy·x̂ for channel c
          part_beta[b * C + c] = sd[c];
          part_gamma[b * C + c] = s2;
          A += gamma[c] * sd[c];
          Bx += gamma[c] * s2;
        }
        // dx = r·γ_c·dy + x·(−r²·Bₓ/n) + (−r·A/n + r²·μ·Bₓ/n)
        const double q = -r * r * Bx / n;
        const double kk = -r * A / n - q * mu;
        for (int64_t c = gi * cg; c < (gi + 1) * cg; ++c) {
          P[c] = static_cast<float>(r * gamma[c]);
          Q[c] = static_cast<float>(q);
          K[c] = static_cast<float>(kk);
        }
      }
      for (int64_t o = 0; o < S; ++o) {
        const float* d = dyb + o * C;
        const float* v = xb + o * C;
        float* out = dxb + o * C;
        for (int64_t c = 0; c < C; ++c) out[c] = d[c] * P[c] + v[c] * Q[c] + K[c];
      }
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    double sb = 0, sg = 0;
    for (int64_t b = 0; b < B; ++b) {
      sb += part_beta[b * C + c];
      sg += part_gamma[b * C + c];
    }
    dbeta[c] = static_cast<float>(sb);
    dgamma[c] = static_cast<float>(sg);
  }
}

}  // namespace splam
