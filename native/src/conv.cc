// conv2d, its input gradient and its filter gradient on oneDNN (Debian libdnnl, the library PyTorch's CPU
// convolutions use), NHWC float32, reading and writing the caller's buffers in place.
//
// Activations stay in the caller's plain NHWC layout; the filter is reordered from HWIO to the layout the primitive
// prefers (format `any`) and, for the filter gradient, back. Primitive descriptors and primitives are built once per
// geometry and cached per thread (building one JIT-compiles its kernel: milliseconds); the engine and stream are
// per thread as well, so Node worker threads each use their own. oneDNN threads through OpenMP: the calling
// thread's omp_get_max_threads() when the primitive is built (see addon.cc setThreads), which is part of the key.
//
// tfjs's geometry maps onto oneDNN's as: dilation d ↦ d − 1, padding left = (pad_top, pad_left), padding right
// = whatever makes oneDNN's floor((h + pl + pr − ((kh − 1)·d + 1)) / s) + 1 equal to oh, the smallest such value ≥ 0.
#include "conv.h"

#include <dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>

namespace splam {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

Context& context() {
  thread_local Context ctx;
  return ctx;
}

// The primitives of one geometry (with or without bias), built on first use.
struct ConvPlan {
  memory::desc x, y, f, bias;
  std::unique_ptr<dnnl::convolution_forward::primitive_desc> fwd_pd;
  std::unique_ptr<dnnl::convolution_forward> fwd;
  std::unique_ptr<dnnl::reorder> f_to_fwd;
  memory f_fwd;
  std::unique_ptr<dnnl::convolution_backward_data> bwd_data;
  std::unique_ptr<dnnl::reorder> f_to_bwd;
  memory f_bwd;
  std::unique_ptr<dnnl::convolution_backward_weights> bwd_weights;
  std::unique_ptr<dnnl::reorder> df_to_user;
  memory df_prim;
  memory::dims strides, dilates, pad_l, pad_r;
};

int64_t right_pad(int64_t in, int64_t out, int64_t k, int64_t s, int64_t d, int64_t pl) {
  return std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - in - pl);
}

ConvPlan& plan_for(const ConvGeometry& g, bool with_bias) {
  // A primitive keeps the thread count it was built with, so the count is part of the key.
  using Key = std::array<int64_t, 17>;
  thread_local std::map<Key, std::unique_ptr<ConvPlan>> cache;
  const Key key{g.n, g.h, g.w, g.ci, g.oh, g.ow, g.co, g.kh, g.kw, g.stride_h, g.stride_w, g.dilation_h, g.dilation_w,
                g.pad_top, g.pad_left, with_bias ? 1 : 0, omp_get_max_threads()};
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second;
  // A training or evaluation run sees a handful of shapes; a caller cycling through many (every batch size, say)
  // would otherwise grow the cache without bound, so it starts over past kMaxPlans.
  constexpr size_t kMaxPlans = 256;
  if (cache.size() >= kMaxPlans) cache.clear();

  Context& ctx = context();
  auto p = std::make_unique<ConvPlan>();
  p->x = memory::desc({g.n, g.ci, g.h, g.w}, f32, tag::nhwc);
  p->y = memory::desc({g.n, g.co, g.oh, g.ow}, f32, tag::nhwc);
  p->f = memory::desc({g.co, g.ci, g.kh, g.kw}, f32, tag::hwio);
  p->bias = memory::desc({g.co}, f32, tag::x);
  p->strides = {g.stride_h, g.stride_w};
  p->dilates = {g.dilation_h - 1, g.dilation_w - 1};
  p->pad_l = {g.pad_top, g.pad_left};
  p->pad_r = {right_pad(g.h, g.oh, g.kh, g.stride_h, g.dilation_h, g.pad_top),
              right_pad(g.w, g.ow, g.kw, g.stride_w, g.dilation_w, g.pad_left)};
  const memory::desc f_any({g.co, g.ci, g.kh, g.kw}, f32, tag::any);
  const auto fwd_desc =
      with_bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                                  p->x, f_any, p->bias, p->y, p->strides, p->dilates, p->pad_l, p->pad_r)
                : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                                  p->x, f_any, p->y, p->strides, p->dilates, p->pad_l, p->pad_r);
  p->fwd_pd = std::make_unique<dnnl::convolution_forward::primitive_desc>(fwd_desc, ctx.engine);
  p->fwd = std::make_unique<dnnl::convolution_forward>(*p->fwd_pd);
  p->f_fwd = memory(p->fwd_pd->weights_desc(), ctx.engine);
  p->f_to_fwd = std::make_unique<dnnl::reorder>(memory(p->f, ctx.engine, nullptr), p->f_fwd);
  ConvPlan& ref = *p;
  cache.emplace(key, std::move(p));
  return ref;
}

void ensure_backward(ConvPlan& p) {
  if (p.bwd_data) return;
  Context& ctx = context();
  const memory::desc f_any(p.f.dims(), f32, tag::any);
  const dnnl::convolution_backward_data::primitive_desc data_pd(
      dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, p.x, f_any, p.y, p.strides, p.dilates,
                                            p.pad_l, p.pad_r),
      ctx.engine, *p.fwd_pd);
  p.bwd_data = std::make_unique<dnnl::convolution_backward_data>(data_pd);
  p.f_bwd = memory(data_pd.weights_desc(), ctx.engine);
  p.f_to_bwd = std::make_unique<dnnl::reorder>(memory(p.f, ctx.engine, nullptr), p.f_bwd);
  const dnnl::convolution_backward_weights::primitive_desc weights_pd(
      dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, p.x, f_any, p.y, p.strides,
                                               p.dilates, p.pad_l, p.pad_r),
      ctx.engine, *p.fwd_pd);
  p.bwd_weights = std::make_unique<dnnl::convolution_backward_weights>(weights_pd);
  p.df_prim = memory(weights_pd.diff_weights_desc(), ctx.engine);
  p.df_to_user = std::make_unique<dnnl::reorder>(p.df_prim, memory(p.f, ctx.engine, nullptr));
}

// A memory object over a caller's buffer (const is cast away: oneDNN only reads sources).
memory wrap(const memory::desc& md, const float* data) {
  return memory(md, context().engine, const_cast<float*>(data));
}

}  // namespace

void conv2d_forward(const ConvGeometry& g, const float* x, const float* f, const float* bias, float* y) {
  ConvPlan& p = plan_for(g, bias != nullptr);
  Context& ctx = context();
  memory f_user = wrap(p.f, f);
  p.f_to_fwd->execute(ctx.stream, f_user, p.f_fwd);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, wrap(p.x, x)}, {DNNL_ARG_WEIGHTS, p.f_fwd}, {DNNL_ARG_DST, wrap(p.y, y)}};
  if (bias) args.insert({DNNL_ARG_BIAS, wrap(p.bias, bias)});
  p.fwd->execute(ctx.stream, args);
  ctx.stream.wait();
}

void conv2d_backprop_input(const ConvGeometry& g, const float* dy, const float* f, float* dx) {
  ConvPlan& p = plan_for(g, false);
  ensure_backward(p);
  Context& ctx = context();
  memory f_user = wrap(p.f, f);
  p.f_to_bwd->execute(ctx.stream, f_user, p.f_bwd);
  p.bwd_data->execute(ctx.stream, {{DNNL_ARG_DIFF_DST, wrap(p.y, dy)}, {DNNL_ARG_WEIGHTS, p.f_bwd}, {DNNL_ARG_DIFF_SRC, wrap(p.x, dx)}});
  ctx.stream.wait();
}

void conv2d_backprop_filter(const ConvGeometry& g, const float* x, const float* dy, float* df) {
  ConvPlan& p = plan_for(g, false);
  ensure_backward(p);
  Context& ctx = context();
  p.bwd_weights->execute(ctx.stream, {{DNNL_ARG_SRC, wrap(p.x, x)}, {DNNL_ARG_DIFF_DST, wrap(p.y, dy)}, {DNNL_ARG_DIFF_WEIGHTS, p.df_prim}});
  memory df_user = wrap(p.f, df);
  p.df_to_user->execute(ctx.stream, p.df_prim, df_user);
  ctx.stream.wait();
}

}  // namespace splam
