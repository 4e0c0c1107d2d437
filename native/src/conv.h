// conv2d and its two gradients (NHWC, float32) on oneDNN; see conv.cc. addon.cc holds the JavaScript entry points.
#pragma once
#include <cstdint>

namespace splam {

// One 2-D convolution: input [n, h, w, ci], filter [kh, kw, ci, co] (HWIO), output [n, oh, ow, co].
// pad_top / pad_left are the zero padding before the first row / column (tfjs's computeConv2DInfo); the padding
// after is implied by oh / ow.
struct ConvGeometry {
  int64_t n, h, w, ci;
  int64_t oh, ow, co;
  int64_t kh, kw;
  int64_t stride_h, stride_w;
  int64_t dilation_h, dilation_w;
  int64_t pad_top, pad_left;
  int64_t input_size() const { return n * h * w * ci; }     // floats in x (and dx)
  int64_t output_size() const { return n * oh * ow * co; }  // floats in y (and dy)
  int64_t filter_size() const { return kh * kw * ci * co; } // floats in the filter (and its gradient)
};

// y = conv2d(x, f) (+ bias[co] when bias is not null).
void conv2d_forward(const ConvGeometry& g, const float* x, const float* f, const float* bias, float* y);
// dx = the gradient of Σ dy ⊙ conv2d(x, f) with respect to x.
void conv2d_backprop_input(const ConvGeometry& g, const float* dy, const float* f, float* dx);
// df = the gradient of Σ dy ⊙ conv2d(x, f) with respect to f.
void conv2d_backprop_filter(const ConvGeometry& g, const float* x, const float* dy, float* df);

}  // namespace splam
