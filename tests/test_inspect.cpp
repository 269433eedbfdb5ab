// The pixel inspector, the 1-D matrix and the round trip (convt/inspect.h) against the reference backend, on
// random configurations with groups, dilation, output_padding, asymmetric ONNX padding and unbatched inputs.
#include "random_config.h"
#include "test_util.h"

#include <convt/error.h>
#include <convt/inspect.h>
#include <convt/reference.h>

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace convt {
namespace {

using testing::random_conv_transpose2d_case;

// float32 rounding of a sum of `magnitude`-sized terms.
double tolerance(double magnitude) { return 1e-5 * magnitude + 1e-30; }

TEST(Inspector, TermsSumToTheOutputOnRandomConfigurations) {
  std::mt19937_64 rng(20261130);
  int64_t checked_pixels = 0, nonempty = 0;
  for (int trial = 0; trial < 60; ++trial) {
    testing::RandomCase c = random_conv_transpose2d_case(rng, 7);
    if (trial % 4 == 3) {  // ONNX's separate end crop, within what keeps the output non-empty
      c.params.padding_end = IntPair{c.params.padding.h + 1, std::max<int64_t>(0, c.params.padding.w - 1)};
      try {
        validate_conv_transpose2d(c.input.shape(), c.weight.shape(), std::nullopt, c.params);
      } catch (const Error&) {
        c.params.padding_end.reset();
      }
    }
    const Tensor* bias = c.bias ? &*c.bias : nullptr;
    const Tensor y = conv_transpose2d_reference(c.input, c.weight, bias, c.params);
    const bool batched = y.dim() == 4;
    const int64_t n_count = batched ? y.size(0) : 1, channels = y.size(-3), oh = y.size(-2), ow = y.size(-1);
    for (int probe = 0; probe < 12; ++probe) {
      const int64_t n = static_cast<int64_t>(rng() % n_count), co = static_cast<int64_t>(rng() % channels);
      const int64_t oy = static_cast<int64_t>(rng() % oh), ox = static_cast<int64_t>(rng() % ow);
      const OutputPixelTerms terms = output_pixel_terms(c.input, c.weight, bias, c.params, n, co, oy, ox);
      const float shown = y[((n * channels + co) * oh + oy) * ow + ox];
      ASSERT_NEAR(terms.sum, shown, tolerance(terms.magnitude)) << "trial " << trial;
      // Each term names a real input pixel and tap: x and w read back from the tensors.
      for (const PixelTerm& t : terms.terms) {
        ASSERT_EQ(t.oy, oy);
        ASSERT_EQ(t.iy * c.params.stride.h - c.params.padding.h + t.ky * c.params.dilation.h, oy);
        ASSERT_EQ(t.ix * c.params.stride.w - c.params.padding.w + t.kx * c.params.dilation.w, ox);
        ASSERT_EQ(t.in_channel / (c.input.size(-3) / c.params.groups), co / (channels / c.params.groups));
      }
      nonempty += terms.terms.empty() ? 0 : 1;
      ++checked_pixels;
    }
  }
  EXPECT_EQ(checked_pixels, 60 * 12);
  EXPECT_GT(nonempty, checked_pixels / 3);  // the check is not vacuous: most pixels have terms
}

TEST(Inspector, AFootprintIsWhereTheInputPixelsTermsLand) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 30; ++trial) {
    const testing::RandomCase c = random_conv_transpose2d_case(rng, 6);
    const ConvTranspose2dGeometry g = validate_conv_transpose2d(c.input.shape(), c.weight.shape(), std::nullopt, c.params);
    const int64_t ci = static_cast<int64_t>(rng() % g.in_channels);
    const int64_t co = (ci / g.in_channels_per_group) * g.out_channels_per_group +
                       static_cast<int64_t>(rng() % g.out_channels_per_group);
    const int64_t iy = static_cast<int64_t>(rng() % g.in_h), ix = static_cast<int64_t>(rng() % g.in_w);
    const InputPixelFootprint footprint = input_pixel_footprint(c.input, c.weight, c.params, 0, ci, iy, ix, co);
    EXPECT_EQ(static_cast<int64_t>(footprint.terms.size()) + footprint.cropped_taps, g.kernel_h * g.kernel_w);
    // Every footprint term appears among the terms of the output pixel it lands on.
    for (const PixelTerm& t : footprint.terms) {
      const OutputPixelTerms there = output_pixel_terms(c.input, c.weight, nullptr, c.params, 0, co, t.oy, t.ox);
      bool found = false;
      for (const PixelTerm& u : there.terms)
        found |= u.in_channel == ci && u.iy == iy && u.ix == ix && u.ky == t.ky && u.kx == t.kx && u.product == t.product;
      ASSERT_TRUE(found) << "trial " << trial;
    }
  }
}

TEST(Inspector, RefusesPixelsOutsideTheOutputByName) {
  const Tensor x = Tensor::randn({1, 1, 3, 3}, 1), w = Tensor::randn({1, 1, 3, 3}, 2);
  ConvTranspose2dParams p;
  p.stride = {2, 2};
  try {
    output_pixel_terms(x, w, nullptr, p, 0, 0, 7, 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("output row 7 is out of range [0, 7)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(input_pixel_footprint(x, w, p, 0, 0, 0, 3, 0), Error);
}

TEST(TransposeMatrix, CTransposeTimesTheInputIsTheTransposedConvolution) {
  std::mt19937_64 rng(11);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int checked = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t inputs = pick(1, kMaxMatrixInputs), k = pick(1, 5), s = pick(1, 4), d = pick(1, 3);
    const int64_t p = pick(0, 4), op = pick(0, std::max(s, d) - 1);
    ConvTranspose2dParams params;
    params.stride = {1, s}, params.padding = {0, p}, params.dilation = {1, d}, params.output_padding = {0, op};
    const Tensor x = Tensor::randn({1, 1, 1, inputs}, rng()), w = Tensor::randn({1, 1, 1, k}, rng());
    const Tensor bias = Tensor::randn({1}, rng());
    Tensor y;
    try {
      y = conv_transpose2d_reference(x, w, &bias, params);
    } catch (const Error&) {
      EXPECT_THROW(transpose_matrix_1d({x.data(), size_t(inputs)}, {w.data(), size_t(k)}, s, p, p, d, op, bias[0]), Error);
      continue;
    }
    const TransposeMatrix1d m = transpose_matrix_1d({x.data(), size_t(inputs)}, {w.data(), size_t(k)}, s, p, p, d, op, bias[0]);
    ASSERT_EQ(m.outputs, y.size(3));
    for (int64_t o = 0; o < m.outputs; ++o) {
      double magnitude = std::fabs(bias[0]);
      for (int64_t i = 0; i < inputs; ++i) magnitude += std::fabs(m.at(i, o) * x[i]);
      ASSERT_NEAR(m.output[size_t(o)], y[o], tolerance(magnitude)) << "trial " << trial << " o " << o;
    }
    // C itself is the conv1d: C y' equals conv2d of any y' of length O when conv2d maps O back to I.
    if (conv_axis_size(m.outputs, k, s, p, d) == inputs) {
      const Tensor probe = Tensor::randn({1, 1, 1, m.outputs}, rng());
      Conv2dParams conv;
      conv.stride = {1, s}, conv.padding = {0, p}, conv.dilation = {1, d};
      const Tensor z = conv2d_reference(probe, w, nullptr, conv);
      for (int64_t i = 0; i < inputs; ++i) {
        double sum = 0, magnitude = 0;
        for (int64_t o = 0; o < m.outputs; ++o) sum += m.at(i, o) * probe[o], magnitude += std::fabs(m.at(i, o) * probe[o]);
        ASSERT_NEAR(sum, z[i], tolerance(magnitude));
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 150);
}

TEST(TransposeMatrix, TheReplayBuildsTheOutputStampByStampAndCountsTheCoverage) {
  const std::vector<float> x = {1.5f, -2.0f, 0.25f, 3.0f, -1.0f};
  const std::vector<float> w = {0.5f, -1.0f, 2.0f};
  const TransposeMatrix1d m = transpose_matrix_1d(x, w, 2, 0, 0, 1, 0, 0.125f);
  EXPECT_EQ(m.partial_output(0), std::vector<double>(size_t(m.outputs), 0.125));
  EXPECT_EQ(m.partial_output(m.inputs), m.output);
  // Stride 2, kernel 3: even positions get 2 taps inside, odd ones 1, the two ends 1.
  const std::vector<int64_t> coverage = m.hits_after(m.inputs);
  EXPECT_EQ(coverage, (std::vector<int64_t>{1, 1, 2, 1, 2, 1, 2, 1, 2, 1, 1}));
  const std::vector<int64_t> after_two = m.hits_after(2);
  EXPECT_EQ(after_two, (std::vector<int64_t>{1, 1, 2, 1, 1, 0, 0, 0, 0, 0, 0}));
  // After t stamps, position o holds the bias plus the products of the first t inputs.
  EXPECT_DOUBLE_EQ(m.partial_output(2)[2], 0.125 + 1.5 * 2.0 + -2.0 * 0.5);
}

TEST(TransposeMatrix, ARowOfA2dLayerUsesItsWidthAxisAndAsymmetricEnds) {
  const Tensor x = Tensor::randn({2, 4, 5, 20}, 3), w = Tensor::randn({4, 3, 3, 4}, 4);
  ConvTranspose2dParams params;
  params.stride = {2, 3}, params.padding = {1, 2}, params.groups = 2, params.padding_end = IntPair{1, 0};
  const TransposeMatrix1d m = transpose_matrix_of_row(x, w, params, 1, 3, 5, 2, 1);
  EXPECT_EQ(m.inputs, kMaxMatrixInputs);  // 20 columns, cut to 16
  EXPECT_EQ(m.outputs, (16 - 1) * 3 - 2 - 0 + 3 + 1);
  EXPECT_EQ(m.input[4], x.at(1, 3, 2, 4));
  EXPECT_EQ(m.kernel[2], w.at(3, 5 % 3, 1, 2));
  EXPECT_THROW(transpose_matrix_of_row(x, w, params, 0, 0, 5, 0, 0), Error);  // channel 0 does not feed 5
  EXPECT_EQ(transpose_matrix_of_row(x, w, params, 1, 3, 5, 2, 1, 6).inputs, 6);
  EXPECT_THROW(transpose_matrix_of_row(x, w, params, 1, 3, 5, 2, 1, 17), Error);
}

TEST(RoundTrip, Conv2dMapsTheOutputBackToTheInputsSizeAndListsTheOthers) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    testing::RandomCase c = random_conv_transpose2d_case(rng, 6);
    if (c.input.dim() == 3) c.input = c.input.reshaped({1, c.input.size(0), c.input.size(1), c.input.size(2)});
    const Tensor y = conv_transpose2d_reference(c.input, c.weight, nullptr, c.params);
    const RoundTrip trip = conv2d_round_trip(y, c.weight, c.params);
    Conv2dParams conv{c.params.stride, c.params.padding, c.params.dilation, c.params.groups};
    const Tensor expected = conv2d_reference(y, c.weight, nullptr, conv);
    ASSERT_EQ(trip.back.shape(), expected.shape());
    EXPECT_EQ(trip.back.size(1), c.input.size(1));
    if (c.params.output_padding.h < c.params.stride.h) {
      EXPECT_EQ(trip.back.size(2), c.input.size(2));
    }
    bool listed = false;
    for (const ForwardInput& size : trip.heights)
      listed |= size.input == y.size(2) && size.output_padding == c.params.output_padding.h;
    if (c.params.output_padding.h < c.params.stride.h) {
      EXPECT_TRUE(listed || trip.heights.size() == size_t(kMaxListedAnswers))
          << "trial " << trial << " I " << c.input.size(2) << " O " << y.size(2) << " k " << c.weight.size(2) << " s "
          << c.params.stride.h << " p " << c.params.padding.h << " d " << c.params.dilation.h << " listed "
          << trip.heights.size();
    }
  }
  ConvTranspose2dParams asymmetric;
  asymmetric.padding_end = IntPair{1, 0};
  EXPECT_THROW(conv2d_round_trip(Tensor::zeros({1, 1, 4, 4}), Tensor::zeros({1, 1, 3, 3}), asymmetric), Error);
}

}  // namespace
}  // namespace convt
