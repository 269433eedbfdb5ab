// The teaching engine's scatter views against brute-force definitions (MATH.md): scatter-then-convolve and its
// building blocks, the per-channel slice, the stamp-by-stamp scatter replay, and the receptive links.
#include "random_config.h"
#include "test_util.h"

#include <convt/analysis.h>
#include <convt/error.h>
#include <convt/ops.h>
#include <convt/shape.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

namespace convt {
namespace {

using testing::RandomCase;

Tensor batched(const Tensor& t) { return t.dim() == 3 ? t.reshaped({1, t.size(0), t.size(1), t.size(2)}) : t; }
const Tensor* bias_of(const RandomCase& c) { return c.bias ? &*c.bias : nullptr; }
ConvTranspose2dGeometry geometry_of(const RandomCase& c) {
  return validate_conv_transpose2d(c.input.shape(), c.weight.shape(),
                                   c.bias ? std::optional<Shape>(c.bias->shape()) : std::nullopt, c.params);
}
double max_of(const Tensor& t) { return t.numel() ? *std::max_element(t.data(), t.data() + t.numel()) : 0.0; }

// One [OH, OW] channel of a 4-D tensor.
Tensor channel_of(const Tensor& t4, int64_t n, int64_t c) {
  Tensor out({t4.size(2), t4.size(3)});
  for (int64_t y = 0; y < t4.size(2); ++y)
    for (int64_t x = 0; x < t4.size(3); ++x) out[y * t4.size(3) + x] = t4.at(n, c, y, x);
  return out;
}

// ---- Scatter-then-convolve ----------------------------------------------------------------------------------

// The equivalence of MATH.md on the user's numbers: every step's shape and the final result, on random configs
// covering groups, dilation, output_padding, padding beyond the kernel extent (a crop) and unbatched input.
TEST(AnalysisScatterConvolve, ReproducesConvTranspose2dOnRandomConfigs) {
  std::mt19937_64 rng(31);
  int crops = 0, unbatched = 0, grouped = 0;
  for (int trial = 0; trial < 150; ++trial) {
    const RandomCase c = testing::random_conv_transpose2d_case(rng);
    const ConvTranspose2dParams& p = c.params;
    const ScatterConvolveSteps steps = scatter_then_convolve(c.input, c.weight, bias_of(c), p);
    const Tensor x = batched(c.input);
    const int64_t kh = c.weight.size(2), kw = c.weight.size(3);
    SCOPED_TRACE("trial " + std::to_string(trial) + " input " + shape_to_string(c.input.shape()) + " weight " +
                 shape_to_string(c.weight.shape()));
    EXPECT_EQ(steps.zero_inserted.shape(),
              (Shape{x.size(0), x.size(1), (x.size(2) - 1) * p.stride.h + 1, (x.size(3) - 1) * p.stride.w + 1}));
    EXPECT_EQ(steps.pad_low, IntPair(p.dilation.h * (kh - 1) - p.padding.h, p.dilation.w * (kw - 1) - p.padding.w));
    EXPECT_EQ(steps.pad_high,
              IntPair(steps.pad_low.h + p.output_padding.h, steps.pad_low.w + p.output_padding.w));
    EXPECT_EQ(steps.padded.shape(),
              (Shape{x.size(0), x.size(1), steps.zero_inserted.size(2) + steps.pad_low.h + steps.pad_high.h,
                     steps.zero_inserted.size(3) + steps.pad_low.w + steps.pad_high.w}));
    const Tensor reference = batched(conv_transpose2d_reference(c.input, c.weight, bias_of(c), p));
    const Tensor scale = batched(testing::conv_transpose2d_term_scale(c.input, c.weight, bias_of(c), p));
    ASSERT_TRUE(testing::all_close_to_scale(steps.direct, reference, scale, 0.0, 0.0));  // the reference itself
    ASSERT_TRUE(testing::all_close_to_scale(steps.convolved, reference, scale, 1e-6));
    double worst = 0;
    for (int64_t i = 0; i < reference.numel(); ++i)
      worst = std::max(worst, std::fabs(static_cast<double>(steps.convolved[i]) - steps.direct[i]));
    EXPECT_DOUBLE_EQ(steps.max_abs_difference, worst);
    EXPECT_LE(steps.max_abs_difference, 1e-6 * max_of(scale) + 1e-7);
    crops += steps.pad_low.h < 0 || steps.pad_low.w < 0;
    unbatched += c.input.dim() == 3;
    grouped += p.groups > 1;
  }
  // The random draws must actually reach the cases the equivalence is famous for getting wrong.
  EXPECT_GT(crops, 5);
  EXPECT_GT(unbatched, 5);
  EXPECT_GT(grouped, 20);
}

// p > d*(k-1): the "padding" is a crop of the zero-inserted input, checked by hand on one axis.
TEST(AnalysisScatterConvolve, NegativePadCropsTheZeroInsertedInput) {
  const Tensor x = Tensor::from_data({1, 1, 1, 3}, {1, 2, 3});
  const Tensor w = Tensor::from_data({1, 1, 1, 2}, {10, 1});
  ConvTranspose2dParams p;
  p.stride = {1, 2};
  p.padding = {0, 2};  // lo = 1*(2-1) - 2 = -1 along the width
  const ScatterConvolveSteps steps = scatter_then_convolve(x, w, nullptr, p);
  EXPECT_EQ(steps.pad_low, IntPair(0, -1));
  EXPECT_EQ(steps.pad_high, IntPair(0, -1));
  // zero_inserted [1 0 2 0 3] cropped by one on each side: [0 2 0].
  ASSERT_EQ(steps.padded.shape(), (Shape{1, 1, 1, 3}));
  EXPECT_EQ(std::vector<float>(steps.padded.data(), steps.padded.data() + 3), (std::vector<float>{0, 2, 0}));
  // Output width (3-1)*2 - 4 + 1*(2-1) + 1 = 2. Scatter: x_i's tap kx lands at 2i - 2 + kx, so only x_1 survives.
  ASSERT_EQ(steps.convolved.shape(), (Shape{1, 1, 1, 2}));
  EXPECT_FLOAT_EQ(steps.convolved[0], 2 * 10);  // x_1, tap 0
  EXPECT_FLOAT_EQ(steps.convolved[1], 2 * 1);   // x_1, tap 1
  EXPECT_FLOAT_EQ(steps.direct[0], 20);
  EXPECT_FLOAT_EQ(steps.direct[1], 2);
}

// W'[g*Cog + co, ci, ky, kx] = W[g*Cig + ci, co, kH-1-ky, kW-1-kx], element by element with groups.
TEST(AnalysisScatterConvolve, TransformedWeightRule) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    const RandomCase c = testing::random_conv_transpose2d_case(rng);
    const Tensor& w = c.weight;
    const int64_t groups = c.params.groups, cin = w.size(0), cog = w.size(1), kh = w.size(2), kw = w.size(3);
    const int64_t cig = cin / groups;
    const Tensor t = scatter_then_convolve(c.input, w, bias_of(c), c.params).transformed_weight;
    ASSERT_EQ(t.shape(), (Shape{cog * groups, cig, kh, kw}));
    EXPECT_EQ(transposed_conv_weight_as_conv2d(w, groups).shape(), t.shape());
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t co = 0; co < cog; ++co)
        for (int64_t ci = 0; ci < cig; ++ci)
          for (int64_t ky = 0; ky < kh; ++ky)
            for (int64_t kx = 0; kx < kw; ++kx)
              ASSERT_EQ(t.at(g * cog + co, ci, ky, kx), w.at(g * cig + ci, co, kh - 1 - ky, kw - 1 - kx))
                  << "trial " << trial;
  }
}

// ---- The per-channel slice ----------------------------------------------------------------------------------

// A slice is the single-channel transposed conv; the slices of a group plus the bias rebuild the output channel.
TEST(AnalysisSlice, MatchesSingleChannelReferenceAndSumsToTheOutputChannel) {
  std::mt19937_64 rng(77);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 60; ++trial) {
    const RandomCase c = testing::random_conv_transpose2d_case(rng);
    const ConvTranspose2dGeometry g = geometry_of(c);
    const Tensor x = batched(c.input);
    const int64_t n = pick(0, g.batch - 1), group = pick(0, g.groups - 1);
    const int64_t co = group * g.out_channels_per_group + pick(0, g.out_channels_per_group - 1);
    ConvTranspose2dParams single = c.params;
    single.groups = 1;
    Tensor sum({g.out_h, g.out_w}), sum_scale({g.out_h, g.out_w});
    for (int64_t i = 0; i < sum.numel(); ++i) {
      sum[i] = c.bias ? (*c.bias)[co] : 0.0f;
      sum_scale[i] = std::fabs(sum[i]);
    }
    for (int64_t cil = 0; cil < g.in_channels_per_group; ++cil) {
      const int64_t ci = group * g.in_channels_per_group + cil;
      const ScatterConvolveSteps s = scatter_then_convolve_slice(c.input, c.weight, c.params, n, ci, co);
      Tensor plane({1, 1, g.in_h, g.in_w}), kernel({1, 1, g.kernel_h, g.kernel_w});
      for (int64_t i = 0; i < plane.numel(); ++i) plane[i] = x.at(n, ci, i / g.in_w, i % g.in_w);
      for (int64_t i = 0; i < kernel.numel(); ++i)
        kernel[i] = c.weight.at(ci, co % g.out_channels_per_group, i / g.kernel_w, i % g.kernel_w);
      const Tensor expected = conv_transpose2d_reference(plane, kernel, nullptr, single);
      const Tensor scale = testing::conv_transpose2d_term_scale(plane, kernel, nullptr, single);
      ASSERT_TRUE(testing::all_close_to_scale(s.direct, expected, scale, 1e-6)) << "trial " << trial;
      ASSERT_TRUE(testing::all_close_to_scale(s.convolved, expected, scale, 1e-6)) << "trial " << trial;
      for (int64_t i = 0; i < sum.numel(); ++i) sum[i] += s.direct[i], sum_scale[i] += scale[i];
    }
    const Tensor full = batched(conv_transpose2d_reference(c.input, c.weight, bias_of(c), c.params));
    ASSERT_TRUE(testing::all_close_to_scale(sum, channel_of(full, n, co), sum_scale, 1e-6)) << "trial " << trial;
  }
}

TEST(AnalysisSlice, ChannelsOfDifferentGroupsAreAnError) {
  ConvTranspose2dParams p;
  p.groups = 2;
  const Tensor x = Tensor::randn({1, 4, 3, 3}, 1), w = Tensor::randn({4, 3, 2, 2}, 2);  // Cig 2, Cog 3
  EXPECT_NO_THROW(scatter_then_convolve_slice(x, w, p, 0, 1, 2));  // group 0 -> group 0
  EXPECT_NO_THROW(scatter_then_convolve_slice(x, w, p, 0, 2, 3));  // group 1 -> group 1
  EXPECT_THROW(scatter_then_convolve_slice(x, w, p, 0, 1, 3), Error);  // group 0 -> group 1
  EXPECT_THROW(scatter_then_convolve_slice(x, w, p, 0, 3, 0), Error);  // group 1 -> group 0
  EXPECT_THROW(scatter_then_convolve_slice(x, w, p, 1, 0, 0), Error);  // batch out of range
  EXPECT_THROW(scatter_then_convolve_slice(x, w, p, 0, 4, 0), Error);
  EXPECT_THROW(scatter_then_convolve_slice(x, w, p, 0, 0, 6), Error);
}

// ---- Building blocks ----------------------------------------------------------------------------------------

TEST(AnalysisBuildingBlocks, ZeroInsertHandChecked) {
  const Tensor x = Tensor::from_data({1, 1, 2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor z = zero_insert(x, {2, 3});
  ASSERT_EQ(z.shape(), (Shape{1, 1, 3, 7}));
  EXPECT_EQ(std::vector<float>(z.data(), z.data() + z.numel()),
            (std::vector<float>{1, 0, 0, 2, 0, 0, 3,  //
                                0, 0, 0, 0, 0, 0, 0,  //
                                4, 0, 0, 5, 0, 0, 6}));
  EXPECT_EQ(zero_insert(x, {1, 1}).shape(), x.shape());  // stride 1 inserts nothing
}

TEST(AnalysisBuildingBlocks, PadOrCropHandChecked) {
  const Tensor x = Tensor::from_data({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor padded = pad_or_crop(x, {1, 0}, {0, 2});
  ASSERT_EQ(padded.shape(), (Shape{1, 1, 3, 4}));
  EXPECT_EQ(std::vector<float>(padded.data(), padded.data() + 12),
            (std::vector<float>{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}));
  const Tensor y = Tensor::arange({1, 1, 3, 3});  // 0..8
  const Tensor cropped = pad_or_crop(y, {-1, -1}, {0, -1});
  ASSERT_EQ(cropped.shape(), (Shape{1, 1, 2, 1}));
  EXPECT_EQ(cropped[0], 4);
  EXPECT_EQ(cropped[1], 7);
  // Crop and pad on the same axis: row 2 then a zero row; a zero column then column 0.
  const Tensor mixed = pad_or_crop(y, {-2, 1}, {1, -2});
  ASSERT_EQ(mixed.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(std::vector<float>(mixed.data(), mixed.data() + 4), (std::vector<float>{0, 6, 0, 0}));
  EXPECT_THROW(pad_or_crop(y, {-2, 0}, {-1, 0}), Error);  // nothing left
}

// ---- Scatter replay -----------------------------------------------------------------------------------------

using TapKey = std::tuple<int64_t, int64_t, int64_t, int64_t>;

// Every stamp against the scatter definition, and the replay's running sums against the reference.
TEST(ReplayScatter, StampsAndPartialOutputsMatchTheDefinition) {
  std::mt19937_64 rng(11);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 40; ++trial) {
    const RandomCase c = testing::random_conv_transpose2d_case(rng, 7);
    const ConvTranspose2dGeometry g = geometry_of(c);
    const ConvTranspose2dParams& p = c.params;
    const Tensor x = batched(c.input);
    const int64_t n = pick(0, g.batch - 1), co = pick(0, g.out_channels - 1);
    const int64_t group = co / g.out_channels_per_group, col = co % g.out_channels_per_group;
    const ScatterReplay replay(c.input, c.weight, bias_of(c), p, n, co);
    SCOPED_TRACE("trial " + std::to_string(trial));
    ASSERT_EQ(replay.stamp_count(), g.in_channels_per_group * g.in_h * g.in_w);
    const Tensor full = channel_of(batched(conv_transpose2d_reference(c.input, c.weight, bias_of(c), p)), n, co);
    const Tensor scale =
        channel_of(batched(testing::conv_transpose2d_term_scale(c.input, c.weight, bias_of(c), p)), n, co);
    Tensor previous = replay.partial_output(0);
    ASSERT_EQ(previous.shape(), (Shape{g.out_h, g.out_w}));
    for (int64_t i = 0; i < previous.numel(); ++i) ASSERT_EQ(previous[i], c.bias ? (*c.bias)[co] : 0.0f);
    for (int64_t t = 0; t < replay.stamp_count(); ++t) {
      // Order: input channel, then row, then column.
      const int64_t ci = group * g.in_channels_per_group + t / (g.in_h * g.in_w);
      const int64_t iy = (t / g.in_w) % g.in_h, ix = t % g.in_w;
      const ScatterStamp s = replay.stamp(t);
      ASSERT_EQ(std::make_tuple(s.in_channel, s.iy, s.ix), std::make_tuple(ci, iy, ix));
      ASSERT_EQ(s.value, x.at(n, ci, iy, ix));
      ASSERT_EQ(s.origin_y, iy * p.stride.h - p.padding.h);
      ASSERT_EQ(s.origin_x, ix * p.stride.w - p.padding.w);
      std::vector<TapKey> expected, actual;
      for (int64_t ky = 0; ky < g.kernel_h; ++ky)
        for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
          const int64_t oy = s.origin_y + ky * p.dilation.h, ox = s.origin_x + kx * p.dilation.w;
          if (oy >= 0 && oy < g.out_h && ox >= 0 && ox < g.out_w) expected.emplace_back(ky, kx, oy, ox);
        }
      for (const StampTap& tap : s.taps_inside) actual.emplace_back(tap.ky, tap.kx, tap.oy, tap.ox);
      std::sort(actual.begin(), actual.end());
      ASSERT_EQ(actual, expected) << "stamp " << t;
      // partial(t+1) - partial(t) is this stamp: value * kernel at its taps, nothing elsewhere.
      const Tensor next = replay.partial_output(t + 1);
      Tensor step({g.out_h, g.out_w});
      for (const StampTap& tap : s.taps_inside)
        step[tap.oy * g.out_w + tap.ox] = s.value * c.weight.at(ci, col, tap.ky, tap.kx);
      for (int64_t i = 0; i < step.numel(); ++i)
        ASSERT_NEAR(next[i] - previous[i], step[i], 1e-6 * scale[i] + 1e-7) << "stamp " << t << " element " << i;
      previous = next;
    }
    ASSERT_TRUE(testing::all_close_to_scale(previous, full, scale, 1e-6));
  }
}

TEST(ReplayScatter, OutOfRangeIsAnError) {
  const Tensor x = Tensor::randn({2, 2, 3, 3}, 3), w = Tensor::randn({2, 1, 3, 3}, 4);
  ConvTranspose2dParams p;
  p.stride = 2;
  const ScatterReplay replay(x, w, nullptr, p, 1, 0);
  EXPECT_EQ(replay.stamp_count(), 18);
  EXPECT_THROW(replay.stamp(-1), Error);
  EXPECT_THROW(replay.stamp(18), Error);
  EXPECT_NO_THROW(replay.stamp(17));
  EXPECT_THROW(replay.partial_output(-1), Error);
  EXPECT_THROW(replay.partial_output(19), Error);
  EXPECT_NO_THROW(replay.partial_output(18));
  EXPECT_THROW(ScatterReplay(x, w, nullptr, p, 2, 0), Error);
  EXPECT_THROW(ScatterReplay(x, w, nullptr, p, 0, 1), Error);
  EXPECT_THROW(ScatterReplay(x, w, nullptr, p, -1, 0), Error);
}

// ---- Receptive links ----------------------------------------------------------------------------------------

using LinkKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t>;
LinkKey key(const SpatialLink& l) { return {l.iy, l.ix, l.ky, l.kx, l.oy, l.ox}; }
std::vector<LinkKey> sorted_keys(const std::vector<SpatialLink>& links) {
  std::vector<LinkKey> keys;
  for (const SpatialLink& l : links) keys.push_back(key(l));
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Both directions against the brute-force set {oy = iy*s - p + ky*d, ox = ix*s - p + kx*d, in range}, and
// against each other, on several geometries (k < s, dilation, large padding, output_padding).
TEST(LinksReceptive, MatchBruteForceAndEachOther) {
  std::mt19937_64 rng(19);
  for (int trial = 0; trial < 40; ++trial) {
    const RandomCase c = testing::random_conv_transpose2d_case(rng);
    const ConvTranspose2dGeometry g = geometry_of(c);
    const ConvTranspose2dParams& p = c.params;
    std::vector<std::vector<LinkKey>> to(static_cast<size_t>(g.out_h * g.out_w)),
        from(static_cast<size_t>(g.in_h * g.in_w));
    testing::for_each_landing(g, p, [&](int64_t iy, int64_t ix, int64_t ky, int64_t kx, int64_t oy, int64_t ox) {
      to[static_cast<size_t>(oy * g.out_w + ox)].emplace_back(iy, ix, ky, kx, oy, ox);
      from[static_cast<size_t>(iy * g.in_w + ix)].emplace_back(iy, ix, ky, kx, oy, ox);
    });
    SCOPED_TRACE("trial " + std::to_string(trial));
    for (int64_t oy = 0; oy < g.out_h; ++oy)
      for (int64_t ox = 0; ox < g.out_w; ++ox) {
        auto& expected = to[static_cast<size_t>(oy * g.out_w + ox)];
        std::sort(expected.begin(), expected.end());
        ASSERT_EQ(sorted_keys(links_to_output(g, p, oy, ox)), expected) << "output " << oy << "," << ox;
      }
    for (int64_t iy = 0; iy < g.in_h; ++iy)
      for (int64_t ix = 0; ix < g.in_w; ++ix) {
        auto& expected = from[static_cast<size_t>(iy * g.in_w + ix)];
        std::sort(expected.begin(), expected.end());
        const std::vector<SpatialLink> links = links_from_input(g, p, iy, ix);
        ASSERT_EQ(sorted_keys(links), expected) << "input " << iy << "," << ix;
        for (const SpatialLink& l : links) {  // every link from an input is a link to its output pixel
          const auto back = sorted_keys(links_to_output(g, p, l.oy, l.ox));
          ASSERT_TRUE(std::binary_search(back.begin(), back.end(), key(l)));
        }
      }
    // Outside the tensors there is nothing to link.
    EXPECT_TRUE(links_to_output(g, p, -1, 0).empty());
    EXPECT_TRUE(links_to_output(g, p, 0, g.out_w).empty());
    EXPECT_TRUE(links_from_input(g, p, g.in_h, 0).empty());
    EXPECT_TRUE(links_from_input(g, p, 0, -1).empty());
  }
}

}  // namespace
}  // namespace convt
