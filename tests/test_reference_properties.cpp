// Properties of the reference ops that hold for every configuration, checked on random ones:
// the scatter definition of MATH.md written out literally, and the adjoint identity with conv2d.
#include "random_config.h"
#include "test_util.h"

#include <convt/ops.h>
#include <convt/shape.h>

#include <random>

namespace convt {
namespace {

// MATH.md's scatter view, line for line: each input pixel stamps the kernel at (iy*s - p, ix*s - p).
Tensor conv_transpose2d_by_scatter(const Tensor& x4, const Tensor& w, const Tensor* b, const ConvTranspose2dParams& p) {
  const bool batched = x4.dim() == 4;
  const Tensor x = batched ? x4 : x4.reshaped({1, x4.size(0), x4.size(1), x4.size(2)});
  const ConvTranspose2dGeometry g = validate_conv_transpose2d(x.shape(), w.shape(), std::nullopt, p);
  std::vector<double> sums(static_cast<size_t>(g.batch * g.out_channels * g.out_h * g.out_w), 0.0);
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t c = 0; c < g.in_channels; ++c)
      for (int64_t co = 0; co < g.out_channels_per_group; ++co) {
        const int64_t out_channel = (c / g.in_channels_per_group) * g.out_channels_per_group + co;
        testing::for_each_landing(g, p, [&](int64_t iy, int64_t ix, int64_t ky, int64_t kx, int64_t oy, int64_t ox) {
          sums[static_cast<size_t>(((n * g.out_channels + out_channel) * g.out_h + oy) * g.out_w + ox)] +=
              static_cast<double>(x.at(n, c, iy, ix)) * w.at(c, co, ky, kx);
        });
      }
  Tensor y({g.batch, g.out_channels, g.out_h, g.out_w});
  for (int64_t i = 0; i < y.numel(); ++i) {
    const int64_t channel = (i / (g.out_h * g.out_w)) % g.out_channels;
    y[i] = static_cast<float>(sums[static_cast<size_t>(i)] + (b ? (*b)[channel] : 0.0));
  }
  return batched ? y : y.reshaped({g.out_channels, g.out_h, g.out_w});
}

using testing::dot;

TEST(ReferenceProperties, GatherEqualsLiteralScatterDefinition) {
  std::mt19937_64 rng(2024);
  for (int trial = 0; trial < 150; ++trial) {
    const testing::RandomCase c = testing::random_conv_transpose2d_case(rng);
    const Tensor* bias = c.bias ? &*c.bias : nullptr;
    const Tensor expected = conv_transpose2d_by_scatter(c.input, c.weight, bias, c.params);
    const Tensor actual = conv_transpose2d_reference(c.input, c.weight, bias, c.params);
    const Tensor scale = testing::conv_transpose2d_term_scale(c.input, c.weight, bias, c.params);
    ASSERT_TRUE(testing::all_close_to_scale(actual, expected, scale, 1e-6))
        << "trial " << trial << " input " << shape_to_string(c.input.shape()) << " weight "
        << shape_to_string(c.weight.shape());
  }
}

// <conv2d(a, w), b> == <a, conv_transpose2d(b, w)>: conv_transpose2d is the adjoint of conv2d with the same
// stride, padding, dilation and groups, with output_padding choosing which of the s input sizes to produce.
TEST(ReferenceProperties, AdjointOfConv2d) {
  std::mt19937_64 rng(7);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int checked = 0;
  while (checked < 120) {
    const Conv2dParams p = testing::random_conv2d_params(rng);
    const int64_t ci = p.groups * pick(1, 3), co = p.groups * pick(1, 3), n = pick(1, 2);
    const Shape a_shape{n, ci, pick(1, 10), pick(1, 10)};
    const Shape w_shape{co, ci / p.groups, pick(1, 4), pick(1, 4)};
    Conv2dGeometry g;
    try {
      g = validate_conv2d(a_shape, w_shape, std::nullopt, p);
    } catch (const std::exception&) {
      continue;  // kernel larger than the padded input
    }
    const Tensor a = Tensor::randn(a_shape, rng()), w = Tensor::randn(w_shape, rng());
    const Tensor b = Tensor::randn(g.output_shape(), rng());
    const IntPair op{a_shape[2] - transposed_axis_size(g.out_h, w_shape[2], p.stride.h, p.padding.h, 0, p.dilation.h).output,
                     a_shape[3] - transposed_axis_size(g.out_w, w_shape[3], p.stride.w, p.padding.w, 0, p.dilation.w).output};
    const ConvTranspose2dParams tp{p.stride, p.padding, op, p.dilation, p.groups};
    const Tensor forward = conv2d_reference(a, w, nullptr, p);
    const Tensor transposed = conv_transpose2d_reference(b, w, nullptr, tp);
    ASSERT_EQ(transposed.shape(), a.shape());
    const double lhs = dot(forward, b), rhs = dot(a, transposed);
    const double scale =
        dot(conv2d_reference(testing::abs_of(a), testing::abs_of(w), nullptr, p), testing::abs_of(b));
    ASSERT_NEAR(lhs, rhs, 1e-5 * scale) << "case " << checked;
    ++checked;
  }
}

}  // namespace
}  // namespace convt
