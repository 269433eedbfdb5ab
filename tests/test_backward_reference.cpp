// The reference backward passes of conv_transpose2d and conv2d, checked three independent ways on random
// configurations that vary every parameter (groups, dilation, output_padding, asymmetric pairs, k < s, unbatched
// input, bias or not):
// - finite differences of <grad_output, y> in double, with y written out here from the definition (the loss is
//   linear in each of x, w and b, so a central difference is exact up to double rounding);
// - the identities the issue states: conv_transpose2d's grad_input is conv2d(grad_output, w), and conv2d's is
//   conv_transpose2d(grad_output, w) with the output_padding that gives back the input's size;
// - grad_bias is grad_output summed over the batch and the pixels.
// Tolerances scale with the sum of the absolute terms (the same backward on |x|, |w|, |grad_output|).
#include "random_config.h"
#include "test_util.h"

#include <convt/error.h>
#include <convt/ops.h>
#include <convt/shape.h>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

namespace convt {
namespace {

using testing::abs_of;
using testing::all_close_to_scale;

// <g, conv_transpose2d(x, w, b)> in double, term by term from the definition (oy = iy*s - p + ky*d).
double transposed_loss(const Tensor& x, const Tensor& w, const Tensor* b, const Tensor& g, const ConvTranspose2dParams& p) {
  const ConvTranspose2dGeometry geo = validate_conv_transpose2d(x.shape(), w.shape(), std::nullopt, p);
  const int64_t Cig = geo.in_channels_per_group, Cog = geo.out_channels_per_group;
  double loss = 0;
  for (int64_t n = 0; n < geo.batch; ++n)
    for (int64_t ci = 0; ci < geo.in_channels; ++ci)
      for (int64_t co = 0; co < Cog; ++co) {
        const int64_t out_channel = ci / Cig * Cog + co;
        testing::for_each_landing(geo, p, [&](int64_t iy, int64_t ix, int64_t ky, int64_t kx, int64_t oy, int64_t ox) {
          loss += static_cast<double>(g[((n * geo.out_channels + out_channel) * geo.out_h + oy) * geo.out_w + ox]) *
                  x[((n * geo.in_channels + ci) * geo.in_h + iy) * geo.in_w + ix] *
                  w[((ci * Cog + co) * geo.kernel_h + ky) * geo.kernel_w + kx];
        });
      }
  if (b)
    for (int64_t i = 0; i < g.numel(); ++i) loss += static_cast<double>(g[i]) * (*b)[i / (geo.out_h * geo.out_w) % geo.out_channels];
  return loss;
}

// <g, conv2d(x, w, b)> in double, from the definition (iy = oy*s - p + ky*d).
double conv2d_loss(const Tensor& x, const Tensor& w, const Tensor* b, const Tensor& g, const Conv2dParams& p) {
  const Conv2dGeometry geo = validate_conv2d(x.shape(), w.shape(), std::nullopt, p);
  const int64_t Cig = geo.in_channels_per_group, Cog = geo.out_channels_per_group;
  double loss = 0;
  for (int64_t n = 0; n < geo.batch; ++n)
    for (int64_t co = 0; co < geo.out_channels; ++co)
      for (int64_t ci = 0; ci < Cig; ++ci)
        for (int64_t oy = 0; oy < geo.out_h; ++oy)
          for (int64_t ox = 0; ox < geo.out_w; ++ox)
            for (int64_t ky = 0; ky < geo.kernel_h; ++ky)
              for (int64_t kx = 0; kx < geo.kernel_w; ++kx) {
                const int64_t iy = oy * p.stride.h - p.padding.h + ky * p.dilation.h;
                const int64_t ix = ox * p.stride.w - p.padding.w + kx * p.dilation.w;
                if (iy < 0 || iy >= geo.in_h || ix < 0 || ix >= geo.in_w) continue;
                loss += static_cast<double>(g[((n * geo.out_channels + co) * geo.out_h + oy) * geo.out_w + ox]) *
                        x[((n * geo.in_channels + co / Cog * Cig + ci) * geo.in_h + iy) * geo.in_w + ix] *
                        w[((co * Cig + ci) * geo.kernel_h + ky) * geo.kernel_w + kx];
              }
  if (b)
    for (int64_t i = 0; i < g.numel(); ++i) loss += static_cast<double>(g[i]) * (*b)[i / (geo.out_h * geo.out_w) % geo.out_channels];
  return loss;
}

// The leading rows and columns of the last two dimensions of `t`, to `like`'s size.
Tensor cropped_like(const Tensor& t, const Tensor& like) {
  Tensor out(like.shape());
  const int64_t h = like.size(-2), w = like.size(-1), th = t.size(-2), tw = t.size(-1);
  for (int64_t plane = 0; plane < out.numel() / (h * w); ++plane)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) out[(plane * h + y) * w + x] = t[(plane * th + y) * tw + x];
  return out;
}

// Compares grad[i] with the central difference of `loss` in element i of `t`, on up to 12 random elements.
void expect_finite_differences(const char* what, Tensor t, const Tensor& grad, const Tensor& scale,
                               const std::function<double(const Tensor&)>& loss, std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> element(0, t.numel() - 1);
  for (int trial = 0; trial < 12; ++trial) {
    const int64_t i = element(rng);
    const float saved = t[i];
    t[i] = saved + 0.5f;
    const double up = loss(t);
    t[i] = saved - 0.5f;
    const double down = loss(t);
    t[i] = saved;
    const double numeric = up - down;  // (L(+h) - L(-h)) / 2h with h = 0.5
    ASSERT_NEAR(grad[i], numeric, 1e-5 * (1.0 + scale[i])) << what << " element " << i;
  }
}

TEST(BackwardReference, ConvTranspose2dMatchesFiniteDifferencesAndTheIdentities) {
  std::mt19937_64 rng(12);
  for (int trial = 0; trial < 120; ++trial) {
    const testing::RandomCase c = testing::random_conv_transpose2d_case(rng, 6);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": input " + shape_to_string(c.input.shape()) + ", weight " +
                 shape_to_string(c.weight.shape()));
    const Tensor* bias = c.bias ? &*c.bias : nullptr;
    const Shape out = validate_conv_transpose2d(c.input.shape(), c.weight.shape(), std::nullopt, c.params).output_shape();
    const Tensor g = Tensor::randn(out, rng());
    const ConvGradients grads = conv_transpose2d_backward_reference(c.input, c.weight, bias != nullptr, g, c.params);
    const ConvGradients scale = conv_transpose2d_backward_reference(abs_of(c.input), abs_of(c.weight), bias != nullptr,
                                                                    abs_of(g), c.params);
    ASSERT_EQ(grads.grad_input.shape(), c.input.shape());
    ASSERT_EQ(grads.grad_weight.shape(), c.weight.shape());
    expect_finite_differences("grad_input", c.input, grads.grad_input, scale.grad_input,
                              [&](const Tensor& x) { return transposed_loss(x, c.weight, bias, g, c.params); }, rng);
    expect_finite_differences("grad_weight", c.weight, grads.grad_weight, scale.grad_weight,
                              [&](const Tensor& w) { return transposed_loss(c.input, w, bias, g, c.params); }, rng);
    if (bias) {
      ASSERT_TRUE(grads.grad_bias.has_value());
      expect_finite_differences("grad_bias", *c.bias, *grads.grad_bias, *scale.grad_bias,
                                [&](const Tensor& b) { return transposed_loss(c.input, c.weight, &b, g, c.params); }, rng);
    } else {
      EXPECT_FALSE(grads.grad_bias.has_value());
    }
    // grad_input is a conv2d of grad_output with the same weight, stride, padding, dilation and groups. When
    // output_padding reaches the stride (allowed through dilation), that conv2d has a row or column more than the
    // input: its extra outputs belong to no input pixel.
    const Conv2dParams as_conv{c.params.stride, c.params.padding, c.params.dilation, c.params.groups};
    const Tensor via_conv2d = conv2d_reference(g, c.weight, nullptr, as_conv);
    ASSERT_GE(via_conv2d.size(-2), c.input.size(-2));
    ASSERT_GE(via_conv2d.size(-1), c.input.size(-1));
    EXPECT_TRUE(all_close_to_scale(grads.grad_input, cropped_like(via_conv2d, c.input), scale.grad_input, 1e-5));
  }
}

TEST(BackwardReference, Conv2dMatchesFiniteDifferencesAndTheIdentities) {
  std::mt19937_64 rng(13);
  for (int trial = 0; trial < 120; ++trial) {
    const testing::RandomConv2dCase c = testing::random_conv2d_case(rng);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": input " + shape_to_string(c.input.shape()) + ", weight " +
                 shape_to_string(c.weight.shape()));
    const Conv2dGeometry geo = validate_conv2d(c.input.shape(), c.weight.shape(), std::nullopt, c.params);
    const Tensor g = Tensor::randn(geo.output_shape(), rng());
    const ConvGradients grads = conv2d_backward_reference(c.input, c.weight, true, g, c.params);
    const ConvGradients scale = conv2d_backward_reference(abs_of(c.input), abs_of(c.weight), true, abs_of(g), c.params);
    expect_finite_differences("grad_input", c.input, grads.grad_input, scale.grad_input,
                              [&](const Tensor& x) { return conv2d_loss(x, c.weight, &c.bias, g, c.params); }, rng);
    expect_finite_differences("grad_weight", c.weight, grads.grad_weight, scale.grad_weight,
                              [&](const Tensor& w) { return conv2d_loss(c.input, w, &c.bias, g, c.params); }, rng);
    expect_finite_differences("grad_bias", c.bias, *grads.grad_bias, *scale.grad_bias,
                              [&](const Tensor& b) { return conv2d_loss(c.input, c.weight, &b, g, c.params); }, rng);
    // grad_input is a conv_transpose2d of grad_output, with the output_padding that restores the input's size (the
    // rows and columns the forward conv2d's stride skipped at the end).
    const Conv2dParams& p = c.params;
    const IntPair output_padding{geo.in_h + 2 * p.padding.h - p.dilation.h * (geo.kernel_h - 1) - 1 - (geo.out_h - 1) * p.stride.h,
                                 geo.in_w + 2 * p.padding.w - p.dilation.w * (geo.kernel_w - 1) - 1 - (geo.out_w - 1) * p.stride.w};
    const ConvTranspose2dParams as_transposed{p.stride, p.padding, output_padding, p.dilation, p.groups};
    EXPECT_TRUE(all_close_to_scale(grads.grad_input, conv_transpose2d_reference(g, c.weight, nullptr, as_transposed),
                                   scale.grad_input, 1e-5));
  }
}

TEST(BackwardReference, GradOutputOfTheWrongShapeNamesTheExpectedOne) {
  const Tensor x = Tensor::randn({1, 2, 4, 4}, 1), w = Tensor::randn({2, 3, 3, 3}, 2);
  const ConvTranspose2dParams p{2, 1, 1, 1, 1};  // -> [1, 3, 8, 8]
  try {
    conv_transpose2d_backward_reference(x, w, false, Tensor::randn({1, 3, 7, 8}, 3), p);
    FAIL() << "a [1, 3, 7, 8] grad_output was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(e.parameter(), "grad_output");
    EXPECT_NE(std::string(e.what()).find("[1, 3, 8, 8]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(conv2d_backward_reference(x, Tensor::randn({3, 2, 3, 3}, 4), true, Tensor::randn({1, 3, 4, 4}, 5), {}), Error);
}

}  // namespace
}  // namespace convt
