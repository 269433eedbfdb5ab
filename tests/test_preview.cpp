// Plane previews (convt/preview.h): a downsampled region equals the brute-force mean of each block, NaN stays
// visible, the separable coverage map's preview equals the mean of rows[y] * cols[x], and the factor keeps a
// preview within its box.
#include "test_util.h"

#include <convt/error.h>
#include <convt/preview.h>

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace convt {
namespace {

TEST(Preview, DownsampledRegionsAreTheMeansOfTheirBlocks) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 60; ++trial) {
    std::uniform_int_distribution<int64_t> size(1, 40), factor_of(1, 9), channels_of(1, 3);
    const int64_t h = size(rng), w = size(rng), factor = factor_of(rng);
    const int channels = static_cast<int>(channels_of(rng));
    const Tensor planes = Tensor::randn({channels, h, w}, trial);
    std::uniform_int_distribution<int64_t> y(0, h - 1), x(0, w - 1);
    PlaneRegion r{y(rng), x(rng), 0, 0};
    r.y1 = std::uniform_int_distribution<int64_t>(r.y0 + 1, h)(rng);
    r.x1 = std::uniform_int_distribution<int64_t>(r.x0 + 1, w)(rng);
    const Tensor out = downsample_planes(planes.data(), h, w, h * w, channels, r, factor);
    const int64_t oh = (r.height() + factor - 1) / factor, ow = (r.width() + factor - 1) / factor;
    ASSERT_EQ(out.shape(), (Shape{channels, oh, ow}));
    for (int c = 0; c < channels; ++c)
      for (int64_t by = 0; by < oh; ++by)
        for (int64_t bx = 0; bx < ow; ++bx) {
          double sum = 0, magnitude = 0;
          int64_t count = 0;
          for (int64_t yy = r.y0 + by * factor; yy < std::min(r.y1, r.y0 + (by + 1) * factor); ++yy)
            for (int64_t xx = r.x0 + bx * factor; xx < std::min(r.x1, r.x0 + (bx + 1) * factor); ++xx, ++count) {
              const float v = planes[(c * h + yy) * w + xx];
              sum += v;
              magnitude += std::fabs(v);
            }
          ASSERT_NEAR(out[(c * oh + by) * ow + bx], sum / count, 1e-6 * (1 + magnitude / count));
        }
  }
}

TEST(Preview, NonFiniteValuesStayVisible) {
  Tensor plane = Tensor::ones({1, 8, 8});
  plane[3 * 8 + 5] = std::nanf("");
  const Tensor out = downsample_planes(plane.data(), 8, 8, 64, 1, {0, 0, 8, 8}, 4);
  EXPECT_TRUE(std::isnan(out[0 * 2 + 1])) << "the block holding the NaN";
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[2], 1.0f);
}

TEST(Preview, SeparablePreviewEqualsTheMeanOfTheProduct) {
  const std::vector<int64_t> rows = {1, 2, 1, 2, 1, 2, 1}, cols = {0, 3, 1, 3, 1};
  for (int64_t factor : {1, 2, 3}) {
    const PlaneRegion r{1, 0, 7, 5};
    const Tensor out = downsample_separable(rows, cols, r, factor);
    Tensor full = Tensor::zeros({1, 7, 5});
    for (int64_t y = 0; y < 7; ++y)
      for (int64_t x = 0; x < 5; ++x) full[y * 5 + x] = static_cast<float>(rows[y] * cols[x]);
    const Tensor expected = downsample_planes(full.data(), 7, 5, 35, 1, r, factor);
    ASSERT_EQ(out.shape(), expected.shape());
    for (int64_t i = 0; i < out.numel(); ++i) EXPECT_NEAR(out[i], expected[i], 1e-5) << "factor " << factor;
  }
}

TEST(Preview, TheFactorKeepsAPreviewWithinItsBox) {
  EXPECT_EQ(preview_factor({0, 0, 24, 24}, 300, 300), 1);
  EXPECT_EQ(preview_factor({0, 0, 8193, 8193}, 600, 500), 32);  // 8193 / 32 = 257 rows and columns
  for (int64_t side : {1, 7, 100, 4096, 8193, 100000}) {
    const int64_t f = preview_factor({0, 0, side, side * 2}, 333, 444);
    EXPECT_LE((side + f - 1) / f, 333);
    EXPECT_LE((2 * side + f - 1) / f, 444);
    if (f > 1) {
      EXPECT_TRUE((side + f / 2 - 1) / (f / 2) > 333 || (2 * side + f / 2 - 1) / (f / 2) > 444) << "the smallest";
    }
  }
}

TEST(Preview, RegionsOutsideThePlaneAreRefused) {
  const Tensor plane = Tensor::ones({1, 4, 4});
  EXPECT_THROW(downsample_planes(plane.data(), 4, 4, 16, 1, {0, 0, 5, 4}, 1), Error);
  EXPECT_THROW(downsample_planes(plane.data(), 4, 4, 16, 1, {2, 0, 2, 4}, 1), Error);
  EXPECT_THROW(downsample_planes(plane.data(), 4, 4, 16, 1, {0, 0, 4, 4}, 0), Error);
}

}  // namespace
}  // namespace convt
