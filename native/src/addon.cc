// splam_native: N-API entry points for the oneDNN-backed kernels of lib/backend/native.ts.
//
// Every array argument is a Float32Array (any view, including one over the wasm heap of tfjs-backend-wasm); the
// kernels read and write through its data pointer, so nothing is copied. Sizes are checked against each view's
// length before any work, so a wrong shape throws a RangeError instead of touching memory outside the view.
//
//   gemm(a, b, c, [batch, m, n, k, transA, transB, strideA, strideB, strideC], bias | null)
//       c_i = op(a_i) · op(b_i) (+ bias[n] on every row) for i < batch, op = transpose where asked;
//       a_i = a + i·strideA (0 broadcasts).
//   conv2d(x, filter, bias | null, y, geometry)          y  = conv2d(x, filter) (+ bias)
//   conv2dBackpropInput(dy, filter, dx, geometry)        dx = ∂/∂x
//   conv2dBackpropFilter(x, dy, dFilter, geometry)       dF = ∂/∂filter
//       geometry = [n, h, w, ci, oh, ow, co, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft]
//   groupNorm(x, gamma, beta, y, mean, rstd, [b, s, c, g], eps)           y = GroupNorm(x); mean, rstd [b, g]
//   groupNormGrad(dy, x, gamma, mean, rstd, dx, dGamma, dBeta, [b, s, c, g])
//       x seen as [b, s, c] (channels last), g groups (group_norm.h)
//   adamw(p, g, m, v, p2, m2, v2, [lr, beta1, beta2, eps, weightDecay, scale, bc1, bc2])   one AdamW step
//   sumSquares([x0, x1, …])                              Σ_i Σ x_i² in float64
//   sin(x, y) / cos(x, y) / silu(x, y)                   y = sin x, cos x, x·σ(x) (float32, vectorised)
//   siluGrad(dy, x, dx)                                  dx = dy·σ(x)·(1 + x·(1 − σ(x)))
//   sumMid(x, y, [outer, mid, inner])                    y [outer, inner] = Σ over mid of x [outer, mid, inner]
//   threads() / setThreads(n)                            OpenMP threads of the calling thread (each Node worker
//                                                        thread has its own count)
//   info()                                               { library, isa, threads }
//
// gemm is oneDNN's dnnl_sgemm (row-major); the convolutions are oneDNN primitives (conv.cc). oneDNN errors
// (dnnl::error) become JavaScript errors with code ERR_SPLAM_NATIVE_DNNL.
#include <dnnl.hpp>
#include <node_api.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "adamw.h"
#include "conv.h"
#include "elementwise.h"
#include "group_norm.h"
#include "reduce.h"

namespace {

struct Floats {
  float* data = nullptr;
  int64_t length = 0;
};

#define CHECK_NAPI(env, call)                                          \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error((env), "ENATIVE", "N-API call failed: " #call); \
      return false;                                                    \
    }                                                                  \
  } while (0)

bool throw_range(napi_env env, const std::string& message) {
  napi_throw_range_error(env, "ERR_SPLAM_NATIVE_SHAPE", message.c_str());
  return false;
}

bool get_floats(napi_env env, napi_value v, const char* name, Floats* out) {
  bool is_typed = false;
  CHECK_NAPI(env, napi_is_typedarray(env, v, &is_typed));
  if (!is_typed) {
    napi_throw_type_error(env, "ERR_SPLAM_NATIVE_ARG", (std::string(name) + " must be a Float32Array").c_str());
    return false;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  CHECK_NAPI(env, napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr));
  if (type != napi_float32_array) {
    napi_throw_type_error(env, "ERR_SPLAM_NATIVE_ARG", (std::string(name) + " must be a Float32Array").c_str());
    return false;
  }
  out->data = static_cast<float*>(data);
  out->length = static_cast<int64_t>(length);
  return true;
}

bool is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  return t == napi_null || t == napi_undefined;
}

bool get_ints(napi_env env, napi_value v, const char* name, int64_t* out, uint32_t count) {
  bool is_array = false;
  CHECK_NAPI(env, napi_is_array(env, v, &is_array));
  uint32_t length = 0;
  if (is_array) CHECK_NAPI(env, napi_get_array_length(env, v, &length));
  if (!is_array || length != count) {
    napi_throw_type_error(env, "ERR_SPLAM_NATIVE_ARG",
                          (std::string(name) + " must be an array of " + std::to_string(count) + " integers").c_str());
    return false;
  }
  for (uint32_t i = 0; i < count; ++i) {
    napi_value e;
    CHECK_NAPI(env, napi_get_element(env, v, i, &e));
    double d = 0;
    if (napi_get_value_double(env, e, &d) != napi_ok || d != static_cast<double>(static_cast<int64_t>(d)) || d < 0) {
      napi_throw_type_error(env, "ERR_SPLAM_NATIVE_ARG",
                            (std::string(name) + "[" + std::to_string(i) + "] must be a non-negative integer").c_str());
      return false;
    }
    out[i] = static_cast<int64_t>(d);
  }
  return true;
}

bool need(napi_env env, const Floats& f, const char* name, int64_t size) {
  if (f.length >= size) return true;
  return throw_range(env, std::string(name) + " has " + std::to_string(f.length) + " floats, needs " +
                              std::to_string(size));
}

template <size_t N>
bool args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != N) {
    napi_throw_type_error(env, "ERR_SPLAM_NATIVE_ARG", ("expected " + std::to_string(N) + " arguments").c_str());
    return false;
  }
  return true;
}

napi_value Gemm(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args(env, info, argv)) return nullptr;
  Floats a, b, c, bias;
  int64_t p[9];
  const bool has_bias = !is_null(env, argv[4]);
  if (!get_floats(env, argv[0], "a", &a) || !get_floats(env, argv[1], "b", &b) || !get_floats(env, argv[2], "c", &c) ||
      !get_ints(env, argv[3], "dims", p, 9) || (has_bias && !get_floats(env, argv[4], "bias", &bias)))
    return nullptr;
  const int64_t batch = p[0], m = p[1], n = p[2], k = p[3];
  const bool ta = p[4] != 0, tb = p[5] != 0;
  const int64_t sa = p[6], sb = p[7], sc = p[8];
  if (batch == 0 || m == 0 || n == 0) return nullptr;
  if (!need(env, a, "a", (batch - 1) * sa + m * k) || !need(env, b, "b", (batch - 1) * sb + k * n) ||
      !need(env, c, "c", (batch - 1) * sc + m * n) || (has_bias && !need(env, bias, "bias", n)))
    return nullptr;
  // Leading dimensions must be ≥ 1 even for empty operands (OpenBLAS rejects 0).
  const int64_t lda = std::max<int64_t>(1, ta ? m : k), ldb = std::max<int64_t>(1, tb ? k : n);
  for (int64_t i = 0; i < batch; ++i) {
    float* ci = c.data + i * sc;
    if (has_bias) {  // C starts as the bias in every row, and the product is added to it
      for (int64_t r = 0; r < m; ++r) std::copy(bias.data, bias.data + n, ci + r * n);
    }
    if (k == 0) {  // an empty sum: dnnl_sgemm leaves C untouched there instead of scaling it by beta = 0
      if (!has_bias) std::fill(ci, ci + m * n, 0.0f);
      continue;
    }
    const dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a.data + i * sa, lda,
                                        b.data + i * sb, ldb, has_bias ? 1.0f : 0.0f, ci, n);
    if (st != dnnl_success) {
      napi_throw_error(env, "ERR_SPLAM_NATIVE_DNNL", ("dnnl_sgemm failed with status " + std::to_string(st)).c_str());
      return nullptr;
    }
  }
  return nullptr;
}

bool geometry(napi_env env, napi_value v, splam::ConvGeometry* g) {
  int64_t p[15];
  if (!get_ints(env, v, "geometry", p, 15)) return false;
  *g = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
  if (g->stride_h == 0 || g->stride_w == 0 || g->dilation_h == 0 || g->dilation_w == 0)
    return throw_range(env, "strides and dilations must be ≥ 1");
  return true;
}

// Run a oneDNN call; a dnnl::error becomes a JavaScript error.
template <class F>
void guarded(napi_env env, F&& body) {
  try {
    body();
  } catch (const dnnl::error& e) {
    napi_throw_error(env, "ERR_SPLAM_NATIVE_DNNL", (std::string("oneDNN: ") + e.what()).c_str());
  }
}

// Sizes oneDNN rejects: no output, or no input channels (y = bias, or 0). Returns true when handled here.
bool empty_output(const splam::ConvGeometry& g, float* y, const float* bias) {
  const int64_t pixels = g.n * g.oh * g.ow;
  if (pixels * g.co == 0) return true;
  if (g.ci * g.kh * g.kw != 0 && g.h * g.w != 0) return false;
  for (int64_t r = 0; r < pixels; ++r)
    for (int64_t c = 0; c < g.co; ++c) y[r * g.co + c] = bias ? bias[c] : 0.0f;
  return true;
}

napi_value Conv2D(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args(env, info, argv)) return nullptr;
  Floats x, f, bias, y;
  splam::ConvGeometry g;
  const bool has_bias = !is_null(env, argv[2]);
  if (!get_floats(env, argv[0], "x", &x) || !get_floats(env, argv[1], "filter", &f) ||
      (has_bias && !get_floats(env, argv[2], "bias", &bias)) || !get_floats(env, argv[3], "y", &y) ||
      !geometry(env, argv[4], &g))
    return nullptr;
  if (!need(env, x, "x", g.input_size()) || !need(env, f, "filter", g.filter_size()) ||
      (has_bias && !need(env, bias, "bias", g.co)) || !need(env, y, "y", g.output_size()))
    return nullptr;
  if (empty_output(g, y.data, has_bias ? bias.data : nullptr)) return nullptr;
  guarded(env, [&] { splam::conv2d_forward(g, x.data, f.data, has_bias ? bias.data : nullptr, y.data); });
  return nullptr;
}

napi_value Conv2DBackpropInput(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, argv)) return nullptr;
  Floats dy, f, dx;
  splam::ConvGeometry g;
  if (!get_floats(env, argv[0], "dy", &dy) || !get_floats(env, argv[1], "filter", &f) ||
      !get_floats(env, argv[2], "dx", &dx) || !geometry(env, argv[3], &g))
    return nullptr;
  if (!need(env, dy, "dy", g.output_size()) || !need(env, f, "filter", g.filter_size()) ||
      !need(env, dx, "dx", g.input_size()))
    return nullptr;
  if (g.input_size() == 0) return nullptr;
  if (g.output_size() == 0) {  // (n > 0 here)
    std::fill(dx.data, dx.data + g.input_size(), 0.0f);
    return nullptr;
  }
  guarded(env, [&] { splam::conv2d_backprop_input(g, dy.data, f.data, dx.data); });
  return nullptr;
}

napi_value Conv2DBackpropFilter(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, argv)) return nullptr;
  Floats x, dy, df;
  splam::ConvGeometry g;
  if (!get_floats(env, argv[0], "x", &x) || !get_floats(env, argv[1], "dy", &dy) ||
      !get_floats(env, argv[2], "dFilter", &df) || !geometry(env, argv[3], &g))
    return nullptr;
  if (!need(env, x, "x", g.input_size()) || !need(env, dy, "dy", g.output_size()) ||
      !need(env, df, "dFilter", g.filter_size()))
    return nullptr;
  if (g.filter_size() == 0) return nullptr;
  if (g.output_size() == 0) {  // (co > 0 here)
    std::fill(df.data, df.data + g.filter_size(), 0.0f);
    return nullptr;
  }
  guarded(env, [&] { splam::conv2d_backprop_filter(g, x.data, dy.data, df.data); });
  return nullptr;
}

bool group_geometry(napi_env env, napi_value v, splam::GroupNormGeometry* geo) {
  int64_t p[4];
  if (!get_ints(env, v, "geometry", p, 4)) return false;
  *geo = {p[0], p[1], p[2], p[3]};
  if (geo->g < 1 || geo->c % geo->g != 0) return throw_range(env, "groups must be ≥ 1 and divide the channels");
  return true;
}

napi_value GroupNorm(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args(env, info, argv)) return nullptr;
  Floats x, gamma, beta, y, mean, rstd;
  splam::GroupNormGeometry geo;
  double eps = 0;
  if (!get_floats(env, argv[0], "x", &x) || !get_floats(env, argv[1], "gamma", &gamma) ||
      !get_floats(env, argv[2], "beta", &beta) || !get_floats(env, argv[3], "y", &y) ||
      !get_floats(env, argv[4], "mean", &mean) || !get_floats(env, argv[5], "rstd", &rstd) ||
      !group_geometry(env, argv[6], &geo))
    return nullptr;
  if (napi_get_value_double(env, argv[7], &eps) != napi_ok || !(eps >= 0)) {
    throw_range(env, "eps must be a number ≥ 0");
    return nullptr;
  }
  const int64_t size = geo.b * geo.s * geo.c;
  if (!need(env, x, "x", size) || !need(env, y, "y", size) || !need(env, gamma, "gamma", geo.c) ||
      !need(env, beta, "beta", geo.c) || !need(env, mean, "mean", geo.b * geo.g) || !need(env, rstd, "rstd", geo.b * geo.g))
    return nullptr;
  splam::group_norm_forward(geo, x.data, gamma.data, beta.data, static_cast<float>(eps), y.data, mean.data, rstd.data);
  return nullptr;
}

napi_value GroupNormGrad(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!args(env, info, argv)) return nullptr;
  Floats dy, x, gamma, mean, rstd, dx, dgamma, dbeta;
  splam::GroupNormGeometry geo;
  if (!get_floats(env, argv[0], "dy", &dy) || !get_floats(env, argv[1], "x", &x) ||
      !get_floats(env, argv[2], "gamma", &gamma) || !get_floats(env, argv[3], "mean", &mean) ||
      !get_floats(env, argv[4], "rstd", &rstd) || !get_floats(env, argv[5], "dx", &dx) ||
      !get_floats(env, argv[6], "dGamma", &dgamma) || !get_floats(env, argv[7], "dBeta", &dbeta) ||
      !group_geometry(env, argv[8], &geo))
    return nullptr;
  const int64_t size = geo.b * geo.s * geo.c;
  if (!need(env, dy, "dy", size) || !need(env, x, "x", size) || !need(env, dx, "dx", size) ||
      !need(env, gamma, "gamma", geo.c) || !need(env, dgamma, "dGamma", geo.c) || !need(env, dbeta, "dBeta", geo.c) ||
      !need(env, mean, "mean", geo.b * geo.g) || !need(env, rstd, "rstd", geo.b * geo.g))
    return nullptr;
  splam::group_norm_backward(geo, dy.data, x.data, gamma.data, mean.data, rstd.data, dx.data, dgamma.data, dbeta.data);
  return nullptr;
}

napi_value AdamW(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args(env, info, argv)) return nullptr;
  Floats p, g, m, v, p2, m2, v2;
  if (!get_floats(env, argv[0], "p", &p) || !get_floats(env, argv[1], "g", &g) || !get_floats(env, argv[2], "m", &m) ||
      !get_floats(env, argv[3], "v", &v) || !get_floats(env, argv[4], "p2", &p2) || !get_floats(env, argv[5], "m2", &m2) ||
      !get_floats(env, argv[6], "v2", &v2))
    return nullptr;
  double h[8];
  bool is_array = false;
  uint32_t length = 0;
  napi_is_array(env, argv[7], &is_array);
  if (is_array) napi_get_array_length(env, argv[7], &length);
  if (!is_array || length != 8) {
    napi_throw_type_error(env, "ERR_SPLAM_NATIVE_ARG", "hyper must be [lr, beta1, beta2, eps, weightDecay, scale, bc1, bc2]");
    return nullptr;
  }
  for (uint32_t i = 0; i < 8; ++i) {
    napi_value e;
    napi_get_element(env, argv[7], i, &e);
    if (napi_get_value_double(env, e, &h[i]) != napi_ok || !std::isfinite(h[i])) {
      throw_range(env, "hyper[" + std::to_string(i) + "] must be a finite number");
      return nullptr;
    }
  }
  const int64_t n = p.length;
  if (!need(env, g, "g", n) || !need(env, m, "m", n) || !need(env, v, "v", n) || !need(env, p2, "p2", n) ||
      !need(env, m2, "m2", n) || !need(env, v2, "v2", n))
    return nullptr;
  splam::adamw({h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]}, p.data, g.data, m.data, v.data, p2.data, m2.data,
               v2.data, n);
  return nullptr;
}

napi_value SumSquares(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, argv)) return nullptr;
  bool is_array = false;
  uint32_t count = 0;
  napi_is_array(env, argv[0], &is_array);
  if (!is_array) {
    napi_throw_type_error(env, "ERR_SPLAM_NATIVE_ARG", "sumSquares takes an array of Float32Arrays");
    return nullptr;
  }
  napi_get_array_length(env, argv[0], &count);
  double total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    napi_value e;
    napi_get_element(env, argv[0], i, &e);
    Floats x;
    if (!get_floats(env, e, "x[i]", &x)) return nullptr;
    total += splam::sum_squares(x.data, x.length);
  }
  napi_value out;
  napi_create_double(env, total, &out);
  return out;
}

template <splam::Unary F>
napi_value UnaryOp(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, argv)) return nullptr;
  Floats x, y;
  if (!get_floats(env, argv[0], "x", &x) || !get_floats(env, argv[1], "y", &y)) return nullptr;
  if (!need(env, y, "y", x.length)) return nullptr;
  splam::unary(F, x.data, y.data, x.length);
  return nullptr;
}

napi_value SiluGrad(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, argv)) return nullptr;
  Floats dy, x, dx;
  if (!get_floats(env, argv[0], "dy", &dy) || !get_floats(env, argv[1], "x", &x) || !get_floats(env, argv[2], "dx", &dx))
    return nullptr;
  if (!need(env, dy, "dy", x.length) || !need(env, dx, "dx", x.length)) return nullptr;
  splam::silu_grad(dy.data, x.data, dx.data, x.length);
  return nullptr;
}

napi_value SumMid(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, argv)) return nullptr;
  Floats x, y;
  int64_t d[3];
  if (!get_floats(env, argv[0], "x", &x) || !get_floats(env, argv[1], "y", &y) || !get_ints(env, argv[2], "dims", d, 3))
    return nullptr;
  if (!need(env, x, "x", d[0] * d[1] * d[2]) || !need(env, y, "y", d[0] * d[2])) return nullptr;
  splam::sum_mid(x.data, y.data, d[0], d[1], d[2]);
  return nullptr;
}

napi_value Threads(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_int32(env, omp_get_max_threads(), &out);
  return out;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, argv)) return nullptr;
  double n = 0;
  if (napi_get_value_double(env, argv[0], &n) != napi_ok || n < 1 || n > 1024 || n != static_cast<int>(n)) {
    throw_range(env, "threads must be an integer from 1 to 1024");
    return nullptr;
  }
  omp_set_num_threads(static_cast<int>(n));
  return nullptr;
}

napi_value Info(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  const std::string library = "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                              std::to_string(v->patch) + (v->cpu_runtime == DNNL_RUNTIME_OMP ? " (OpenMP)" : "");
  const char* isa = "unknown";
  switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: isa = "sse41"; break;
    case dnnl_cpu_isa_avx: isa = "avx"; break;
    case dnnl_cpu_isa_avx2: isa = "avx2"; break;
    case dnnl_cpu_isa_avx512_core: isa = "avx512_core"; break;
    case dnnl_cpu_isa_avx512_core_vnni: isa = "avx512_core_vnni"; break;
    case dnnl_cpu_isa_avx512_core_bf16: isa = "avx512_core_bf16"; break;
    case dnnl_cpu_isa_avx512_core_amx: isa = "avx512_core_amx"; break;
    default: break;
  }
  napi_value out, lib, isa_v, threads;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, library.c_str(), NAPI_AUTO_LENGTH, &lib);
  napi_create_string_utf8(env, isa, NAPI_AUTO_LENGTH, &isa_v);
  napi_create_int32(env, omp_get_max_threads(), &threads);
  napi_set_named_property(env, out, "library", lib);
  napi_set_named_property(env, out, "isa", isa_v);
  napi_set_named_property(env, out, "threads", threads);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2d", nullptr, Conv2D, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2DBackpropInput, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2DBackpropFilter, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"groupNorm", nullptr, GroupNorm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"groupNormGrad", nullptr, GroupNormGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adamw", nullptr, AdamW, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sumSquares", nullptr, SumSquares, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sin", nullptr, UnaryOp<splam::Unary::Sin>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"cos", nullptr, UnaryOp<splam::Unary::Cos>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"silu", nullptr, UnaryOp<splam::Unary::Silu>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"siluGrad", nullptr, SiluGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sumMid", nullptr, SumMid, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"threads", nullptr, Threads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
