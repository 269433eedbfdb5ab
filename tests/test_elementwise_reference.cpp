// The reference pixel shuffle and unshuffle, activation backward passes and losses: shuffles against their index
// definition written the other way round (from each output element back to its source), each other's inverse and
// adjoint; activation and loss gradients against central differences in double, and PyTorch's conventions at the
// kinks (relu and l1 have derivative 0 at 0).
#include "test_util.h"

#include <convt/error.h>
#include <convt/ops.h>
#include <convt/stack.h>

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace convt {
namespace {

using testing::dot;

TEST(PixelShuffleReference, MatchesItsDefinitionAndUnshuffleUndoesIt) {
  std::mt19937_64 rng(5);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t r = pick(1, 4), n = pick(1, 2), c = pick(1, 3), h = pick(1, 5), w = pick(1, 5);
    const bool batched = pick(0, 3) != 0;
    const Tensor x = Tensor::randn(batched ? Shape{n, c * r * r, h, w} : Shape{c * r * r, h, w}, rng());
    const Tensor y = pixel_shuffle_reference(x, r);
    ASSERT_EQ(y.shape(), batched ? (Shape{n, c, h * r, w * r}) : (Shape{c, h * r, w * r}));
    const int64_t batches = batched ? n : 1;
    for (int64_t b = 0; b < batches; ++b)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t oy = 0; oy < h * r; ++oy)
          for (int64_t ox = 0; ox < w * r; ++ox) {
            const int64_t source_channel = ch * r * r + (oy % r) * r + ox % r;
            ASSERT_EQ(y[((b * c + ch) * h * r + oy) * w * r + ox],
                      x[((b * c * r * r + source_channel) * h + oy / r) * w + ox / r]);
          }
    const Tensor back = pixel_unshuffle_reference(y, r);
    ASSERT_EQ(back.shape(), x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(back[i], x[i]);
    // Each is the other's backward: <shuffle(x), g> == <x, unshuffle(g)>.
    const Tensor g = Tensor::randn(y.shape(), rng());
    EXPECT_NEAR(dot(y, g), dot(x, pixel_unshuffle_reference(g, r)), 1e-9 * (1 + std::fabs(dot(y, g))));
  }
}

TEST(PixelShuffleReference, ShapesThatDoNotDivideAreRefused) {
  EXPECT_THROW(pixel_shuffle_reference(Tensor::zeros({1, 3, 2, 2}), 2), Error);   // 3 channels, r^2 = 4
  EXPECT_THROW(pixel_shuffle_reference(Tensor::zeros({1, 4, 2, 2}), 0), Error);
  EXPECT_THROW(pixel_unshuffle_reference(Tensor::zeros({1, 1, 3, 4}), 2), Error);  // height 3
  EXPECT_THROW(pixel_shuffle_reference(Tensor::zeros({4, 2}), 2), Error);         // 2-D
  try {
    pixel_shuffle_reference(Tensor::zeros({1, 6, 2, 2}), 2);
    FAIL() << "6 channels with upscale_factor 2 were accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.parameter(), "upscale_factor");
    EXPECT_NE(std::string(e.what()).find("not divisible"), std::string::npos) << e.what();
  }
}

double activation(Activation a, double x, double slope) {
  switch (a) {
    case Activation::None: return x;
    case Activation::ReLU: return x > 0 ? x : 0;
    case Activation::LeakyReLU: return x > 0 ? x : x * slope;
    case Activation::Tanh: return std::tanh(x);
  }
  return x;
}

TEST(ActivationBackwardReference, MatchesCentralDifferencesAndPyTorchAtZero) {
  std::mt19937_64 rng(6);
  const float slope = 0.01f;
  for (Activation a : {Activation::None, Activation::ReLU, Activation::LeakyReLU, Activation::Tanh}) {
    SCOPED_TRACE(to_string(a));
    Tensor x = Tensor::randn({2, 3, 4, 5}, rng());
    for (int64_t i = 0; i < x.numel(); ++i)
      if (std::fabs(x[i]) < 1e-3f) x[i] = 0.5f;  // away from the kink for the differences
    const Tensor g = Tensor::randn(x.shape(), rng());
    const Tensor grad = activation_backward_reference(x, g, a, slope);
    const double h = 1e-6;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double numeric = g[i] * (activation(a, x[i] + h, slope) - activation(a, x[i] - h, slope)) / (2 * h);
      ASSERT_NEAR(grad[i], numeric, 1e-5 * (1 + std::fabs(g[i]))) << "element " << i;
    }
  }
  const Tensor zero = Tensor::zeros({1, 1, 1, 1}), one = Tensor::ones({1, 1, 1, 1});
  EXPECT_EQ(activation_backward_reference(zero, one, Activation::ReLU, slope)[0], 0.0f);
  EXPECT_EQ(activation_backward_reference(zero, one, Activation::LeakyReLU, slope)[0], slope);
  EXPECT_EQ(activation_backward_reference(zero, one, Activation::Tanh, slope)[0], 1.0f);
  EXPECT_THROW(activation_backward_reference(zero, Tensor::ones({1, 1, 1, 2}), Activation::ReLU, slope), Error);
}

TEST(LossReference, ValuesAndGradientsMatchTheirDefinitions) {
  std::mt19937_64 rng(7);
  Tensor x = Tensor::randn({2, 3, 4, 4}, rng());
  const Tensor t = Tensor::randn(x.shape(), rng());
  // Known values: mean of squares and of absolute differences.
  double squares = 0, absolutes = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    squares += (static_cast<double>(x[i]) - t[i]) * (static_cast<double>(x[i]) - t[i]);
    absolutes += std::fabs(static_cast<double>(x[i]) - t[i]);
  }
  EXPECT_NEAR(mse_loss_reference(x, t), squares / x.numel(), 1e-12 * squares);
  EXPECT_NEAR(l1_loss_reference(x, t), absolutes / x.numel(), 1e-12 * absolutes);
  // Central differences: mse is quadratic, so the difference is exact up to rounding; l1 is linear near a point
  // away from its kink.
  const Tensor mse_grad = mse_loss_backward_reference(x, t), l1_grad = l1_loss_backward_reference(x, t);
  for (int64_t i = 0; i < x.numel(); i += 7) {
    const float saved = x[i];
    const float h = 1e-3f;
    x[i] = saved + h;
    const double mse_up = mse_loss_reference(x, t), l1_up = l1_loss_reference(x, t);
    x[i] = saved - h;
    const double mse_down = mse_loss_reference(x, t), l1_down = l1_loss_reference(x, t);
    x[i] = saved;
    const double step = static_cast<double>(saved + h) - static_cast<double>(saved - h);
    EXPECT_NEAR(mse_grad[i], (mse_up - mse_down) / step, 1e-5) << "element " << i;
    if (std::fabs(saved - t[i]) > 2 * h) {
      EXPECT_NEAR(l1_grad[i], (l1_up - l1_down) / step, 1e-5) << "element " << i;
    }
  }
  // sign(0) = 0, as PyTorch.
  EXPECT_EQ(l1_loss_backward_reference(t, t)[0], 0.0f);
  EXPECT_THROW(mse_loss_reference(x, Tensor::zeros({2, 3, 4})), Error);
}

// interpolate is linear in its input, so its backward must be its exact adjoint: <interpolate(x), g> ==
// <x, interpolate_backward(g)>, for every mode, align_corners, and size or scale factor, up- and downsampling.
TEST(InterpolateBackwardReference, IsTheAdjointOfTheForward) {
  std::mt19937_64 rng(8);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 80; ++trial) {
    InterpolateParams p;
    p.mode = pick(0, 1) ? InterpolateMode::Bilinear : InterpolateMode::Nearest;
    p.align_corners = p.mode == InterpolateMode::Bilinear && pick(0, 1);
    p.has_size = pick(0, 1) != 0;
    if (p.has_size) {
      p.size = {pick(1, 13), pick(1, 13)};
    } else {
      const double scales[] = {0.5, 1.0, 1.5, 2.0, 2.5, 3.0};
      p.scale_h = scales[pick(0, 5)];
      p.scale_w = scales[pick(0, 5)];
    }
    const Shape shape{pick(1, 2), pick(1, 3), pick(2, 7), pick(2, 7)};
    const Tensor x = Tensor::randn(shape, rng());
    const Tensor y = interpolate(x, p);
    const Tensor g = Tensor::randn(y.shape(), rng());
    const Tensor grad = interpolate_backward_reference(g, shape, p);
    ASSERT_EQ(grad.shape(), shape);
    double magnitude = 0;
    for (int64_t i = 0; i < g.numel(); ++i) magnitude += std::fabs(static_cast<double>(g[i]) * 4);
    EXPECT_NEAR(dot(y, g), dot(x, grad), 1e-5 * (1 + magnitude)) << "trial " << trial;
  }
  InterpolateParams twice;
  twice.mode = InterpolateMode::Bilinear;
  twice.scale_h = twice.scale_w = 2.0;
  EXPECT_THROW(interpolate_backward_reference(Tensor::zeros({1, 1, 4, 4}), {1, 1, 4, 4}, twice), Error);
}

}  // namespace
}  // namespace convt
