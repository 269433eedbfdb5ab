// resize_then_convolve, the artifact-free alternative shown beside the transposed conv.
#include "test_util.h"

#include <convt/analysis.h>

#include <random>

namespace convt {
namespace {

// With stride 1 the resize is the identity, so resize-then-convolve must equal the transposed conv with
// "same" padding (d*(k-1)/2) on that output channel, for any groups and dilation.
TEST(ResizeThenConvolve, StrideOneEqualsTheTransposedConv) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 30; ++trial) {
    const int64_t groups = 1 + static_cast<int64_t>(rng() % 2), cig = 1 + static_cast<int64_t>(rng() % 3);
    const int64_t cog = 1 + static_cast<int64_t>(rng() % 3), k = 1 + 2 * static_cast<int64_t>(rng() % 3);
    const int64_t d = 1 + static_cast<int64_t>(rng() % 2);
    const Tensor x = Tensor::randn({2, groups * cig, 7, 6}, rng());
    const Tensor w = Tensor::randn({groups * cig, cog, k, k}, rng());
    const ConvTranspose2dParams params{1, d * (k - 1) / 2, 0, d, groups};
    const Tensor full = conv_transpose2d_reference(x, w, nullptr, params);
    const int64_t n = static_cast<int64_t>(rng() % 2), co = static_cast<int64_t>(rng() % static_cast<uint64_t>(groups * cog));
    for (const InterpolateMode mode : {InterpolateMode::Nearest, InterpolateMode::Bilinear}) {
      const Tensor resized = resize_then_convolve(x, w, params, n, co, mode);
      ASSERT_EQ(resized.shape(), (Shape{1, 1, 7, 6}));
      for (int64_t y = 0; y < 7; ++y)
        for (int64_t xx = 0; xx < 6; ++xx) EXPECT_NEAR(resized.at(0, 0, y, xx), full.at(n, co, y, xx), 1e-4);
    }
  }
}

// With stride 2 and a constant kernel on a constant input, the resized path has no checkerboard where the
// transposed conv k3 s2 has one.
TEST(ResizeThenConvolve, RemovesTheGeometricCheckerboard) {
  const Tensor x = Tensor::ones({1, 1, 8, 8}), w = Tensor::ones({1, 1, 3, 3});
  const ConvTranspose2dParams params{2, 0, 0, 1, 1};
  const Tensor resized = resize_then_convolve(x, w, params, 0, 0, InterpolateMode::Nearest);
  ASSERT_EQ(resized.shape(), (Shape{1, 1, 16, 16}));
  EXPECT_LT(artifact_score(resized, ConvTranspose2dParams{1, 1, 0, 1, 1}, {3, 3}).score, 0.02);
  EXPECT_GT(artifact_score(conv_transpose2d_reference(x, w, nullptr, params), params, {3, 3}).score, 0.5);
}

}  // namespace
}  // namespace convt
